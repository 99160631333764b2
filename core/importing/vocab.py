"""Shared word lists: ISO 4217 codes, debit/credit markers, pending and summary wording.

All words are in the normalized form of :func:`core.importing.csv_headers.normalize_header`
(lowercase, no accents, words separated by one space).
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

ISO_CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD
    BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR
    FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
    JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW
    ZWL LTL LVL EEK DEM FRF NLG BEF ATS ITL ESP CYP SKK SIT MTL""".split()
)

CURRENCY_SYMBOLS = {
    "€": "EUR",
    "£": "GBP",
    "₹": "INR",
    "₽": "RUB",
    "₩": "KRW",
    "₪": "ILS",
    "₺": "TRY",
    "₴": "UAH",
    "₦": "NGN",
    "₱": "PHP",
    "฿": "THB",
    "¥": "JPY",
    "Kč": "CZK",
    "zł": "PLN",
    "Ft": "HUF",
    "R$": "BRL",
    "US$": "USD",
    "C$": "CAD",
    "A$": "AUD",
    "$": "USD",
}

_CREDIT = """c cr crdt credit credito kredit k h haben bij i in inflow income incoming
jovairas bevetel eingang"""
_DEBIT = """d dr dbit debit debet debito s soll af o out outflow expense outgoing terheles
kiadas ausgang"""

FLAG_WORDS: dict[str, str] = {w: "credit" for w in _CREDIT.split()} | {w: "debit" for w in _DEBIT.split()}

PENDING_WORDS = frozenset(
    [
        "pending",
        "vorgemerkt",
        "umsatz vorgemerkt",
        "in behandeling",
        "in verwerking",
        "en attente",
        "pendiente",
        "pdng",
        "authorised",
        "authorized",
        "autorisiert",
        "reserviert",
        "reserved",
        "not yet booked",
        "nicht gebucht",
        "provisional",
        "in progress",
        "processing",
        "hold",
        "on hold",
        "vormerkung",
        "offen",
    ]
)

SKIP_STATUS_WORDS = frozenset(
    [
        "declined",
        "failed",
        "reverted",
        "cancelled",
        "canceled",
        "rejected",
        "abgelehnt",
        "void",
        "voided",
        "storniert",
        "refused",
        "geweigerd",
        "expired",
    ]
)

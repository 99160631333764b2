"""Column-name vocabulary for role detection (en, de, nl, fr, es, it, cs, sk, hu, lt, pl ...).

Names were collected from real bank exports (bank2ynab's ~100 layouts, csv2ofx, Sparkasse,
and others); matching is accent- and case-insensitive. :func:`header_scores` returns, per
role, a score in [0, 1]: 1.0 for an exact name, 0.8 when a keyword appears as words inside
the name, reduced when a "secondary" keyword says the column is a variant (value date,
original/foreign amount, own account name ...).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

log = logging.getLogger(__name__)

# fmt: off
ROLE_WORDS: dict[str, list[str]] = {
    "date": [
        "date", "datum", "fecha", "data", "dato", "buchungstag", "buchungsdatum", "buchung",
        "booking date", "posting date", "posted date", "transaction date", "trans date",
        "transactiedatum", "boekdatum", "boekingsdatum", "belegdatum", "datum provedeni",
        "datum zauctovani", "datum transakce", "tranzakcio datuma", "konyvelesi datum", "created",
        "date processed", "completed date", "journaldate", "journal date", "data operacji",
        "data ksiegowania", "kuupaev", "date operation", "datum verrichting", "operation date",
        "fecha operacion", "data operazione", "bokforingsdag", "transakcijos data",
    ],
    "amount": [
        "amount", "betrag", "bedrag", "montant", "importe", "monto", "importo", "castka", "osszeg",
        "osszege", "suma", "kwota", "belopp", "belob", "summa", "umsatz", "buchungsbetrag",
        "net amount", "netamount", "zauctovana castka", "tranzakcio osszege", "transaction amount",
        "total", "valor", "bedrag eur", "suma eur",
    ],
    "debit": [
        "debit", "debet", "debit amount", "withdrawal", "withdrawals", "soll", "paid out",
        "money out", "outflow", "ausgang", "ausgaben", "cargo", "cargos", "uscite", "belastung",
        "terheles", "charges", "spent", "debito", "lastschrift betrag", "out",
    ],
    "credit": [
        "credit", "kredit", "credit amount", "deposit", "deposits", "haben", "paid in", "money in",
        "inflow", "eingang", "einnahmen", "abono", "abonos", "entrate", "gutschrift", "jovairas",
        "credito", "received", "in",
    ],
    "description": [
        "description", "details", "memo", "verwendungszweck", "omschrijving", "mededeling",
        "vrije mededeling", "libelle", "libelle operation", "concepto", "descripcion",
        "transaction details", "narrative", "particulars", "zprava", "zprava pro prijemce", "popis",
        "kozlemeny", "reason", "purpose", "transaktionsbeschreibung", "desc", "beschreibung",
        "message", "text", "toelichting", "vwz", "descrizione", "causale", "opis", "paskirtis",
        "mokejimo paskirtis", "info text", "verwendung", "buchungstext", "transaction description",
        "original description",
    ],
    "payee": [
        "payee", "beneficiary", "beguenstigter", "zahlungspflichtiger", "empfanger", "empfaenger",
        "auftraggeber", "name", "naam", "naam tegenpartij", "tegenpartij", "counterparty",
        "counter party", "partner name", "partner neve", "merchant", "merchant name", "handelaar",
        "nom", "beneficiario", "nazev protiuctu", "counteraccount name", "recipient", "payer",
        "store name", "haendler", "partner", "gavejas", "moketojas", "kontrahent", "odbiorca",
        "nadawca", "destinatario",
    ],
    "balance": [
        "balance", "saldo", "kontostand", "running balance", "runningbalance", "solde", "egyenleg",
        "saldo na trn", "balance after", "zustatek", "ledger balance", "likutis",
    ],
    "reference": [
        "reference", "referenz", "ref", "transaction id", "transaction reference",
        "transactiereferentie", "buchungsreferenz", "kundenreferenz", "reference number",
        "reference no", "n de transaction", "no de transaction", "id transakce", "record id",
        "order id", "check number", "checknumber", "num", "volgnr", "id", "transactie id",
        "betalingskenmerk", "sepa reference", "client reference", "reference id",
        "megbizas azonosito", "transaction reference number", "referencni cislo transakce", "tx id",
        "transaktions id", "numero", "doc no",
    ],
    "currency": [
        "currency", "wahrung", "waehrung", "munt", "devise", "moneda", "mena", "devizanem", "ccy",
        "divisa", "valuta", "buchungswahrung", "currency code", "valiuta", "waluta",
        "tranzakcio devizaneme", "mena uctu",
    ],
    "flag": [
        "d k", "c d", "d c", "cd", "dc", "credit debit", "debit credit", "af bij", "bij af",
        "soll haben", "s h", "transaction type", "type", "bevetel kiadas", "cdtdbtind", "sign",
        "richtung", "indicator", "debet credit", "mark",
    ],
    "status": [
        "status", "state", "info", "estado", "zustand", "stav",
    ],
    "account": [
        "iban bban", "auftragskonto", "rekeningnummer", "account no", "account", "rekening",
        "kontonummer", "iban", "account number", "cislo uctu", "szamlaszam", "produit",
        "own account", "konto", "account iban",
    ],
}
# fmt: on

# A keyword found with one of these makes the column a variant of the role.
# fmt: off
SECONDARY: dict[str, list[str]] = {
    "date": [
        "valuta", "value", "wert", "rente", "valeur", "execution", "settlement", "verrekening",
        "provedeni", "some other", "exp", "birth",
    ],
    "amount": [
        "original", "orig", "oorspr", "fremd", "foreign", "local", "converted", "refund", "fee",
        "tax", "shipping", "gift", "exchange", "rate", "kurs", "koers", "ursprung", "auslagen",
        "transfer amount", "kosten", "compensation", "in eur", "prevodni", "puvodni",
    ],
    "payee": [
        "auftraggeberkonto", "iban", "konto", "account", "bic", "blz", "account name",
        "kaarthouder", "cardholder", "card holder", "bank", "szamla neve", "customer", "card name",
    ],
    "account": [
        "tegenrekening", "counter", "partner", "gegen", "protiuct", "payee", "beneficiary",
        "empfanger", "name", "auftraggeberkonto",
    ],
    "currency": [
        "fremd", "original", "foreign", "orig", "oorspr", "converted", "local", "ursprung",
        "transfer",
    ],
    "description": [
        "original description",
    ],
    "reference": [
        "batch", "mandat", "machtiging", "glaubiger", "creditor", "incassant", "afschrift",
        "statement", "symbol",
    ],
}
# fmt: on


def normalize_header(name: str) -> str:
    """Lowercase, strip accents, keep letters/digits as space-separated words."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.findall(r"[a-z0-9]+", ascii_only.lower().replace("ß", "ss"))
    return " ".join(words)


@lru_cache(maxsize=4096)
def header_scores(name: str) -> dict[str, float]:
    """Score of the column name for every role (missing role = 0)."""
    norm = re.sub(r"\s*\d+$", "", normalize_header(name))
    scores: dict[str, float] = {}
    if not norm:
        return scores
    padded = f" {norm} "
    for role, words in ROLE_WORDS.items():
        best = 0.0
        for word in words:
            if norm == word:
                best = 1.0
                break
            if len(word) > 2 and f" {word} " in padded:
                best = max(best, 0.8)
            elif len(word) >= 5 and word in norm.replace(" ", ""):
                best = max(best, 0.6)
        if best and any(f" {w} " in padded or (len(w) > 4 and w in norm) for w in SECONDARY.get(role, [])):
            best *= 0.4
        if best and role == "description" and norm in _TYPE_LIKE:
            best = min(best, 0.65)
        if best:
            scores[role] = best
    return scores


# Names of "booking text" / type columns: a description only when nothing better exists.
_TYPE_LIKE = {"buchungstext", "umsatzart", "original description", "items", "transaction type"}

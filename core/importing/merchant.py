"""A stable merchant key from a bank description, for grouping and for the ML features.

``normalize_merchant("POS PURCHASE (EFFEC 12/07) DJS BILTONG (PTY) LTD NORKE CARD NO. 4451",
None)`` and ``normalize_merchant("POS Purchase Djs Biltong Norke  * 14 Oct", None)`` both
give ``"DJS BILTONG NORKE"``. Steps, on the upper-cased text: drop structured SEPA keys
(keeping the purpose), card numbers, dates and times, amounts, long digit runs and
reference-like tokens, channel words (``POS PURCHASE``, ``KARTENZAHLUNG``, ``CARD NO.``,
``BEA``...), payment-processor prefixes (``SQ *``, ``PAYPAL *``), legal forms (``LTD``,
``GMBH``...), trailing country and state codes and card-use words (``AUS CARD``, ``TAP AND
PAY``); then split fixed-width descriptors on runs of spaces and keep the merchant part. The
result is upper case, at most 5 words, and never empty when the input had letters (fallback:
the letters of the input).

:func:`flat_merchant` reads a fixed-width line as one run of words instead ("LAWLERS
WHOLELIFE  DEE WHY  NSW" -> "LAWLERS WHOLELIFE DEE WHY NSW"): the name the same shop gets when
a bank's other export writes it with single spaces (see :mod:`core.merchant_spellings`).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from core.importing.vocab import ISO_CURRENCIES
from ml.text import strip_location

log = logging.getLogger(__name__)

_SEPA_KEY_NAMES = "EREF|MREF|CRED|KREF|IBAN|BIC|ABWE|ABWA|DEBT|COAM|OAMT|SVWZ|PURP"
_SEPA_KEYS = re.compile(rf"(?:{_SEPA_KEY_NAMES})\+")
_SEPA_FIELDS = re.compile(rf"({_SEPA_KEY_NAMES})\+(.*?)(?=(?:{_SEPA_KEY_NAMES})\+|$)")
_CARD = re.compile(
    r"(?:\b(?:\d[ -]?){12,19}\b|[X*•]{2,}[ -]?\d{2,4}\b|\bCARD\s*(?:NO|NR|NUMBER)\.?\s*[:#]?\s*[X*\d]*)"
)
_PAREN = re.compile(r"\((?:EFFEC|CARD|VALUE|VAL|REF)[^)]*\)|\(\s*\)")
_DATE = re.compile(
    r"\b\d{1,4}[./-]\d{1,2}(?:[./-]\d{2,4})?\.?(?=\s|$|[^\d])"
    r"|\b\d{1,2}\s?(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)[A-Z]*\.?(?:\s?\d{2,4})?\b"
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\b"
)
_GLUED_DATE = re.compile(r"\b([A-Z]{2,4})(\d{1,2}(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))\b")
"""A channel word with the day and month glued to it ("POS01SEP STATOIL", Bank of Ireland):
split, so that the date goes and the word is read as the channel word it is."""
_AMOUNT = re.compile(
    r"\b\d{1,3}(?:[.,' ]\d{3})+[.,]\d{2}\b"
    r"|\b\d+[.,]\d{2}\b(?:\s?(?:EUR|USD|GBP|CHF|ZAR|SGD|LTL|CZK|HUF|PLN|SEK|NOK|DKK)\b)?"
)
_REFISH = re.compile(
    r"\b\d+(?:[-/.]\d+)+\b|\b(?=(?:[A-Z/_-]*\d){2})(?=[A-Z0-9/_-]*[A-Z])[A-Z0-9/_-]{6,}\b|\b\d{3,}\b|\b[A-Z]\d{1,5}\b"
)
_NOISE = (
    r"RECURRING CARD PURCHASE|POS PURCHASE|CARD PURCHASE|DEBIT PURCHASE|PURCHASE|POS|PØS|"
    r"KARTENZAHLUNG|KARTENZAHLUNG/-ABRECHNUNG|LASTSCHRIFT|FOLGELASTSCHRIFT|ERSTLASTSCHRIFT|"
    r"GUTSCHRIFT|DAUERAUFTRAG|UEBERWEISUNG|ÜBERWEISUNG|INTERNET-ÜBERWEISUNG|SEPA|"
    r"BASISLASTSCHRIFT|ONLINE BANKING|BETALING|BEA|GEA|PIN|PAS\d*|NR|VISA|MASTERCARD|MAESTRO|"
    r"DEBIT CARD|CREDIT CARD|CARD|CONTACTLESS|APPLE PAY|GOOGLE PAY|EC|TERMINAL|ZAHLUNG|"
    r"PAYMENT TO|PAYMENT FROM|PAYMENT|TRANSFER TO|TRANSFER FROM|DIRECT DEBIT|DIRECT CREDIT|STANDING ORDER|"
    r"FASTER PAYMENT|EFFEC|NONREF|REF|TRX|AUTH|PIRKINYS|ACHAT|CB|PRLV|VIR|VIREMENT|COMPRA EN|"
    r"COMPRA|PAGO EN|PAGO|RECIBO"
)
_NOISE_RE = re.compile(rf"^(?:(?:{_NOISE})\b[\s:*.#-]*)+")
_PROCESSOR = re.compile(r"^(?:SQ|TST|SP|PP|PAYPAL|YOCO|DASHPAY|IZ|SUMUP|ZETTLE|APL|GOOGLE|AMZN MKTP)\s?\*\s*")
_LEGAL = re.compile(
    r"(?:(?<=\s)|^)(?:\(PTY\)|PTY|LTD|LIMITED|GMBH|MBH|AG|BV|B\.V\.|NV|N\.V\.|SA|S\.A\.|SARL|S\.A\.R\.L\.|"
    r"INC|LLC|CO|KG|OHG|SE|PLC|AB|AS|OY|SPA|S\.P\.A\.|SRL|S\.R\.L\.|KFT|S\.R\.O\.|SRO|CIE|"
    r"S\.C\.A|SCA|ET|EO|E\.K\.|UG)(?=\s|$|[.,])\.?"
)
_COUNTRY_TAIL = re.compile(  # a word of its own, or glued to a one-letter state ("... SGBR")
    r"(?:(?<=\s)|(?<=\s[A-Z])|^)(?:GBR|USA|NLD|DEU|AUT|SGP|ZAF|FRA|ESP|BEL|CHE|IRL|LTU|CZE|HUN|POL|ITA|SWE|GTZA|LUX|LND)\s*$"
)
# how a card was used and the export's date label, at the end of a descriptor ("... DEE WHY NS
# AUS Card xx0033 Value Date: 08/08/2022", "... NSW TAP AND PAY 0733"): not part of the name
_CHANNEL_TAIL = re.compile(r"(?:^|\s)(?:CARD|TAP AND PAY|TAP & PAY|TAP N PAY|TAP TO PAY|VALUE DATE:?|"
                           r"CONTACTLESS)$")
_RUN = re.compile(r"\s{2,}")
_SPLIT = re.compile(r"\s{2,}|\s[|*]\s|\s[|*]$|^[|*]\s")
_JUNK = re.compile(r"[^\w&'.+/@*-]+")
_SPACES = re.compile(r"\s+")


_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_BY_SHAPE: dict[tuple[bytes, bytes | None], str] = {}
_SHAPE_LIMIT = 200_000


def normalize_merchant(description: str, payee: str | None = None) -> str:
    """Merchant key for ``payee`` when it has a usable name, else for ``description``.

    Every rule looks at digit classes and run lengths, never at digit values, so texts
    that differ only in their digits (terminal ids, times, references) get the same key
    whenever that key has no digits; such keys are shared through a shape cache.
    """
    shape = (_shape(description), _shape(payee) if payee else None)
    hit = _BY_SHAPE.get(shape)
    if hit is not None:
        return hit
    key = _normalize_cached(description, payee)
    if not any(c.isdigit() for c in key):
        if len(_BY_SHAPE) >= _SHAPE_LIMIT:
            _BY_SHAPE.clear()
        _BY_SHAPE[shape] = key
    return key


def flat_merchant(description: str, payee: str | None = None) -> str | None:
    """:func:`normalize_merchant` of the line with its runs of spaces read as one space, when
    the line has such runs (a fixed-width descriptor, whose merchant is only its first field);
    ``None`` when it has none (its flat name is its merchant)."""
    if not (_has_run(description) or (payee and _has_run(payee))):
        return None
    return normalize_merchant(_RUN.sub(" ", description), _RUN.sub(" ", payee) if payee else payee)


def _has_run(text: str) -> bool:
    """Whether ``text`` has two or more whitespace characters in a row (substring tests first:
    most lines have neither a double space nor a tab)."""
    return ("  " in text or "\t" in text or "\n" in text) and _RUN.search(text) is not None


def _shape(text: str) -> bytes:
    """``text`` with every digit 1-9 replaced by 0 (bytes: much faster than str.translate)."""
    return text.encode("utf-8", "surrogatepass").translate(_DIGITS)


@lru_cache(maxsize=16384)
def _normalize_cached(description: str, payee: str | None) -> str:
    for source in (payee, description):
        if source and any(c.isalpha() for c in source):
            key = _clean(source)
            if key:
                return key
    for source in (payee, description):
        letters = " ".join(re.findall(r"[^\W\d_]+", (source or "").upper()))
        if letters:
            return letters[:60].strip()
    return ""


def _clean(text: str) -> str:
    s = text.upper().replace("’", "'")
    if _SEPA_KEYS.search(s):
        s = _sepa_purpose(s)
    s = _PAREN.sub(" ", s)
    s = _CARD.sub("  ", s)
    s = _DATE.sub("  ", _GLUED_DATE.sub(r"\1 \2", s))
    s = _AMOUNT.sub("  ", s)
    segments = [seg for seg in _SPLIT.split(s) if seg and seg.strip()]
    candidates = [_clean_segment(seg) for seg in segments] or [_clean_segment(s)]
    parts = [c for c in candidates if _letters(c) >= 3] or [c for c in candidates if _letters(c) >= 2]
    if not parts:
        return ""
    return " ".join(parts[0].split()[:5])


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def _clean_segment(seg: str) -> str:
    s = _REFISH.sub(" ", seg)
    s = _JUNK.sub(" ", s)
    s = _SPACES.sub(" ", s).strip(" .-/'")
    for _ in range(3):
        before = s
        s = _NOISE_RE.sub("", s).strip(" .-/*:")
        s = _PROCESSOR.sub("", s).strip()
        s = _COUNTRY_TAIL.sub("", s).strip(" .-/,")
        s = _CHANNEL_TAIL.sub("", s).strip(" .-/,:")
        s = strip_location(s, keep=1)  # "COLES DEE WHY AU AUS" -> "COLES DEE WHY"
        if s == before:
            break
    named = _LEGAL.sub(" ", s.replace("*", " "))
    if _letters(named) < 2:  # nothing but a legal form ("BV"): that is the name it has
        named = s.replace("*", " ")
    s = " ".join(w for w in named.split() if w not in ISO_CURRENCIES)
    s = _SPACES.sub(" ", s).strip(" .-/,&'")
    return s


def _sepa_purpose(s: str) -> str:
    """Keep ABWA (other party) or SVWZ (purpose) text from a structured SEPA description."""
    fields = dict(_SEPA_FIELDS.findall(s))
    return fields.get("ABWA") or fields.get("SVWZ") or _SEPA_KEYS.split(s)[0] or s

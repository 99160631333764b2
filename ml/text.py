"""Normalization of bank statement descriptions.

Statement lines carry noise that changes from one occurrence of a merchant to the next: card
numbers, dates, times, references, store numbers. :func:`normalize_description` removes it so
that ``"POS Purchase Woolworths * 23 Aug"`` and ``"POS Purchase Woolworths * 28 Aug"`` become
the same string. The result is the key of the embedding cache (one embedding per distinct
normalized description) and the text every model in :mod:`ml` works on.

:func:`merchant_key` goes one step further and drops the payment-channel words that banks put
around the merchant name ("pos purchase", "card", "recurring", ...), giving the key under which
the categorizer remembers what the user filed a merchant under.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

log = logging.getLogger(__name__)

_MONTHS = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
           r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_CURRENCIES = ("usd|eur|gbp|aud|nzd|cad|chf|jpy|cny|hkd|sgd|sek|nok|dkk|pln|czk|huf|ron|zar|inr"
               "|thb|idr|myr|php|krw|twd|mxn|brl|aed|ils|isk|vnd")
"""ISO codes of the most used currencies: next to an amount ("SGD 29.19", "12.00USD") they are
the card network's conversion note of a purchase abroad, not part of the merchant's name."""

_PATTERNS: list[re.Pattern[str]] = [
    # a foreign amount with its currency code: "DING TAI FUNG-MBS SINGAPORE SG SGD 29.19 SGD
    # 29.19" (left as "sgd sgd", the line read like an ATM withdrawal)
    re.compile(rf"\b(?:{_CURRENCIES})\s?\d[\d,.']*|\b\d[\d,.']*\s?(?:{_CURRENCIES})\b", re.I),
    # masked or labelled card / account numbers: "card no. 1234", "xxxx1234", "****1234",
    # "****E2Z8" (whatever follows a run of * or # is part of the mask)
    re.compile(r"\b(?:card|acct|account|a/c)\s*(?:no\.?|number|nr\.?|#)\s*[\dx*]*", re.I),
    # (a run of x is a mask only outside a word: "exxon", "tj maxx" and "xxl" keep theirs)
    re.compile(r"[*#]{2,}[\w*#]*|(?<![^\W\d_])x{2,}[\dx*#]*(?![^\W\d_])", re.I),
    # ISO and numeric dates, times
    re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}(?:[t ]\d{1,2}:\d{2}(?::\d{2})?)?\b", re.I),
    re.compile(r"\b\d{1,2}[/.\-]\d{1,2}(?:[/.\-]\d{2,4})?\b/?"),
    re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b"),
    # "23 Aug", "23aug21", "Aug 23", "23-AUG-2021"
    re.compile(rf"\b\d{{1,2}}[\s\-]?(?:{_MONTHS})\b(?:[\s\-]?\d{{2,4}}\b)?", re.I),
    re.compile(rf"\b(?:{_MONTHS})[\s\-]?\d{{1,2}}\b(?:,?\s?\d{{4}}\b)?", re.I),
    # labelled references: "ref: ABC123", "reference 99812", "trace #12"
    re.compile(r"\b(?:ref(?:erence)?|trace|auth|txn|id)\b[\s.:#-]*[a-z0-9/-]*\d[a-z0-9/-]*",
               re.I),
]
_TOKEN_OK = re.compile(r"[^\W_]+(?:[.&'/-][^\W_]+)*")
_KEEP = re.compile(r"[^\w&'./-]+")
_KEY_SPLIT = re.compile(r"[\s./-]+")
_DASH_NUM = re.compile(r"-(?=\d)")  # "fee-639.99" -> "fee 639.99"; "7-eleven" stays

# Words that describe how a payment was made rather than who was paid.
CHANNEL_WORDS = frozenset("""
pos purchase purchases card cards debit credit visa mastercard maestro contactless recurring
online payment pmt dd so sto direct standing order eft fpi fps bacs chaps sepa transaction
trx txn tfr via ltd pty plc gmbh inc llc bv sa co the of at in on from to for and
sq tst sumup iz izettle zettle paypal pp yoco zapper snapscan ikh magtape gpay applepay
ach crd tran purch pymt dbt ppd ccd pøs internet überweisung ueberweisung uberweisung lastschrift
gutschrift dauerauftrag kartenzahlung virement prelevement prélèvement overboeking
""".split())


CHANNEL_PHRASES = ("tap and pay", "tap & pay", "tap n pay", "tap to pay", "value date")
"""How a card was used ("Tap and Pay", contactless) and a date's label ("Value Date: 21/11/2021",
the date itself is stripped as noise): not who was paid. Words of their own elsewhere ("The
Tap Room", "Pay Less")."""
_CHANNEL_PHRASE = re.compile(r"(?<![^\W_])(?:" + "|".join(re.escape(p) for p in CHANNEL_PHRASES)
                             + r")(?![^\W_])")

LOCATION_CODES = frozenset("""
au aus us usa gb gbr uk nz nzl ca can za zaf ie irl sg sgp hk hkg
nsw vic qld tas act nt ns vi ql
al ak az ar co ct de fl ga hi id il ia ks ky la me md ma mi mn ms mo mt ne nv nh nj nm ny nc nd
oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy dc
""".split())
"""Country codes and Australian and US state codes that card networks put at the end of a
merchant descriptor ("ALDI STORES - DEE WHY DEE WHY AU", "TELSTRA MELBOURNE VIC", "GITHUB SAN
FRANCISCO CA"; "ns", "vi" and "ql" are NSW, VIC and QLD cut to the two characters of a
fixed-width state field, "DEE WHY NS AUS"): the same shop with and without them is one
merchant. Dropped from the end of a merchant key only while more than two words are left, so a
short name keeps its last word (the importer's name keeps one word,
:mod:`core.importing.merchant`)."""


# What the foreign channel words say, in English: the sentence encoder reads English only, and
# "überweisung" (German for a bank transfer) embeds next to "uber" (Taxi & Rideshare). Used for
# the embedded text of a line made of nothing but channel words (:func:`english_channel`).
CHANNEL_GLOSS = {
    "überweisung": "transfer", "ueberweisung": "transfer", "uberweisung": "transfer",
    "lastschrift": "direct debit", "gutschrift": "incoming credit",
    "dauerauftrag": "standing order", "kartenzahlung": "card payment",
    "virement": "transfer", "prelevement": "direct debit", "prélèvement": "direct debit",
    "overboeking": "transfer", "internet": "",  # how it was sent ("online" read as shopping)
}
"""Plain words: "bank transfer" sat next to a user's "CASH WITHDRAWAL NORTHBANK" (ATM Withdrawal,
55-71%), and "online" next to online shopping; "transfer" says what the line says."""


_NOISE = re.compile("|".join(f"(?:{p.pattern})" for p in _PATTERNS), re.I)
_GLUED_DATE = re.compile(rf"\b([^\W\d_]{{2,4}})\d{{1,2}}(?:{_MONTHS})\b", re.I)
"""A short channel word with the day and month glued to it, as Bank of Ireland writes its
card lines ("POS01SEP STATOIL", "ATM08SEP"): the word stays, the date goes ("pos statoil"), so
the same shop on another day is the same merchant."""
_DIGIT = re.compile(r"\d")
# every noise pattern needs a digit, a run of x/*/# or a card/account label
_MAY_HAVE_NOISE = re.compile(r"\d|[x*#]{2}|card|acc|a/c")
_PUNCT = re.compile(r"[.&'/-]")


def _keep_token(tok: str) -> bool:
    if not _DIGIT.search(tok):
        return True
    digits = len(_DIGIT.findall(tok))
    core = _PUNCT.sub("", tok)
    if digits == len(core):
        return False  # a pure number: amount, store number, reference
    # letters mixed with digits: keep short brand-like tokens ("o2", "7-eleven", "3m"),
    # drop reference-like ones ("vodsb8nhsb1k", "i6522327")
    return digits <= 2 and len(core) <= 8


_GLUED_NUMBER = re.compile(r"([^\W\d_]{3,})\d{2,}")
"""A word with a number of two or more digits glued to its end: a store number or a month
("tesco2231", "miete04", "strom15"); one digit is part of a name ("jet2", "round1").
Letters a-f only, after at most one other letter, are a hexadecimal reference ("DACE7876",
"CDBDC154", "PFAF554"), not a word (_HEX)."""
_HEX = re.compile(r"[a-z]?[a-f]+")
_NUMBER_GLUED = re.compile(r"\d*(?:[^\W\d_]{1,2})?\d{2,}([^\W\d_]{3,})")
"""A number glued to the start of a word: a store or terminal number before the name
("1194900kwick", "x0061raleigh", "999pn0920wechsel"). At most one short letter group may come
before the number; a token with more ("dn3t14kggru", "a00a9l180zfh") is a reference."""


def _kept_pieces(tok: str) -> list[str]:
    """``tok`` if it is kept, else its kept "/"-separated pieces: "bolt.eu/o/2401091" keeps
    "bolt.eu" and "o" rather than losing the merchant with the reference. A word of three or
    more letters with a number glued to its end keeps the word: "TESCO2231" is Tesco (the
    whole token would go as a reference, and with it the merchant), "MIETE04" and "MIETE05"
    are the same rent; so does a word with a store number glued to its start ("1194900KWICK",
    "999PN0920WECHSEL"), and the same holds for each "/"-separated piece ("x/tesco2231"); "o2",
    "3m", "ps5" and "jet2" stay whole, and a hexadecimal reference ("DACE7876") goes as before."""
    word = _glued_word(tok)
    if word:
        return [word]
    if _keep_token(tok):
        return [tok]
    if "/" not in tok:
        return []
    return [w for p in tok.split("/") if p for w in [_glued_word(p) or p] if _keep_token(w)]


def _glued_word(tok: str) -> str | None:
    """The word of a word with a number glued to its end or start (:data:`_GLUED_NUMBER`,
    :data:`_NUMBER_GLUED`), unless it is hexadecimal; else None."""
    glued = _GLUED_NUMBER.fullmatch(tok) or _NUMBER_GLUED.fullmatch(tok)
    if glued and not _HEX.fullmatch(glued.group(1)):
        return glued.group(1)
    return None


def normalize_description(s: object) -> str:
    """Lowercase ``s`` and strip card numbers, dates, times, references and digit runs.

    Punctuation other than ``& ' . / -`` inside words becomes a space; whitespace is collapsed.
    ``None``/NaN give ``""``. Idempotent: ``normalize(normalize(s)) == normalize(s)``.
    """
    if s is None or (isinstance(s, float) and s != s):
        return ""
    return _normalize(str(s))


@lru_cache(maxsize=1 << 18)
def _normalize(s: str) -> str:
    """:func:`normalize_description` of a string, remembered: a long-lived job process refits
    each user's model after corrections and sees the same descriptions again and again
    (bounded: at most 262,144 strings, some 30 MB)."""
    text = s.lower()
    if _MAY_HAVE_NOISE.search(text):
        text = _DASH_NUM.sub(" ", _KEEP.sub(" ", _NOISE.sub(" ", _GLUED_DATE.sub(r"\1 ", text))))
        tokens = [piece for raw in text.split() for tok in _TOKEN_OK.findall(raw)
                  for piece in _kept_pieces(tok)]
    else:  # nothing numeric to strip (the common case for merchant names)
        tokens = [tok for raw in _KEEP.sub(" ", text).split() for tok in _TOKEN_OK.findall(raw)]
    return " ".join(tokens)


def merchant_key(s: object) -> str:
    """The normalized description without payment-channel words; the merchant memory key.

    Falls back to the normalized description when nothing but channel words is left
    (so "Card Purchase" still has a key).
    """
    return key_of_normalized(normalize_description(s))


def key_of_normalized(norm: str) -> str:
    """:func:`merchant_key` of an already normalized description: without channel words and
    phrases (:data:`CHANNEL_PHRASES`) and without a trailing location code
    (:data:`LOCATION_CODES`) while more than two words are left."""
    words = _without_location([w for w in _KEY_SPLIT.split(_CHANNEL_PHRASE.sub(" ", norm))
                               if w and w not in CHANNEL_WORDS])
    return " ".join(words) if words else norm


def strip_location(text: str, keep: int = 2) -> str:
    """``text`` (space-separated, any case) without its trailing location codes
    (:data:`LOCATION_CODES`, while more than ``keep`` words are left; the importer's merchant
    name keeps one)."""
    words = text.split()
    kept = _without_location(words, keep)
    return text if len(kept) == len(words) else " ".join(kept)


def _without_location(words: list[str], keep: int = 2) -> list[str]:
    end = len(words)
    while end > keep and words[end - 1].lower() in LOCATION_CODES:
        end -= 1
    return words[:end]


def english_channel(norm: str) -> str:
    """``norm`` with its foreign payment-channel words in English (:data:`CHANNEL_GLOSS`) when it
    holds a foreign one, else ``norm`` itself: "internet-überweisung" -> "transfer"."""
    parts = [w for w in _KEY_SPLIT.split(norm) if w]
    if not any(CHANNEL_GLOSS.get(w) for w in parts):
        return norm
    return " ".join(g for g in (CHANNEL_GLOSS.get(w, w) for w in parts) if g)


def words(s: str) -> list[str]:
    """Alphabetic words of a normalized text (for explanations and the keyword lexicon)."""
    return re.findall(r"[^\W\d_][^\W_]*(?:['&][^\W_]+)*", s)

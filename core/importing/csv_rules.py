"""Small per-value decisions for tabular exports.

Status words (declined rows are skipped, pending rows flagged), whether a reference column
holds the bank's ids, and which lines are opening/closing balances or totals rather than
transactions (a row with a date must match a whole phrase; a row without one only needs to
start with it).
"""

from __future__ import annotations

import logging
import re

from core.importing.csv_headers import normalize_header
from core.importing.vocab import PENDING_WORDS, SKIP_STATUS_WORDS

log = logging.getLogger(__name__)

# Applied to lower-cased text: case-insensitive matching of non-ASCII patterns is 10x slower.
SUMMARY_HINT = re.compile(
    r"balan|saldo|solde|konto|stav|egyenleg|sum|total|gesamt|turnover|umsätze|umsatze|umsaetze"
)


def status_kind(value: str) -> str:
    """``skip`` (declined, failed ...), ``pending`` or ``""`` for a status cell."""
    words = normalize_header(value)
    if not words:
        return ""
    if words in SKIP_STATUS_WORDS or words.split()[0] in SKIP_STATUS_WORDS:
        return "skip"
    if words in PENDING_WORDS or words.split()[-1] in PENDING_WORDS:
        return "pending"
    return ""


def looks_like_bank_ids(values: list[str]) -> bool:
    """A reference column is the bank's id only if it looks like one.

    Every row filled, all distinct, no spaces, and not a row counter: ids have letters
    or at least six characters and are not just 1, 2, 3 ... (those repeat next month).
    """
    filled = [v for v in values if v]
    if not (len(filled) == len(values) > 1 and len(set(filled)) == len(filled)):
        return False
    if any(" " in v or len(v) < 3 for v in filled):
        return False
    if all(v.isdigit() for v in filled):
        numbers = sorted(int(v) for v in filled)
        if numbers[-1] - numbers[0] == len(numbers) - 1 and max(map(len, filled)) < 6:
            return False
    return any(c.isalpha() for v in filled for c in v) or min(map(len, filled)) >= 6


_QUALIFIED = (
    r"(?:opening|closing|start|end|final|beginning|ending|available|ledger|current|new|old|"
    r"previous|begin|eind|anfangs|alter|neuer)\s+(?:balance|saldo|solde|kontostand)"
)
_BARE = r"(?:balance|saldo|solde|kontostand|stav uctu|egyenleg)"
_TOTALS = r"(?:sum|summe|total|totaal|totale|gesamt|turnover|somme|subtotal|totals|umsatze gesamt)"
_COMPOUND = r"(?:anfangs|end|schluss|begin|eind|start)saldo"
# Whole-text match: safe even on rows that carry a date.
SUMMARY_EXACT = re.compile(
    rf"^(?:{_QUALIFIED}|{_BARE}|{_TOTALS}|{_COMPOUND})(?:\s+(?:per|am|au|al|on|as of|vom|zum|op))?"
    r"(?:\s+[\d ]*)?$|\bbalance (?:brought|carried) forward\b"
)
# Prefix match: only for rows without a date.
SUMMARY_PREFIX = re.compile(rf"^(?:{_QUALIFIED}|{_BARE}|{_TOTALS}|{_COMPOUND})\b")


def is_summary_text(text: str, dated: bool = True) -> bool:
    """True for opening/closing balance, totals and turnover lines (normalized text).

    A row with a date must match a whole phrase (``Closing balance``, ``Turnover``,
    ``Saldo 31 12 2019``); a row without a date only needs to start with one.
    """
    if SUMMARY_EXACT.search(text):
        return True
    return not dated and bool(SUMMARY_PREFIX.search(text))

"""Duplicate detection for imports: exact keys, then fuzzy "possible duplicates" (pure).

Exact key per transaction (unique per account in the database):

* ``x:<bank id>`` when the format carries the bank's own id (OFX FITID, camt AcctSvcrRef,
  MT940 reference ...); a bank id repeated inside one file gets ``#2``, ``#3`` ...;
* otherwise ``k:<hash of date|amount|normalized description|normalized payee>#<n>``, where
  ``n`` counts identical transactions in the file: two coffees on one day are ``#1`` and
  ``#2``, both kept, and a re-import (or an overlapping statement) matches them one to one.

:func:`classify` compares incoming rows with the account's existing rows near the file's
date range: an exact key (or an alias the user confirmed, see ``dedupe_aliases``) is a
duplicate and is not inserted. Each remaining row is compared with existing rows that no
exact match claimed: same amount, dated at most ``tolerance_days`` apart, and the same
date, the same normalized description, the same merchant, a similar description (words or
characters), or a pending row now posted. Such a row is inserted but marked as a *possible
duplicate* with a reason, for the user to decide; matching is one to one, closest first.
Nothing is merged or dropped silently.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
_NOT_ALNUM = re.compile(r"[\W_]+")
_WORD = re.compile(r"[^\W\d_]{2,}")
# every ASCII character but a-z, A-Z, 0-9: what ``_NOT_ALNUM`` removes from ASCII text
_ASCII_DROP = {c: None for c in range(128) if not chr(c).isalnum()}


def normalize_text(text: str | None) -> str:
    """Lower case, accents folded, only letters and digits: ``"Tesco  Stores-22"`` ->
    ``"tescostores22"``."""
    if not text:
        return ""
    if text.isascii():
        return text.lower().translate(_ASCII_DROP)
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode() or text
    return _NOT_ALNUM.sub("", folded.casefold())


class KeyMaker:
    """Dedupe keys one row at a time, in file order (the ``#n`` counts need the order)."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = defaultdict(int)
        self._names: dict[str | None, str] = {}  # payees repeat: normalize each once

    def key(self, date: dt.date, amount: Decimal, description: str, payee: str | None,
            external_id: str | None) -> str:
        if external_id and external_id.strip():
            base = "x:" + external_id.strip()[:200]
            self._seen[base] += 1
            n = self._seen[base]
            return base if n == 1 else f"{base}#{n}"
        name = self._names.get(payee)
        if name is None:
            name = self._names[payee] = normalize_text(payee)
        text = f"{date.isoformat()}|{amount.quantize(CENT)}|{normalize_text(description)}|{name}"
        base = "k:" + hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
        self._seen[base] += 1
        return f"{base}#{self._seen[base]}"


def dedupe_keys(rows: Iterable[tuple[dt.date, Decimal, str, str | None, str | None]]) -> list[str]:
    """Keys for ``(date, amount, description, payee, external_id)`` rows, in file order."""
    maker = KeyMaker()
    return [maker.key(*row) for row in rows]


def bank_id_keys(external_ids: Iterable[str | None]) -> list[str]:
    """The ``x:`` keys of a file's rows (the same as :func:`dedupe_keys` gives them), from
    their bank ids alone: enough to look up existing rows before the other keys exist."""
    maker, day, zero = KeyMaker(), dt.date(2000, 1, 1), Decimal(0)
    return [maker.key(day, zero, "", None, e) for e in external_ids if e and e.strip()]


@dataclass(slots=True)
class Incoming:
    """A parsed row about to be imported (``index`` = its position in the parse result)."""

    index: int
    date: dt.date
    amount: Decimal
    description: str
    merchant: str
    key: str
    pending: bool = False


@dataclass(slots=True)
class Existing:
    """A row already in the account: its key plus confirmed aliases."""

    id: uuid.UUID
    date: dt.date
    amount: Decimal
    keys: tuple[str, ...]
    description: str
    merchant: str
    pending: bool = False


@dataclass
class DedupeResult:
    """``new``: indexes to insert; ``duplicates``: index -> existing id (not inserted);
    ``possible``: index -> (existing id, reason) (inserted, flagged); ``posted``: existing
    pending rows that the file now shows as booked."""

    new: list[int] = field(default_factory=list)
    duplicates: dict[int, uuid.UUID] = field(default_factory=dict)
    possible: dict[int, tuple[uuid.UUID, str]] = field(default_factory=dict)
    posted: list[uuid.UUID] = field(default_factory=list)


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def _similarity(a: str, b: str) -> float:
    """The larger of word overlap (Jaccard) and the character match ratio of the normalized
    texts (``"POS10SEP DOMINO'S PIZ"`` vs ``"POS 10SEP DOMINOS PIZZA"``: 0.95)."""
    wa, wb = _words(a), _words(b)
    words = len(wa & wb) / len(wa | wb) if wa and wb else 0.0
    na, nb = normalize_text(a), normalize_text(b)
    chars = SequenceMatcher(None, na, nb, autojunk=False).ratio() if na and nb else 0.0
    return max(words, chars)


def _reason(new: Incoming, old: Existing) -> tuple[int, str] | None:
    """Strength (higher = more alike) and a sentence, or None if not alike enough."""
    days = abs((new.date - old.date).days)
    when = "on the same day" if days == 0 else f"{days} day{'s' if days > 1 else ''} apart"
    same_text = normalize_text(new.description) == normalize_text(old.description)
    if old.pending and not new.pending:
        return 5, f"same amount {when} as a pending transaction imported earlier (now booked?)"
    if same_text:
        return 4, f"same amount and description, {when}"
    if new.merchant and new.merchant == old.merchant:
        return 3, f"same amount and merchant {new.merchant!r}, {when}; description reformatted"
    if _similarity(new.description, old.description) >= 0.7:
        return 2, f"same amount, similar description, {when}"
    if days == 0:
        return 1, f"same amount on the same day; description differs ({old.description[:40]!r})"
    return None


class ExactMatcher:
    """Claims existing rows for incoming rows with the same key (or a confirmed alias), one to
    one, in the order rows are offered; collects the result's ``duplicates`` and ``posted``."""

    def __init__(self, existing: Sequence[Existing]) -> None:
        self.existing = existing
        self.by_key: dict[str, Existing] = {}
        for row in existing:
            for key in row.keys:
                self.by_key.setdefault(key, row)
        self.claimed: set[uuid.UUID] = set()
        self.result = DedupeResult()

    def offer(self, index: int, key: str, pending: bool) -> bool:
        """True if the row is new (no unclaimed existing row has its key)."""
        match = self.by_key.get(key)
        if match is None or match.id in self.claimed:
            self.result.new.append(index)
            return True
        self.claimed.add(match.id)
        self.result.duplicates[index] = match.id
        if match.pending and not pending:
            self.result.posted.append(match.id)
        return False

    def possible(self, rest: Sequence[Incoming], *,
                 tolerance_days: int = 3) -> dict[int, tuple[uuid.UUID, str]]:
        """Fuzzy matches of the new rows ``rest`` among existing rows no exact key claimed
        (call after every row was offered); claims them too and stores them in ``result``."""
        by_amount: dict[Decimal, list[Existing]] = defaultdict(list)
        for row in self.existing:
            if row.id not in self.claimed:
                by_amount[row.amount.quantize(CENT)].append(row)
        pairs: list[tuple[int, int, int, Incoming, Existing, str]] = []
        for new in rest:
            for old in by_amount.get(new.amount.quantize(CENT), ()):
                days = abs((new.date - old.date).days)
                if days > tolerance_days:
                    continue
                found = _reason(new, old)
                if found:
                    pairs.append((-found[0], days, new.index, new, old, found[1]))
        pairs.sort(key=lambda p: p[:3])
        taken_new: set[int] = set()
        for _, _, idx, _new, old, reason in pairs:
            if idx in taken_new or old.id in self.claimed:
                continue
            taken_new.add(idx)
            self.claimed.add(old.id)
            self.result.possible[idx] = (old.id, reason)
        return self.result.possible


def classify(incoming: Sequence[Incoming], existing: Sequence[Existing], *,
             tolerance_days: int = 3) -> DedupeResult:
    """Split ``incoming`` into new rows, exact duplicates and possible duplicates."""
    matcher = ExactMatcher(existing)
    rest = [row for row in incoming if matcher.offer(row.index, row.key, row.pending)]
    if rest and existing:
        matcher.possible(rest, tolerance_days=tolerance_days)
    result = matcher.result
    log.debug("dedupe: %d new (%d possible duplicates), %d duplicates", len(result.new),
              len(result.possible), len(result.duplicates))
    return result

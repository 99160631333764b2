"""Merchants that look like one shop written two ways, for the Merchants tab's suggestions.

A bank writes one cash machine as "ATMD" and "ATM", one pharmacy as "Dis-Chem" and "DISCHEM",
one supermarket as "SPAR" and "SPAR EXPRESS". Each spelling is a merchant of its own to the
review queue and to the categorizer's memory until the user merges them (a rename, see
:mod:`core.merchant_rename`). :func:`similar_pairs` finds the pairs worth asking about, from the
names alone (pure; no IO):

- the same letters and digits ("Dis-Chem" / "DISCHEM");
- one name the other plus at most two characters ("ATM" / "ATMD"), or plus words after it
  ("SPAR" / "SPAR EXPRESS"), the shorter having at least 3 letters or digits;
- nearly the same letters: a similarity ratio (:class:`difflib.SequenceMatcher`) of at least
  :data:`MIN_SIMILARITY` ("WOOLWORTHS" / "WOOLWOTHS"), names of at least 5 characters.

Two names the user files under different categories are different shops, however alike
("Uber" for rides, "Uber Eats" for takeaway; "Metro" and "Metro Bank"): not suggested. Only
names that start with the same two characters are compared (a typo rarely sits there), which
keeps it fast for the 500 merchants the tab lists. Pairs the user said are different
(``apart``) are skipped. Fallbacks: fewer than two names, or none alike -> no pairs.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

log = logging.getLogger(__name__)

MIN_SIMILARITY = 0.9
"""Least similarity ratio of two names' letters to count as one name with a typo."""
_NOT_ALNUM = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Pair:
    """``merge`` looks like ``into`` (which has at least as many transactions); ``why`` says how."""

    merge: str
    into: str
    transactions: int  # of both together
    why: str


def compact(name: str) -> str:
    """Letters and digits only, lower case: "Dis-Chem" -> "dischem"."""
    return _NOT_ALNUM.sub("", name.casefold())


def apart_key(a: str, b: str) -> tuple[str, str]:
    """How a pair the user kept apart is stored: both names lower case, in order."""
    x, y = a.strip().lower(), b.strip().lower()
    return (x, y) if x < y else (y, x)


def _alike(a: str, b: str) -> str:
    """Why names ``a`` and ``b`` look like one merchant, or "" if they do not."""
    ca, cb = compact(a), compact(b)
    short, long_ = sorted((ca, cb), key=len)
    if len(short) < 3:
        return ""
    if ca == cb:
        return "the same letters"
    if long_.startswith(short):
        words = sorted((a.casefold().split(), b.casefold().split()), key=len)
        if len(long_) - len(short) <= 2:
            return "one name is the other plus a letter or two"
        if words[1][:len(words[0])] == words[0]:
            return "one name is the other plus more words"
    if len(short) >= 5 and SequenceMatcher(None, ca, cb).ratio() >= MIN_SIMILARITY:
        return "nearly the same spelling"
    return ""


def similar_pairs(names: Sequence[str], counts: Sequence[int],
                  categories: Sequence[str | None] | None = None,
                  apart: Iterable[tuple[str, str]] = (), limit: int = 10) -> list[Pair]:
    """Pairs among ``names`` (with their transaction ``counts`` and usual ``categories``, None
    where none is known) that look like one merchant, most transactions first, at most
    ``limit``; a name appears in one pair at most (the one with the most transactions), so
    merging them one by one never conflicts."""
    cats = list(categories) if categories is not None else [None] * len(names)
    skip = set(apart)
    buckets: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(names):
        if len(compact(name)) >= 3:
            buckets[compact(name)[:2]].append(i)
    found: list[Pair] = []
    for members in buckets.values():
        for x, i in enumerate(members):
            for j in members[x + 1:]:
                a, b = names[i], names[j]
                if a.strip().lower() == b.strip().lower() or apart_key(a, b) in skip:
                    continue
                if cats[i] and cats[j] and cats[i] != cats[j]:
                    continue  # filed apart: two shops
                if why := _alike(a, b):
                    small, big = sorted(((counts[i], a), (counts[j], b)),
                                        key=lambda t: (t[0], t[1].lower()))
                    found.append(Pair(small[1], big[1], small[0] + big[0], why))
    found.sort(key=lambda p: (-p.transactions, p.into.lower(), p.merge.lower()))
    used: set[str] = set()
    out: list[Pair] = []
    for pair in found:
        if pair.merge.lower() in used or pair.into.lower() in used:
            continue
        used.update((pair.merge.lower(), pair.into.lower()))
        out.append(pair)
        if len(out) == limit:
            break
    return out

"""A user's own statement boilerplate: words that say nothing about the category.

Every bank writes its own noise around the merchant name: Commonwealth Bank card lines end in
"AUS Card xx0033 Value Date: 21/11/2022" or "TAP AND PAY 5642", most lines carry the home
suburb ("DEE WHY NSW"). :data:`ml.text.CHANNEL_WORDS` lists the usual payment-channel words
of many banks, but no list knows every bank's format or every user's suburb, and such words
make the sentence embedding of one merchant look like every other merchant of the same
format and place.

:func:`boilerplate_words` finds them in the user's own labeled history instead: a word is
boilerplate when it occurs in many of the user's distinct merchant keys (at least
:data:`MIN_SHARE` of them and at least :data:`MIN_KEYS`) *and* says nothing about the
category: no category holds more than :data:`MAX_TOP_SHARE` of those keys, and they are
spread over many categories (:data:`MIN_SPREAD`). A frequent word that points to a category
("fee" in a South-African file: 71% "Bank Charges and Fees") is kept. A small sample looks
less spread than it is, which only keeps more words (the safe direction).

The thresholds were set from the frequent words of three real labeled files, not searched for
accuracy: Commonwealth Bank card lines ("aus", "value", "date", "tap", "pay", "nsw", the home
suburb: top share 0.30-0.40, spread 0.75-0.97 of the user's categories; "brookvale", the suburb of a
shopping centre, 58% "Shopping", is kept), a US Mint export ("pa" and "mechanicsburgpa", the
home town: stripped; "transfer", "vanguard", "com": kept) and the South-African file ("fee":
kept).

:func:`strip_words` removes them from the text that is embedded and from the text whose word
and character n-grams are compared (session 11: on the Commonwealth Bank file 7 fewer errors
of 2,907 strict, ECE 0.025 -> 0.019; the other files within a row or two); the merchant
memory key and the keyword lexicon still see the whole line. Pure functions.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable

import numpy as np

log = logging.getLogger(__name__)

MIN_SHARE = 0.05
"""A boilerplate word occurs in at least this share of the user's distinct merchant keys..."""
MIN_KEYS = 10
"""...and in at least this many of them."""
MAX_TOP_SHARE = 0.4
"""...no category holds more than this share of the keys holding it..."""
MIN_SPREAD = 0.3
"""...and they are spread over at least this share of the effective number of categories
(exp of the entropy) of all the user's keys."""


def boilerplate_words(pairs: Iterable[tuple[str, str]]) -> frozenset[str]:
    """Words of the merchant keys in ``pairs`` (distinct ``(merchant key, category)``) that
    are frequent and spread over the categories (see the module)."""
    pairs = set(pairs)
    keys = {k for k, _ in pairs}
    if len(keys) < MIN_KEYS:
        return frozenset()
    freq = Counter(w for k in keys for w in set(k.split()))
    frequent = {w for w, n in freq.items() if n >= max(MIN_KEYS, MIN_SHARE * len(keys))}
    holding: dict[str, Counter[str]] = {}
    for key, category in pairs:
        for w in set(key.split()) & frequent:
            holding.setdefault(w, Counter())[category] += 1
    overall = _effective_number(Counter(c for _, c in pairs))
    out = {w for w, cats in holding.items()
           if max(cats.values()) <= MAX_TOP_SHARE * sum(cats.values())
           and _effective_number(cats) >= MIN_SPREAD * overall}
    if out:
        log.debug("boilerplate words of this history: %s", sorted(out))
    return frozenset(out)


def _effective_number(counts: Counter[str]) -> float:
    """exp(entropy) of the category counts: how many categories they are spread over."""
    p = np.array(list(counts.values()), dtype=float)
    p = p[p > 0] / p.sum()
    return float(np.exp(-(p * np.log(p)).sum()))


def strip_words(key: str, words: frozenset[str]) -> str:
    """``key`` without ``words`` (``key`` itself when nothing else would be left)."""
    if not words:
        return key
    kept = [w for w in key.split() if w not in words]
    return " ".join(kept) if kept else key

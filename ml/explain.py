"""Short human explanations of categorizer predictions.

The conditional logit adds up weighted evidence per category, so the reason a category won is
the group of evidence (see :data:`ml.candidates.GROUPS`) that contributed most to its lead over
the runner-up (the user's own memory of the merchant comes first whenever it favours the
winner). Each group has one sentence template:

- memory:  "Same merchant as 12 transactions you filed under Groceries" (not "earlier": a
  row older than the ones filed is explained the same way)
- similar: "Similar to 'TESCO STORES 2231' (Groceries)"
- words:   "Looks like Groceries from the words 'tesco', 'store'"
- builtin: "Built-in guess: 'netflix' is usually Streaming"
- shared:  "Other users file 'tesco stores' under Groceries" (the shared prior)
- pattern: "Amount and timing match your Rent & Mortgage transactions"; for a category with no
  transactions yet only the direction can speak: "Fits Salary by whether money came in or
  went out"
- otherwise "Best guess: Groceries (little evidence)"

A reason given for a prediction less than :data:`WEAK_BELOW` sure ends in "(weak evidence)":
a merchant nobody knows may still "read like" a category, and the sentence must not sound
surer than the number beside it.

:func:`reasons` also says what kind each reason is (:data:`KINDS`). Some do not say what the
merchant is (:data:`NOT_WHAT_IT_IS`: amount and timing, the direction of the money, how the
text reads next to the category names, little evidence); the categorizer never auto-applies
such a guess for a merchant the user has not filed yet.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from sklearn.utils import murmurhash3_32

from ml import candidates as cd
from ml import history as hs
from ml.ngrams import VEC_WORD
from ml.prior import DEFAULT_CATEGORIES
from ml.text import CHANNEL_WORDS

if TYPE_CHECKING:
    from ml.model_state import State

log = logging.getLogger(__name__)

WEAK_BELOW = 0.3
KINDS = ("memory", "shared", "similar", "words", "keyword", "reads_like", "pattern", "sign",
         "none")
"""Kinds of reason (:func:`reasons`): a group of :data:`ml.candidates.GROUPS`, except that a
built-in guess is "keyword" or "reads_like" (no keyword names the category: the encoder's
reading of the text against category names) and a pattern one "pattern" (amount and timing)
or "sign" (only the direction of the money); "none": little evidence."""
NOT_WHAT_IT_IS = frozenset({"reads_like", "pattern", "sign", "none"})
"""Reasons that do not say what a merchant is: for a merchant never filed, such a guess is only
a suggestion (``TransactionCategorizer.held_back``)."""
AMOUNT_AND_TIMING = "Amount and timing match your"
"""How an explanation starts when amount and timing are the reason (for a merchant never filed,
such a guess is held back: ``TransactionCategorizer.held_back``)."""
_ORDER = ("memory", "shared", "similar", "words", "builtin", "pattern")
_MEMORY = _ORDER.index("memory")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _class_words(st: State, c: int) -> dict[int, float]:
    """{hashed word column: weight} of class ``c``'s word centroid (cached per state)."""
    cache: dict[int, dict[int, float]] = st.__dict__.setdefault("_class_words", {})
    if c not in cache:
        cent = st.hist.cent_w
        if cent is None:
            cache[c] = {}
        else:
            lo, hi = cent.indptr[c], cent.indptr[c + 1]
            cache[c] = dict(zip(cent.indices[lo:hi].tolist(), cent.data[lo:hi].tolist(),
                                strict=True))
    return cache[c]


@lru_cache(maxsize=1 << 16)
def _reason_word(token: str) -> bool:
    """Whether a word n-gram can be quoted as a reason: one word, not a terminal code ("k2")
    and not only channel words ("internet-überweisung" says how, not who was paid)."""
    return (" " not in token and len(token) > 1 and not any(ch.isdigit() for ch in token)
            and not set(re.split(r"[-./']", token)) <= CHANNEL_WORDS | {""})


def _words(st: State, text: str, best: int, second: int) -> list[str]:
    """Up to two words of ``text`` that favour ``best`` over ``second`` most."""
    tokens = [t for t in dict.fromkeys(VEC_WORD.build_analyzer()(text)) if _reason_word(t)]
    if not tokens:
        return []
    mine = _class_words(st, best)
    other = _class_words(st, second) if second >= 0 else {}
    n = VEC_WORD.n_features
    gain = [(mine.get(h, 0.0) - other.get(h, 0.0), t)
            for t in tokens for h in [abs(murmurhash3_32(t, seed=0)) % n]]
    return [t for g, t in sorted(gain, key=lambda x: -x[0]) if g > 0][:2]


def _nearest(st: State, emb: np.ndarray, best: int) -> str | None:
    cols = np.flatnonzero(st.hist.col_class == best)
    if len(cols) == 0:
        return None
    sims = st.texts.emb[st.hist.col_text[cols]] @ emb
    return str(st.hist.col_raw[cols[int(np.argmax(sims))]]).strip()


def reasons(st: State, rows: hs.Rows, qtexts: hs.TextBlock, lead: np.ndarray,
            best: np.ndarray, second: np.ndarray, confidence: np.ndarray | None = None
            ) -> tuple[list[str], np.ndarray]:
    """One sentence per row, and the kind of each (one of :data:`KINDS`); ``lead`` is (rows,
    groups): how much each evidence group of :data:`ml.candidates.GROUP_NAMES` favours the
    winner over the runner-up; ``confidence`` (the winner's probability) marks weak reasons."""
    scores = lead[:, [cd.GROUP_NAMES.index(g) for g in _ORDER]]
    rank = np.argsort(-scores, axis=1)
    # rows with the same text, merchant key, winner, runner-up and group ranking share a reason
    ok_all = scores > 1e-6
    powers = len(_ORDER) ** np.arange(len(_ORDER))
    shared = cd.shared_codes(st.shared, rows.key)
    combo = np.column_stack([rows.text_id, rows.key_code, shared, best, second, rank @ powers,
                             ok_all @ (2 ** np.arange(len(_ORDER)))]).astype(np.int64)
    uniques, first, codes = np.unique(combo, axis=0, return_index=True, return_inverse=True)
    memo: dict[tuple, tuple[str, str]] = {}
    texts: list[str] = []
    kinds: list[str] = []
    for (tid, kid, sc, c, sec, _, _), i in zip(uniques.tolist(), first.tolist(), strict=True):
        order, ok = rank[i], ok_all[i]
        if ok[_MEMORY]:  # the user's own filing of this merchant is the reason they recognise
            order = [_MEMORY, *(g for g in order if g != _MEMORY)]
        name, text, kind = st.classes[c], "", "none"
        for g in order:
            group = _ORDER[g]
            if not ok[g]:
                break
            kind = group
            if group == "memory":
                n = int(st.hist.key_counts[kid, c]) if kid >= 0 and st.hist.n else 0
                if n:
                    text = (f"Same merchant as {_plural(n, 'transaction')} you filed under "
                            f"{name}")
            elif group == "shared":
                text = _shared_reason(st, int(sc), int(c))
            else:
                mkey = (group, tid, c, sec)
                if mkey not in memo:
                    memo[mkey] = _text_reason(group, st, qtexts, int(tid), int(c), int(sec))
                text, kind = memo[mkey]
            if text:
                break
        texts.append(text or f"Best guess: {name} (little evidence)")
        kinds.append(kind if text else "none")
    idx = np.asarray(codes).ravel()
    out = [texts[i] for i in idx]
    if confidence is not None:
        for i in np.flatnonzero(np.asarray(confidence) < WEAK_BELOW):
            if not out[i].endswith("(little evidence)"):
                out[i] += " (weak evidence)"
    return out, np.asarray(kinds, dtype=object)[idx] if kinds else np.zeros(0, dtype=object)


def _shared_reason(st: State, code: int, c: int) -> str:
    """The reason "Other users file 'x' under Groceries": the default leaf that most supports
    class ``c`` (through the user's ``leaf_map``), with its share unless others are unanimous."""
    if code < 0 or st.shared is None or not st.leaf_map.shape[0]:
        return ""
    share = st.shared.share[code]
    support = share * st.leaf_map[:, c]
    leaf = int(np.argmax(support))
    if support[leaf] <= 0:
        return ""
    key, leaf_name, name = st.shared.keys[code], DEFAULT_CATEGORIES[leaf], st.classes[c]
    part = "" if share[leaf] >= 0.995 else f" ({share[leaf]:.0%} of them)"
    if leaf_name == name:
        return f"Other users file '{key}' under {name}{part}"
    return f"Other users file '{key}' under {leaf_name}{part}, which you file as {name}"


def _builtin_reason(st: State, qtexts: hs.TextBlock, tid: int, c: int) -> tuple[str, str]:
    """The keyword behind a built-in guess, and whether the user's own filings back the step
    from the keyword's kind to their category ("which you file as") or only the names do;
    without a keyword for the category, how the text reads ("reads_like")."""
    name, leaf = st.classes[c], int(qtexts.lex_leaf[tid])
    if leaf < 0 or not st.leaf_map.shape[0]:
        return f"Built-in guess: reads like {name}", "reads_like"
    strong = qtexts.lex_strength[tid] >= hs.STRONG_HIT
    kind_map, filed = ((st.lex_map, st.hist.lex_counts) if strong
                       else (st.leaf_map, st.hist.leaf_counts))
    if int(np.argmax(kind_map[leaf])) != c:
        return f"Built-in guess: reads like {name}", "reads_like"
    word, leaf_name = qtexts.lex_word[tid], DEFAULT_CATEGORIES[leaf]
    if leaf_name == name:
        return f"Built-in guess: '{word}' is usually {name}", "keyword"
    if filed is not None and filed[leaf, c] >= 1.0:
        return (f"Built-in guess: '{word}' is usually {leaf_name}, which you file as {name}",
                "keyword")
    return (f"Built-in guess: '{word}' is usually {leaf_name}; your closest category is {name}",
            "keyword")


def _text_reason(group: str, st: State, qtexts: hs.TextBlock, tid: int, c: int,
                 second: int) -> tuple[str, str]:
    name = st.classes[c]
    if group == "similar":
        raw = _nearest(st, qtexts.emb[tid], c)
        return (f"Similar to '{raw}' ({name})" if raw else ""), group
    if group == "words":
        found = _words(st, qtexts.texts[tid], c, second)
        return (f"Looks like {name} from the words " + ", ".join(f"'{w}'" for w in found)
                if found else f"Looks like {name} from its wording"), group
    if group == "builtin":
        return _builtin_reason(st, qtexts, tid, c)
    if group == "pattern":
        if st.hist.n == 0 or st.hist.class_n[c] == 0:  # only the sign prior can have spoken
            return f"Fits {name} by whether money came in or went out", "sign"
        return f"{AMOUNT_AND_TIMING} {name} transactions", "pattern"
    return "", group

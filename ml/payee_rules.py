"""The payee rules budgeting apps learn from repeated filings: "three identical corrections".

This is the second of the behaviours the categorizer is measured against (the first, a silent
word n-gram SVM, is :mod:`ml.baseline`). Actual Budget learns categories this way
(``updateCategoryRules`` and ``getProbableCategory`` in its ``loot-core`` package): when a
transaction of a payee is filed, it looks at that payee's five latest transactions of the last
180 days and, if one category holds at least three of them, sets the rule "payee is X ->
category C" (creating it, or changing the category of the one it has). A payee without a rule
gets no category: nothing is guessed, and nothing is learned from other payees.

:class:`PayeeRuleLearner` replays that on labeled rows in date order, one filing at a time, and
predicts the rule's category (confidence 1.0: a rule is applied as certain) or nothing
(``None``, confidence 0.0). The payee is the row's merchant key, the one the categorizer
remembers merchants by (:func:`ml.row_inputs.normalized`: the ``merchant`` column when the
frame has one, else the description's merchant, and a line with nothing readable left only
the same line again). That is generous to the rules: a bank line's raw payee name keeps store
numbers and dates, so one shop can be many payees there, each needing its own three filings.

Fallbacks: no labels (or never fitted) -> no rule, every category ``None``; rows without a
usable date count as the latest ones and are never too old.
"""
# ruff: noqa: N803  (scikit-learn names: X is the feature frame)
from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from ml.row_inputs import dates_of, normalized

log = logging.getLogger(__name__)


def payee_keys(X: pd.DataFrame) -> np.ndarray:
    """Each row's payee: the categorizer's merchant key (``m:<merchant>`` from a non-empty
    ``merchant``, else the description's merchant, ``raw:<line>`` for a line with nothing
    readable left)."""
    return normalized(X)[2] if len(X) else np.zeros(0, dtype=object)


def _shown(key: str) -> str:
    """The payee as a person reads it (the key without its ``m:`` / ``raw:`` tag)."""
    return key.split(":", 1)[1] if key.startswith(("m:", "raw:")) else key


class PayeeRuleLearner(BaseEstimator):
    """Rules "payee -> category" learned once ``min_votes`` of a payee's ``window`` latest
    filings (within ``lookback_days`` of the newest) agree; see the module docstring.

    Learned attributes: ``rules_`` (payee key -> category) and ``n_labeled_``.
    """

    def __init__(self, window: int = 5, min_votes: int = 3, lookback_days: int = 180) -> None:
        self.window = window
        self.min_votes = min_votes
        self.lookback_days = lookback_days

    def fit(self, X: pd.DataFrame, y: Sequence[object] | pd.Series) -> PayeeRuleLearner:
        """Replay the filings of ``X`` (labels ``y`` by position; empty ones are skipped) in
        date order, updating a payee's rule after each of its filings."""
        labels = np.asarray(list(y), dtype=object)
        if len(labels) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(labels)} labels")
        keys = payee_keys(X)
        days = _days(X)
        order = np.argsort(np.where(np.isnan(days), np.inf, days), kind="stable")
        recent: dict[str, deque[tuple[float, str]]] = {}
        self.rules_: dict[str, str] = {}
        n = 0
        for i in order:
            label = labels[i]
            if label is None or (isinstance(label, float) and label != label) \
                    or not str(label).strip():
                continue
            n += 1
            key, day = keys[i], days[i]
            filed = recent.setdefault(key, deque(maxlen=self.window))
            filed.append((day, str(label)))
            votes = Counter(c for d, c in filed
                            if np.isnan(day) or np.isnan(d) or d >= day - self.lookback_days)
            if votes:
                category, count = max(votes.items(), key=lambda kv: kv[1])
                if count >= self.min_votes:
                    self.rules_[key] = category
        self.n_labeled_ = n
        log.debug("payee rules: %d rules from %d filings", len(self.rules_), n)
        return self

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """DataFrame aligned with ``X``: ``category`` (None without a rule), ``confidence``
        (1.0 with a rule, else 0.0) and ``explanation``."""
        rules = getattr(self, "rules_", {})
        keys = payee_keys(X)
        category = np.array([rules.get(k) for k in keys], dtype=object)
        has = np.array([c is not None for c in category], dtype=bool)
        return pd.DataFrame({
            "category": category,
            "confidence": has.astype(float),
            "explanation": [f"Rule: payee is '{_shown(k)}'" if h else "No rule for this payee"
                            for k, h in zip(keys, has, strict=True)],
        }, index=X.index)


def _days(X: pd.DataFrame) -> np.ndarray:
    """Days since 1970-01-01 of each row's ``date`` (NaN where missing or unreadable)."""
    days = (dates_of(X) - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
    return days.to_numpy(dtype=float, na_value=np.nan)

"""The baseline categorizer that today's tools use: word 1-3-gram counts + a linear SVM.

It looks at the description only, refits from scratch, and has no notion of confidence: every
prediction is a silent guess. :class:`BaselineCategorizer` follows the same ``fit``/``predict``
shape as :class:`ml.categorizer.TransactionCategorizer` so the evaluation can run both.
Its ``confidence`` column is 1.0 (the guess is applied as if certain), so its auto-apply
coverage is 100% and its calibration error is 1 - accuracy.

Fallbacks: no labels -> ``category`` is None; one category -> always that category.

It is fitted on the distinct (description, category) pairs weighted by how often each occurs:
the same objective as on every row (the hinge loss is a sum over rows), several times faster on
real ledgers, where most descriptions repeat.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

log = logging.getLogger(__name__)


class BaselineCategorizer(BaseEstimator):
    """``CountVectorizer(ngram_range=(1, 3))`` + ``LinearSVC`` on the raw description."""

    def __init__(self, c: float = 1.0) -> None:
        self.c = c

    def fit(self, X: pd.DataFrame, y: Sequence[object]) -> BaselineCategorizer:  # noqa: N803
        labels = pd.Series(list(y), index=X.index, dtype=object)
        keep = labels.notna().to_numpy()
        text = X["description"].fillna("").astype(str)[keep]
        labels = labels[keep].astype(str)
        self.classes_ = np.array(sorted(set(labels)), dtype=object)
        self.pipeline_: Pipeline | None = None
        if len(self.classes_) >= 2:
            pairs = pd.DataFrame({"text": text.to_numpy(), "label": labels.to_numpy()})
            counts = pairs.value_counts(sort=False).reset_index(name="n")
            try:
                with warnings.catch_warnings():  # "many classes for few samples" is expected
                    warnings.simplefilter("ignore", UserWarning)
                    self.pipeline_ = make_pipeline(
                        CountVectorizer(ngram_range=(1, 3)), LinearSVC(C=self.c)
                    ).fit(counts["text"], counts["label"],
                          linearsvc__sample_weight=counts["n"].to_numpy(dtype=float))
            except ValueError:  # empty vocabulary
                self.pipeline_ = None
        return self

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:  # noqa: N803
        """DataFrame aligned with ``X``: ``category`` and ``confidence`` (always 1.0)."""
        n = len(X)
        if self.pipeline_ is not None:
            cats = self.pipeline_.predict(X["description"].fillna("").astype(str))
        elif len(self.classes_):
            cats = np.array([self.classes_[0]] * n, dtype=object)
        else:
            cats = np.array([None] * n, dtype=object)
        return pd.DataFrame({"category": np.asarray(cats, dtype=object),
                             "confidence": np.ones(n)}, index=X.index)

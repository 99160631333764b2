"""The evaluation's baseline (word 1-3-gram counts + LinearSVC) on the real labeled file."""
# ruff: noqa: N806  (scikit-learn names: X is the feature frame)

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from ml.baseline import BaselineCategorizer
from ml.evaluate import load_labeled_csv
from ml.labeled_data import prepare_labeled

LABELED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "labeled" / \
    "yassirawad_za_labeled" / "data" / "transactions.csv"


def _real() -> tuple[pd.DataFrame, np.ndarray]:
    data, _ = prepare_labeled(load_labeled_csv(LABELED))
    return data[["date", "description", "amount"]], data["category"].to_numpy(dtype=object)


def test_weighted_distinct_pairs_fit_the_same_svm_as_every_row():
    X, y = _real()
    X, y = pd.concat([X] * 3, ignore_index=True), np.tile(y, 3)  # many repeated descriptions
    model = BaselineCategorizer().fit(X, y)
    ours = model.predict(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plain = make_pipeline(CountVectorizer(ngram_range=(1, 3)), LinearSVC()).fit(
            X["description"], y)
    text = X["description"].drop_duplicates()
    # the same SVM up to the solver's tolerance (without the weights it differs by ~0.3)
    gap = np.abs(model.pipeline_.decision_function(text) - plain.decision_function(text))
    assert gap.max() < 0.01
    assert (ours["category"].to_numpy() == plain.predict(X["description"])).all()
    assert (ours["confidence"] == 1.0).all()
    assert ours.index.equals(X.index)


def test_baseline_fallbacks():
    X, y = _real()
    empty = BaselineCategorizer().fit(X, [None] * len(X)).predict(X.head(3))
    assert empty["category"].isna().all()
    one = BaselineCategorizer().fit(X.head(5), ["Groceries"] * 5).predict(X.tail(4))
    assert (one["category"] == "Groceries").all()
    blank = pd.DataFrame({"description": ["", " "], "amount": [1.0, 2.0]})
    assert BaselineCategorizer().fit(blank, ["a", "b"]).predict(blank)["category"].eq("a").all()

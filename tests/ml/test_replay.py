"""The replay fit (:mod:`ml.replay`) on the real labeled file with the real embedding model:
what the categorizer learns is exactly what :func:`replay_fit` gives for its state, its weights
move away from the built-in defaults and its thresholds are measured, and its fallback when no
replayed block has a candidate category."""

# ruff: noqa: N806  (scikit-learn names: X is the feature frame)
from __future__ import annotations

import numpy as np
import pandas as pd

from ml import candidates as cd
from ml.calibration import DEFAULT_THRESHOLD
from ml.categorizer import TransactionCategorizer
from ml.model_state import build_state
from ml.replay import replay_fit


def _w0() -> np.ndarray:
    return np.array([cd.W0[f] for f in (*cd.FEATURES, *cd.NOVEL_FEATURES)])


def test_the_categorizer_learns_what_the_replay_fits(labeled, embedder, cache):
    X, y = labeled[["date", "description", "amount"]].iloc[:300], labeled["category"].iloc[:300]
    model = TransactionCategorizer(embedder=embedder, embedding_cache=cache).fit(X, y)
    state = build_state(X, y.astype(str), embedder, cache, None, True, None)
    weights, temp, (t_known, t_new) = replay_fit(state)
    assert np.array_equal(weights, model.state_.weights)
    assert temp == model.new_merchant_temperature_
    assert (t_known, t_new) == (model.auto_apply_threshold_, model.new_merchant_threshold_)
    # 300 real rows: the weights are fitted, not the defaults, and evidence stays >= 0
    assert np.abs(weights - _w0()).max() > 0.1
    assert (weights[:len(cd.FEATURES)] >= 0).all()
    # merchants filed before were replayed often enough to measure a level below "never"
    assert 0.5 <= t_known < 1.0
    assert 0.0 < temp


def test_the_same_history_gives_the_same_fit(labeled, embedder, cache):
    X, y = labeled[["date", "description", "amount"]].iloc[:120], labeled["category"].iloc[:120]
    state = build_state(X, y.astype(str), embedder, cache, None, True, None)
    first, second = replay_fit(state, random_state=3), replay_fit(state, random_state=3)
    assert np.array_equal(first[0], second[0]) and first[1:] == second[1:]


def test_no_block_with_a_candidate_category_keeps_the_defaults(embedder, cache):
    """Without the built-in prior and a category list nothing is a candidate before its first
    row; a replay window of one row leaves no block scored from an earlier one."""
    day = pd.Timestamp("2024-03-01")
    X = pd.DataFrame({"date": [day, day + pd.Timedelta(days=1)],
                      "description": ["TESCO STORES 2231", "SHELL FUEL 88"],
                      "amount": [-20.0, -40.0]})
    y = pd.Series(["Groceries", "Fuel"])
    model = TransactionCategorizer(embedder=embedder, embedding_cache=cache, prior=False,
                                   max_replay_rows=1).fit(X, y)
    assert np.array_equal(model.state_.weights, _w0())
    assert model.new_merchant_temperature_ == 1.0
    assert model.auto_apply_threshold_ == model.new_merchant_threshold_ == DEFAULT_THRESHOLD
    # and it still predicts: the memory of the merchant filed before decides
    assert model.predict(X.iloc[:1])["category"].iloc[0] == "Groceries"


def test_the_new_merchant_level_waits_for_enough_replayed_guesses(labeled, embedder, cache):
    """150 real rows (category names known) replay fewer than 200 guesses for new merchants:
    the replay alone would measure a level for them, the bar keeps it at "never"; nothing else
    of the fit changes, and the categorizer's levels are exactly the barred ones."""
    X, y = labeled[["date", "description", "amount"]].iloc[:150], labeled["category"].iloc[:150]
    names = sorted(set(labeled["category"]))
    state = build_state(X, y.astype(str), embedder, cache, names, True, None)
    unbarred = replay_fit(state, min_new_guesses=50)
    barred = replay_fit(state)
    assert unbarred[2][1] < 1.0 and barred[2][1] == DEFAULT_THRESHOLD
    assert np.array_equal(unbarred[0], barred[0]) and unbarred[1] == barred[1]
    assert unbarred[2][0] == barred[2][0] < 1.0
    model = TransactionCategorizer(embedder=embedder, embedding_cache=cache,
                                   categories=names).fit(X, y)
    assert (model.auto_apply_threshold_, model.new_merchant_threshold_) == barred[2]


def test_too_few_new_merchant_guesses_apply_none(labeled, embedder, cache):
    """120 rows replay fewer than 200 new-merchant guesses: none is applied, whatever the
    replay measured (ml.replay.MIN_NEW_GUESSES)."""
    X, y = labeled[["date", "description", "amount"]].iloc[:120], labeled["category"].iloc[:120]
    model = TransactionCategorizer(embedder=embedder, embedding_cache=cache).fit(X, y)
    assert model.new_merchant_threshold_ == DEFAULT_THRESHOLD
    state = build_state(X, y.astype(str), embedder, cache, None, True, None)
    assert replay_fit(state, min_new_guesses=50)[2][0] == model.auto_apply_threshold_

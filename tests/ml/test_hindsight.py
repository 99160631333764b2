"""Hindsight bounds of the online evaluation (``ml.hindsight``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ml.baseline import BaselineCategorizer
from ml.evaluate import row_groups
from ml.hindsight import leave_merchant_out, unreachable_new_category
from ml.payee_rules import payee_keys


class RecordingBaseline(BaselineCategorizer):
    """The real SVM baseline that also remembers which descriptions it was fitted on."""

    fitted_on: list[list[str]] = []

    def fit(self, X, y):  # noqa: N803
        RecordingBaseline.fitted_on.append(list(X["description"]))
        return super().fit(X, y)


def _frame() -> tuple[pd.DataFrame, np.ndarray]:
    desc = ["TESCO STORES 1", "TESCO STORES 2", "SAINSBURYS 7", "NETFLIX.COM", "SPOTIFY",
            "SHELL 12", "BP 4", "ODD SHOP 1", "ODD SHOP 2"]
    cats = ["Groceries", "Groceries", "Groceries", "TV", "TV", "Fuel", "Fuel", "Odd", "Odd"]
    X = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=len(desc)),  # noqa: N806
                      "description": desc, "amount": -10.0})
    return X, np.array(cats, dtype=object)


def test_leave_merchant_out_never_trains_on_the_merchant_it_predicts():
    X, y = _frame()  # noqa: N806
    RecordingBaseline.fitted_on = []
    rows = np.array([0, 2, 7, 8])
    pred = leave_merchant_out(X, y, rows, RecordingBaseline)
    assert len(pred) == len(rows)
    keys = pd.Series(payee_keys(X), index=X["description"])  # the model's merchant keys
    assert keys["TESCO STORES 1"] == keys["TESCO STORES 2"] != keys["SAINSBURYS 7"]
    # one fit per distinct merchant among the rows (Tesco, Sainsburys, Odd Shop) ...
    assert len(RecordingBaseline.fitted_on) == len(set(keys.iloc[rows]))
    for trained in RecordingBaseline.fitted_on:
        left_out = set(keys) - {keys[d] for d in trained}
        assert len(left_out) == 1  # ... each on every other merchant's rows, later ones too
        assert len(trained) == len(X) - int((keys == next(iter(left_out))).sum())
    # the only merchant filed as "Odd" is left out, so "Odd" cannot be predicted for it
    assert "Odd" not in set(pred[2:])
    assert set(pred) <= set(y)


def test_unreachable_new_category_counts_first_sightings_of_unknown_names():
    X, y = _frame()  # noqa: N806
    groups = row_groups(payee_keys(X), y, block=3)
    # block 1 (rows 0-2): Groceries at first sight; block 2: TV twice and Fuel; block 3: the
    # second Fuel (known by then, a new merchant) and Odd twice
    assert list(groups) == ["new_category"] * 6 + ["new_merchant"] + ["new_category"] * 2
    # Groceries and Fuel are built-in names a model could guess; TV and Odd are not
    assert unreachable_new_category(y, groups, ["Groceries", "Fuel"]) == 4
    assert unreachable_new_category(y, groups, []) == 8

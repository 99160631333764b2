"""How well could any history have done? Hindsight bounds for the online evaluation.

:mod:`ml.evaluate` predicts each block of rows from the rows before it. Two things bound what
a model can reach there, whatever its features:

- :func:`leave_merchant_out`: each merchant's rows predicted by a model fitted on *every other
  row of the file*, earlier and later ones (as if the user had already filed the whole rest of
  the year). For rows whose merchant is new when they come up, this is a generous ceiling:
  the online model sees a strict subset of that history.
- :func:`unreachable_new_category`: rows whose category has never been filed before. Without
  the category list, a model can only name such a category if it happens to be one of its
  built-in ones; those are the only rows of this group it could get right.

Pure functions of DataFrames (no IO); ``bench/categorize_ceiling.py`` prints the figures.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any

import numpy as np
import pandas as pd

from ml.payee_rules import payee_keys

log = logging.getLogger(__name__)


def leave_merchant_out(X: pd.DataFrame, y: np.ndarray, rows: np.ndarray,  # noqa: N803
                       make_model: Callable[[], Any]) -> np.ndarray:
    """Predicted category for each row index in ``rows``: a fresh ``make_model()`` is fitted
    on all rows of ``X``/``y`` whose merchant key (:func:`ml.payee_rules.payee_keys`: the
    model's memory key) differs from that row's, then predicts the rows of that merchant.
    Returns an object array aligned with ``rows``."""
    keys = payee_keys(X)
    y = np.asarray(y, dtype=object)
    rows = np.asarray(rows, dtype=int)
    out = np.empty(len(rows), dtype=object)
    for key in pd.unique(keys[rows]):
        train = np.flatnonzero(keys != key)
        test = rows[keys[rows] == key]
        model = make_model().fit(X.iloc[train], y[train])
        out[keys[rows] == key] = model.predict(X.iloc[test])["category"].to_numpy(dtype=object)
    return out


def unreachable_new_category(y: np.ndarray, groups: np.ndarray,
                             built_in: Collection[str]) -> int:
    """Rows of group ``new_category`` (see :func:`ml.eval_groups.row_groups`) whose category is
    not a built-in name: no model without the category list can predict them."""
    y = np.asarray(y, dtype=object)
    names = set(built_in)
    return int(sum(1 for c, g in zip(y, groups, strict=True)
                   if g == "new_category" and c not in names))

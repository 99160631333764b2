"""Figures of the online evaluation (:mod:`ml.evaluate`) over groups of rows.

- :func:`applied_by_merchant`: rows, accuracy and auto-applied share and precision, apart for
  merchants the model had seen and for new ones.
- :func:`row_groups` / :func:`breakdown`: both models' accuracy by what was known when a row
  was predicted (merchant seen, new merchant, new category).
- :func:`by_earlier_filings`: how each approach did on a merchant's rows after its first, second
  and third filing: what "learns from one correction" measures.
- :func:`error_reduction_interval`: the error reduction's interval from resampling the blocks.

Pure: no IO.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

log = logging.getLogger(__name__)


def applied_by_merchant(y: np.ndarray, pred: Sequence[object], applied: Sequence[bool],
                        known: Sequence[bool]) -> dict[str, dict[str, Any]]:
    """Rows, accuracy, auto-applied share and their precision, for the rows whose merchant the
    model had seen before (``known``) and for the others (``new``)."""
    ok = y == np.asarray(pred, dtype=object)
    app, seen = np.asarray(applied, dtype=bool), np.asarray(known, dtype=bool)
    return {name: {"n": int(rows.sum()), **_figures(ok, app, rows)}
            for name, rows in (("known", seen), ("new", ~seen))}


def _figures(ok: np.ndarray, applied: np.ndarray, rows: np.ndarray) -> dict[str, Any]:
    """Accuracy, auto-applied share and precision of the applied ones, over ``rows`` (None
    where there is nothing to measure)."""
    n, k = int(rows.sum()), int((applied & rows).sum())
    return {"accuracy": float(ok[rows].mean()) if n else None,
            "coverage": k / n if n else None,
            "precision_at_threshold": float(ok[applied & rows].mean()) if k else None}


def error_reduction_interval(model_ok: np.ndarray, base_ok: np.ndarray, block: int,
                             n_boot: int = 2000, level: float = 0.9,
                             seed: int = 0) -> list[float] | None:
    """``level`` percentile interval of the error reduction ``1 - model errors / baseline
    errors`` over ``n_boot`` resamplings of the evaluation blocks (blocks, not rows, are
    drawn: errors within a block share the same history). ``None`` when the baseline made no
    error."""
    m_err = np.add.reduceat(~np.asarray(model_ok, dtype=bool), np.arange(0, len(model_ok), block))
    b_err = np.add.reduceat(~np.asarray(base_ok, dtype=bool), np.arange(0, len(base_ok), block))
    if not b_err.sum():
        return None
    rng = np.random.default_rng(seed)
    draw = rng.integers(0, len(b_err), size=(n_boot, len(b_err)))
    m, b = m_err[draw].sum(axis=1), b_err[draw].sum(axis=1)
    red = 1.0 - m[b > 0] / b[b > 0]
    tail = (1.0 - level) / 2
    return [float(np.quantile(red, tail)), float(np.quantile(red, 1.0 - tail))]


def row_groups(keys: Sequence[object], y: np.ndarray, block: int) -> np.ndarray:
    """Each row's group by what was known when its block was predicted: ``merchant_seen`` (its
    merchant key, :func:`ml.payee_rules.payee_keys`, occurred before), ``new_merchant`` (a new
    key, a known category) or ``new_category`` (its category never occurred before)."""
    keys = np.asarray(list(keys), dtype=object)
    group = np.empty(len(y), dtype=object)
    seen_keys: set[object] = set()
    seen_cats: set[object] = set()
    for s in range(0, len(y), block):
        for i in range(s, min(s + block, len(y))):
            group[i] = ("new_category" if y[i] not in seen_cats
                        else "merchant_seen" if keys[i] in seen_keys else "new_merchant")
        seen_keys.update(keys[s:s + block])
        seen_cats.update(y[s:s + block])
    return group


def breakdown(keys: Sequence[object], y: np.ndarray, model_pred: Sequence[object],
              base_pred: Sequence[object], block: int) -> dict[str, dict[str, Any]]:
    """Rows by :func:`row_groups` of their merchant ``keys`` (merchant seen, new merchant, new
    category); n and both models' accuracy each."""
    group = row_groups(keys, y, block)
    out: dict[str, dict[str, Any]] = {}
    for name in ("merchant_seen", "new_merchant", "new_category"):
        rows = np.flatnonzero(group == name)
        out[name] = {"n": len(rows)}
        for label, pred in (("model", model_pred), ("baseline", base_pred)):
            right = [pred[i] == y[i] for i in rows]
            out[name][f"{label}_accuracy"] = float(np.mean(right)) if len(rows) else None
    return out


FILING_GROUPS = ("0", "1", "2", "3+")
"""How many rows of the row's merchant (payee key) had been filed before its block."""


def earlier_filings(keys: Sequence[object], block: int) -> np.ndarray:
    """Per row, the :data:`FILING_GROUPS` name of the number of rows with the same key in the
    blocks before its own (what had been revealed when it was predicted)."""
    keys = list(keys)
    seen: Counter[object] = Counter()
    out = np.empty(len(keys), dtype=object)
    for s in range(0, len(keys), block):
        for i in range(s, min(s + block, len(keys))):
            out[i] = FILING_GROUPS[min(seen[keys[i]], 3)]
        seen.update(keys[s:s + block])
    return out


def by_earlier_filings(keys: Sequence[object], y: np.ndarray, block: int,
                       runs: Mapping[str, tuple[Sequence[object], Sequence[bool]]]
                       ) -> dict[str, dict[str, Any]]:
    """For each :data:`FILING_GROUPS` group of rows (:func:`earlier_filings`): n, and per run
    in ``runs`` (name -> (predictions, auto-applied flags)) its accuracy (no prediction counts
    as wrong), auto-applied share and precision of the applied rows (None when none)."""
    group = earlier_filings(keys, block)
    judged = {run: (y == np.asarray(pred, dtype=object), np.asarray(applied, dtype=bool))
              for run, (pred, applied) in runs.items()}
    out: dict[str, dict[str, Any]] = {}
    for name in FILING_GROUPS:
        rows = group == name
        out[name] = {"n": int(rows.sum()),
                     **{run: _figures(ok, app, rows) for run, (ok, app) in judged.items()}}
    return out

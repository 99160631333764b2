"""How honest is the categorizer for a user who has filed only a handful of transactions?

The online evaluation (:mod:`ml.evaluate`) refits every 25 rows, so its early blocks already
hold 25+ labels. A new user is different: after 1, 3 or 10 decisions the model is refitted and
the job auto-applies whatever reaches the threshold. :func:`cold_start_evaluation` measures
that regime on a labeled file: for windows of the file (every ``stride`` rows), fit on ``n``
consecutive labeled rows (as if the user had just filed them), predict the next ``block``
rows, and pool the predictions per ``n``.

Reported per ``n``: accuracy, mean confidence, ECE, the share of predictions at or above
a fixed 0.9 and their precision (what a fixed 0.9 threshold would have applied), and the share
the model's own auto-apply thresholds apply (``auto_apply_thresholds``: one for merchants in
the history, one for new ones) with their precision.
Pure: the caller passes prepared data (:func:`ml.labeled_data.prepare_labeled`).
"""

# ruff: noqa: N806  (X is the feature frame)
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ml.calibration import expected_calibration_error
from ml.categorizer import TransactionCategorizer
from ml.embeddings import Embedder, InMemoryEmbeddingCache

log = logging.getLogger(__name__)

FIXED = 0.9
"""The fixed threshold whose precision is reported for comparison."""


def _share_and_precision(ok: np.ndarray, applied: np.ndarray) -> tuple[float, float | None]:
    share = float(applied.mean()) if len(applied) else 0.0
    return share, (float(ok[applied].mean()) if applied.any() else None)


def cold_start_evaluation(data: pd.DataFrame, sizes: Sequence[int] = (1, 3, 10, 30),
                          block: int = 25, stride: int = 40, categories_known: bool = True,
                          feature_columns: Sequence[str] = ("date", "description", "amount"),
                          ) -> list[dict[str, Any]]:
    """One dict per ``n`` in ``sizes`` (see the module docstring); sizes that leave no room
    for a window in ``data`` are skipped. ``categories_known``: the model gets the file's
    category names up front, as in the product."""
    embedder, cache = Embedder(), InMemoryEmbeddingCache()
    X = data[list(feature_columns)]
    y = data["category"].to_numpy(dtype=object)
    names = sorted(set(y)) if categories_known else None
    out: list[dict[str, Any]] = []
    for n in sizes:
        ok: list[bool] = []
        conf: list[float] = []
        own: list[bool] = []
        for s in range(0, len(data) - n - block + 1, stride):
            model = TransactionCategorizer(embedder=embedder, embedding_cache=cache,
                                           categories=names).fit(X.iloc[s:s + n], y[s:s + n])
            nxt = X.iloc[s + n:s + n + block]
            pred, _, weak = model.predict_for_review(nxt)  # one scoring, as the job does
            c = pred["confidence"].to_numpy(dtype=float)
            ok += list(pred["category"].to_numpy(dtype=object) == y[s + n:s + n + block])
            conf += list(c)
            own += list(c >= model.auto_apply_thresholds(nxt, None, weak))
        if not ok:
            continue
        ok_a, conf_a = np.asarray(ok), np.asarray(conf)
        fixed_share, fixed_prec = _share_and_precision(ok_a, conf_a >= FIXED)
        own_share, own_prec = _share_and_precision(ok_a, np.asarray(own))
        out.append({"labeled_rows": n, "predictions": len(ok_a), "accuracy": float(ok_a.mean()),
                    "mean_confidence": float(conf_a.mean()),
                    "ece": expected_calibration_error(ok_a, conf_a),
                    "share_at_0_9": fixed_share, "precision_at_0_9": fixed_prec,
                    "share_auto_applied": own_share, "precision_auto_applied": own_prec})
        log.info("cold start: %d labeled rows done", n)
    return out


def format_rows(rows: list[dict[str, Any]]) -> list[str]:
    """Printable lines, one per size."""
    def pct(v: float | None) -> str:
        return "  n/a" if v is None else f"{v:5.1%}"

    lines = ["labeled  predictions  accuracy  mean conf    ECE   >=0.9 (precision)"
             "   auto-applied (precision)"]
    for r in rows:
        lines.append(f"{r['labeled_rows']:7}  {r['predictions']:11}  {r['accuracy']:8.3f}"
                     f"  {r['mean_confidence']:9.3f}  {r['ece']:5.3f}  {pct(r['share_at_0_9'])}"
                     f" ({pct(r['precision_at_0_9'])})       {pct(r['share_auto_applied'])}"
                     f" ({pct(r['precision_auto_applied'])})")
    return lines

"""Calibration metrics and the auto-apply threshold.

- :func:`expected_calibration_error`: the usual equal-width-bin ECE (15 bins by default).
- :func:`calibrated_ece_reference`: the ECE a *perfectly* calibrated model with the same
  confidences would show on a sample of this size (ECE is biased upwards on small samples:
  on 450 rows a perfect model scores about 0.045, so one figure near 0.05 says little).
- :func:`threshold_for_precision`: the lowest confidence threshold whose auto-applied
  predictions reached the target precision on past (already corrected) predictions.
- :func:`thresholds_by_merchant`: the same, measured apart for merchants the user had filed
  before and for new ones, so that the guarantee holds for each kind, not only on average.
- :func:`coverage_ceiling`: the most that fixed thresholds (one per kind of merchant), chosen
  in hindsight, could have auto-applied at the target precision (what the confidences allow).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

log = logging.getLogger(__name__)

NEVER = 1.0
"""Returned when no threshold reaches the target: confidences are < 1, so nothing applies."""
DEFAULT_THRESHOLD = NEVER
"""The auto-apply threshold while there is too little calibration data to measure precision:
nothing is applied. A fixed 0.9 was not safe: with 1-10 labeled rows, predictions at >= 0.9
were 51-90% right on two real labeled files (``python -m ml.evaluate --cold-start``)."""
MAX_CONFIDENCE = 0.995
"""No category prediction is surer than this: even a merchant filed the same way a hundred
times can be the exception (and a threshold of 1.0 therefore means "never auto-apply")."""


def expected_calibration_error(correct: Sequence[bool] | np.ndarray,
                               confidence: Sequence[float] | np.ndarray,
                               n_bins: int = 15) -> float:
    """Weighted mean |accuracy - confidence| over ``n_bins`` equal-width confidence bins.

    Bins are ``(k/n, (k+1)/n]`` (the first also holds 0). Empty input gives 0.0.
    """
    ok = np.asarray(correct, dtype=float)
    conf = np.clip(np.asarray(confidence, dtype=float), 0.0, 1.0)
    if ok.size == 0:
        return 0.0
    return float(_bin_ece(ok[None, :], conf, n_bins)[0])


def _bin_ece(ok: np.ndarray, conf: np.ndarray, n_bins: int) -> np.ndarray:
    """ECE of each row of ``ok`` (outcome draws x predictions) against the confidences
    ``conf``: per bin, |right - sum of confidences| (= count x |accuracy - mean confidence|)."""
    bins = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    total = np.zeros(ok.shape[0])
    for b in np.unique(bins):
        sel = bins == b
        total += np.abs(ok[:, sel].sum(axis=1) - conf[sel].sum())
    return total / conf.size


def calibrated_ece_reference(confidence: Sequence[float] | np.ndarray, n_bins: int = 15,
                             n_sim: int = 2000, seed: int = 0) -> dict[str, float]:
    """The ECE of a perfectly calibrated model with exactly these confidences: each
    prediction is drawn right with probability equal to its confidence, ``n_sim`` times.
    Returns the ``median`` and the 90th percentile (``p90``); an observed ECE inside that
    range is what sampling noise alone produces. Empty input gives zeros."""
    conf = np.clip(np.asarray(confidence, dtype=float), 0.0, 1.0)
    if conf.size == 0:
        return {"median": 0.0, "p90": 0.0}
    rng = np.random.default_rng(seed)
    sims = []
    for s in range(0, n_sim, 250):  # bounded memory: 250 simulations x rows at a time
        ok = rng.random((min(250, n_sim - s), conf.size)) < conf
        sims.append(_bin_ece(ok, conf, n_bins))
    ece = np.concatenate(sims)
    return {"median": float(np.median(ece)), "p90": float(np.quantile(ece, 0.9))}


def threshold_for_precision(y_true: Sequence[object], y_pred: Sequence[object],
                            confidence: Sequence[float] | np.ndarray, target: float = 0.95,
                            min_samples: int = 50, min_applied: int = 20) -> float:
    """The smallest threshold ``t`` such that the predictions with confidence >= ``t`` are at
    least ``target`` precise, judged on this calibration data twice: their observed precision
    less one standard error (``sqrt(p (1 - p) / n)``, at least ``0.1 / sqrt(n)``), and their
    mean confidence. Picking the largest set whose observed precision just reaches the target
    favours lucky runs, and the next predictions above such a threshold fall short of it.

    Fallbacks: fewer than ``min_samples`` calibration rows -> :data:`DEFAULT_THRESHOLD` (1.0:
    precision cannot be measured yet, so nothing is auto-applied);
    no threshold with at least ``min_applied`` predictions above it reaches the target ->
    :data:`NEVER` (1.0, i.e. nothing is auto-applied until more corrections arrive).
    The result is never below 0.5: a guess the model itself rates as a coin flip is not
    auto-applied, however lucky past guesses were.
    """
    yt = np.asarray(list(y_true), dtype=object)
    yp = np.asarray(list(y_pred), dtype=object)
    conf = np.asarray(confidence, dtype=float)
    if not (len(yt) == len(yp) == len(conf)):
        raise ValueError("y_true, y_pred and confidence must have the same length")
    if len(conf) < min_samples:
        return DEFAULT_THRESHOLD
    order = np.argsort(-conf, kind="stable")
    ok = (yt[order] == yp[order]).astype(float)
    c = conf[order]
    n = np.arange(1, len(ok) + 1)
    observed = np.cumsum(ok) / n
    expected = np.cumsum(c) / n
    # both what was observed, less one standard error (a lucky run of past guesses must not
    # set the threshold), and what the confidences themselves promise must reach the target
    precision = np.minimum(observed - np.sqrt(np.maximum(observed * (1 - observed), 0.01) / n),
                           expected)
    # a threshold can only sit at the last position of a run of equal confidences
    last_of_run = np.r_[c[1:] != c[:-1], True]
    feasible = last_of_run & (precision >= target) & (n >= min_applied)
    if not feasible.any():
        return NEVER
    best = int(np.flatnonzero(feasible).max())
    return float(max(c[best], 0.5))


def thresholds_by_merchant(y_true: Sequence[object], y_pred: Sequence[object],
                           confidence: Sequence[float] | np.ndarray,
                           known: Sequence[bool] | np.ndarray, target: float = 0.95,
                           min_samples: int = 50,
                           min_new_samples: int | None = None) -> tuple[float, float]:
    """``(known, new)``: :func:`threshold_for_precision` for the predictions of a merchant the
    user had filed before (``known``) and of one they had not, each on its own predictions.

    One threshold over both mixes two populations: guesses for a known merchant are right
    96-100% of the time on the real and demo files of ``ml.evaluate``, guesses for a new one
    34-64%, so a single level reaching 95% on average let new-merchant guesses through that
    were only 89-93% right. Fallbacks: fewer than ``min_samples`` known-merchant predictions ->
    the threshold over all predictions (the stricter one: it also answers for the others);
    fewer than ``min_new_samples`` (default ``min_samples``) new-merchant predictions ->
    :data:`DEFAULT_THRESHOLD` (nothing from a new merchant is applied until that precision
    can be measured).
    """
    yt = np.asarray(list(y_true), dtype=object)
    yp = np.asarray(list(y_pred), dtype=object)
    conf = np.asarray(confidence, dtype=float)
    seen = np.asarray(known, dtype=bool)
    if not (len(yt) == len(yp) == len(conf) == len(seen)):
        raise ValueError("y_true, y_pred, confidence and known must have the same length")
    if seen.sum() >= min_samples:
        t_known = threshold_for_precision(yt[seen], yp[seen], conf[seen], target, min_samples)
    else:
        t_known = threshold_for_precision(yt, yp, conf, target, min_samples)
    t_new = threshold_for_precision(yt[~seen], yp[~seen], conf[~seen], target,
                                    min_samples if min_new_samples is None else min_new_samples)
    return t_known, t_new


def coverage_ceiling(correct: Sequence[bool] | np.ndarray, confidence: Sequence[float] | np.ndarray,
                     target: float = 0.95,
                     known: Sequence[bool] | np.ndarray | None = None) -> float:
    """The largest share of predictions that fixed confidence thresholds, chosen in hindsight
    on these very outcomes, auto-apply at ``target`` precision or better (0.0 if none does):
    one threshold, or with ``known`` one for the merchants seen before and one for the new
    ones (as the product applies them), the precision taken over all applied predictions.

    The product chooses its thresholds before the outcomes, so it can apply more than this
    only by luck: if this is below a coverage goal, the confidences themselves do not allow
    the goal. It is also at most accuracy / ``target``. Ties are never split (a threshold
    cannot). Empty input gives 0.0.
    """
    ok = np.asarray(correct, dtype=bool)
    conf = np.asarray(confidence, dtype=float)
    if ok.size == 0:
        return 0.0
    if known is None:
        sizes, right = _prefixes(ok, conf)
        other_sizes, other_right = np.zeros(1, dtype=int), np.zeros(1, dtype=int)
    else:
        seen = np.asarray(known, dtype=bool)
        sizes, right = _prefixes(ok[seen], conf[seen])
        other_sizes, other_right = _prefixes(ok[~seen], conf[~seen])
    best = 0
    for n2, r2 in zip(other_sizes, other_right, strict=True):  # O(n) memory per step
        n, r = sizes + n2, right + r2
        feasible = (n > 0) & (r >= target * n - 1e-9)
        if feasible.any():
            best = max(best, int(n[feasible].max()))
    return best / ok.size


def _prefixes(ok: np.ndarray, conf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every threshold (the top 0, and each run end of the sorted confidences): how many
    predictions it applies and how many of those are right."""
    order = np.argsort(-conf, kind="stable")
    c = conf[order]
    ends = np.flatnonzero(np.r_[c[1:] != c[:-1], True]) + 1 if c.size else np.zeros(0, int)
    cum = np.cumsum(ok[order])
    return np.r_[0, ends], np.r_[0, cum[ends - 1]] if ends.size else np.zeros(1, dtype=int)

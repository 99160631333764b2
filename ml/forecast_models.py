"""Statistical models of one monthly series (a variable-flow group) for :mod:`ml.forecast`.

:func:`fit_group` picks the model by the number ``n`` of training months:

- ``n >= min_model_months``: exponential smoothing from statsmodels (Holt-Winters
  ``ExponentialSmoothing``, additive errors, no trend: monthly household flows rarely carry a
  trend that is safe to extrapolate). With ``n >= 24`` (two full seasons) an additive
  12-month seasonal model is also fitted and kept when its AICc is lower. The robust median
  model below is kept instead when its out-of-sample errors over the last 12 months are no
  larger than the smoothing model's one-step errors (household spending is often flat with
  outliers, where a median is the better centre). ETS paths are simulated by the fitted model
  from bootstrapped one-step residuals (``method`` ``ets`` / ``ets_seasonal``).
- ``3 <= n`` (or ETS not better): the median of the last :data:`WINDOW` months plus
  bootstrapped jackknife residuals (each month inside the window against the median of the
  window without it, older months against the window's median), so the spread is measured out
  of sample (``median``).
- ``n`` of 1 or 2: the median with normal noise of standard deviation
  ``max(sample sd, prior_cv * |median|)`` (``median_prior``): too few months to measure the
  spread, so a cautious prior sets it.
- ``n == 0`` (under a month of data): ``level`` is the daily rate of the days seen, scaled to
  a month, with the prior spread (``extrapolated``).
- A series of zeros stays zero (``zero``), e.g. no variable income.

:func:`conformal_scale` calibrates the spread on the user's own history (split-conformal):
the factor that makes past one-step 80% bands of the variable net flow cover 80% of the months
that followed them; :meth:`GroupModel.widen` applies it to every group.

All models share one residual index matrix in :meth:`GroupModel.simulate`: the same
historical month's residual is drawn for every group of a path, so the groups keep their
correlation (a holiday month is high in every spending group at once).
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np
from statsmodels.tsa.holtwinters import ExponentialSmoothing

log = logging.getLogger(__name__)

SEASON = 12
WINDOW = 12  # months the robust median looks back
PRIOR_CV = 0.3  # spread assumed when there are too few months to measure it


@dataclass
class GroupModel:
    """A fitted model of one group's monthly totals."""

    method: str
    level: float  # p50-ish centre of the next month (for explanations)
    resid: np.ndarray  # residuals aligned with the training months (may be empty)
    scale: float = 1.0  # widening factor of bootstrapped residuals
    sd: float = 0.0  # normal noise sd for the prior-based methods
    result: object = None  # statsmodels results for the ETS methods

    def widen(self, factor: float) -> None:
        """Scales the spread of the simulated months by ``factor`` (conformal calibration)."""
        self.scale *= factor
        self.sd *= factor

    def simulate(self, steps: int, idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """``(steps, n_paths)`` simulated monthly totals, step 1 = the month after the last
        training month; ``idx`` ``(steps, n_paths)`` indexes the shared residual months."""
        n_paths = idx.shape[1]
        if self.method == "zero":
            return np.zeros((steps, n_paths))
        if self.result is not None:
            errors = self.resid[idx[:steps]] * self.scale
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sim = self.result.simulate(steps, anchor="end", repetitions=n_paths,
                                           error="add", random_errors=errors)
            return np.asarray(sim, dtype=float).reshape(steps, n_paths)
        if self.method == "median":
            return self.level + self.resid[idx[:steps]] * self.scale
        return self.level + rng.normal(0.0, self.sd, size=(steps, n_paths))


def _ets(y: np.ndarray, seasonal: bool) -> object:
    model = ExponentialSmoothing(y, trend=None, seasonal="add" if seasonal else None,
                                 seasonal_periods=SEASON if seasonal else None,
                                 initialization_method="estimated")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(use_brute=False)


def _median_model(y: np.ndarray) -> GroupModel:
    """Median of the last :data:`WINDOW` months; residuals are out-of-sample (jackknife):
    months inside the window against the median of the window without them, older months
    against the window's median."""
    n = len(y)
    start = max(n - WINDOW, 0)
    window = y[start:]
    centre = float(np.median(window))
    resid = y - centre
    for i in range(start, n):
        resid[i] = y[i] - float(np.median(np.delete(window, i - start)))
    return GroupModel("median", centre, resid)


def conformal_scale(v: np.ndarray, coverage: float = 0.8, min_points: int = 8,
                    warmup: int = 6, bounds: tuple[float, float] = (0.75, 2.0)) -> float:
    """Widening factor of the residual draws that makes the central ``coverage`` band of the
    robust model hit that share on the user's own history (split-conformal, CQR style).

    For each month t after ``warmup`` (at most the last 24), the median model is fitted on
    the months before t; its band's conformity score is how far v_t falls outside the band,
    in band widths (negative inside). The conformal quantile ``ceil((m+1) coverage) / m`` of
    the m scores, s, widens each side by s widths: factor ``1 + 2 s``, kept within ``bounds``.
    Fewer than ``min_points`` months: 1.0."""
    v = np.asarray(v, dtype=float)
    n = len(v)
    lo_q, hi_q = (1 - coverage) / 2, (1 + coverage) / 2
    scores = []
    for t in range(max(warmup, n - 24), n):
        m = _median_model(v[:t])
        lo, hi = m.level + np.quantile(m.resid, [lo_q, hi_q])
        width = hi - lo
        if width <= 0:
            continue
        scores.append(max(lo - v[t], v[t] - hi) / width)
    if len(scores) < min_points:
        return 1.0
    k = min(math.ceil((len(scores) + 1) * coverage), len(scores))
    s = float(np.sort(scores)[k - 1])
    return float(np.clip(1.0 + 2.0 * s, *bounds))


def fit_group(y: np.ndarray, min_model_months: int = 12, prior_cv: float = PRIOR_CV,
              daily_rate: float | None = None) -> GroupModel:
    """The model of one group's monthly totals ``y`` (oldest first); see the module doc.

    ``daily_rate`` is used only when ``y`` is empty (under a month of data)."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n == 0:
        level = float(daily_rate or 0.0) * 30.44
        if level == 0.0:
            return GroupModel("zero", 0.0, np.zeros(0))
        return GroupModel("extrapolated", level, np.zeros(0), sd=prior_cv * abs(level))
    if not np.any(y):
        return GroupModel("zero", 0.0, np.zeros(n))
    if n >= min_model_months:
        best = _ets(y, seasonal=False)
        method = "ets"
        if n >= 2 * SEASON:
            seasonal = _ets(y, seasonal=True)
            if np.isfinite(seasonal.aicc) and seasonal.aicc < best.aicc:
                best, method = seasonal, "ets_seasonal"
        resid = np.asarray(best.resid, dtype=float)
        robust = _median_model(y)
        recent = slice(n - WINDOW, None)
        if np.mean(np.abs(robust.resid[recent])) <= np.mean(np.abs(resid[recent])):
            return robust
        return GroupModel(method, float(np.asarray(best.forecast(1))[0]), resid, result=best)
    if n >= 3:
        return _median_model(y)
    spread = float(np.std(y, ddof=1)) if n == 2 else 0.0
    centre = float(np.median(y))
    return GroupModel("median_prior", centre, y - centre,
                      sd=max(spread, prior_cv * abs(centre)))

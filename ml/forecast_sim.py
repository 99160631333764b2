"""Monte Carlo paths of a user's cash flow (helpers of :mod:`ml.forecast`).

:func:`simulate` combines the two parts of the forecast path by path:

- **known recurring items** (:func:`ml.forecast_data.schedule`) on their dates, each at its
  p50 amount times a ratio bootstrapped from its own past charges (1.0 for fixed amounts),
  shifted by a day offset bootstrapped from how early or late its past charges came (into
  another month only for series that have done so before);
- **the variable part**: each group's monthly totals from its model (:mod:`ml.forecast_models`)
  with one shared residual-month index per path.

In the current month only the rest after ``as_of`` is simulated: variable income at the
share of days left, variable spending at the share a randomly drawn recent month spent after
the same day of month (its day-by-day pattern also spreads the spending over the days). The
balance path of that window (daily, the rest of the current month; the next month when
``as_of`` is its last day) gives the probability of dropping below the buffer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml.forecast_data import Flows
from ml.forecast_models import GroupModel

log = logging.getLogger(__name__)


@dataclass
class Paths:
    """Simulated months (rows: current month then the next ``horizon``), columns paths."""

    months: pd.DatetimeIndex
    income: np.ndarray  # whole-month income (actual to date + simulated rest)
    spend: np.ndarray
    flow: np.ndarray  # future flow only (what changes the balance from as_of on)
    recurring_in: np.ndarray  # p50 of the scheduled items per month
    recurring_out: np.ndarray
    window_min: np.ndarray  # lowest cumulative flow in the buffer window, per path


def _steps(flows: Flows, months: pd.DatetimeIndex) -> np.ndarray:
    """Model step of each month (1 = the month after the last training month)."""
    if len(flows.history) == 0:
        return np.arange(1, len(months) + 1)
    last = flows.history.index[-1].to_period("M")
    return np.array([(m.to_period("M") - last).n for m in months])


def _spend_share(shapes: np.ndarray, day: int, dim: int, pick: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(share of the month's spend after ``day`` per path, ``(dim - day, n_paths)`` daily
    weights of that rest), from the drawn recent months ``pick`` (uniform without shapes)."""
    rest = dim - day
    if len(shapes) == 0:
        return np.full(len(pick), rest / dim), np.full((rest, len(pick)), 1.0 / max(rest, 1))
    month = shapes[:, :dim]
    total = month.sum(axis=1)
    after = month[:, day:].sum(axis=1)
    share = np.where(total > 0, after / np.where(total > 0, total, 1.0), rest / dim)
    w = month[:, day:].T / np.where(after > 0, after, 1.0)
    w[:, after <= 0] = 1.0 / max(rest, 1)
    return share[pick], w[:, pick]


def _recurring(sched: pd.DataFrame, months: pd.DatetimeIndex, as_of: pd.Timestamp,
               n_paths: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, list]:
    """Per month and path: scheduled income and spend. Each charge's amount is its p50 times a
    bootstrapped ratio and its date its expected date plus a bootstrapped offset (never before
    tomorrow; kept inside its month unless the series has crossed a month boundary before).
    Also returns the drawn items ``(dates, amounts)`` for the daily window."""
    inc = np.zeros((len(months), n_paths))
    out = np.zeros((len(months), n_paths))
    items = []
    paths = np.arange(n_paths)
    first = np.datetime64(months[0], "M")
    tomorrow = np.datetime64((as_of + pd.Timedelta(days=1)).date(), "D")
    for row in sched.itertuples(index=False):
        ratios = np.asarray(row.ratios, dtype=float)
        offsets = np.asarray(row.offsets, dtype=int)
        draw = row.amount * (ratios[rng.integers(len(ratios), size=n_paths)]
                             if len(ratios) > 1 else np.ones(n_paths))
        shift = (offsets[rng.integers(len(offsets), size=n_paths)] if len(offsets) > 1
                 else np.zeros(n_paths, dtype=int))
        dates = np.datetime64(row.date.date(), "D") + shift
        if not row.crosses:  # it never left its month before: it stays in it
            month = np.datetime64(row.date.date(), "M")
            dates = np.clip(dates, month.astype("datetime64[D]"),
                            (month + 1).astype("datetime64[D]") - 1)
        dates = np.maximum(dates, tomorrow)
        k = (dates.astype("datetime64[M]") - first).astype(int)
        ok = (k >= 0) & (k < len(months))
        np.add.at(inc if row.amount > 0 else out, (k[ok], paths[ok]), np.abs(draw[ok]))
        items.append((dates, draw))
    return inc, out, items


def simulate(flows: Flows, models: dict[str, GroupModel], sched: pd.DataFrame, horizon: int,
             n_paths: int, rng: np.random.Generator) -> Paths:
    """Paths of the current month and the next ``horizon`` months (see the module doc)."""
    months = pd.date_range(flows.month, periods=horizon + 1, freq="MS").astype("datetime64[ns]")
    steps = _steps(flows, months)
    n_resid = max(len(flows.history), 1)
    idx = rng.integers(0, n_resid, size=(int(steps.max()), n_paths))
    var = {g: np.clip(m.simulate(int(steps.max()), idx, rng), 0.0, None)
           for g, m in models.items()}
    var = {g: v[np.clip(steps, 1, None) - 1] for g, v in var.items()}  # (months, paths)
    var_spend = var["essential"] + var["discretionary"]
    rec_in, rec_out, items = _recurring(sched, months, flows.as_of, n_paths, rng)
    dim0 = months[0].days_in_month
    month_done = flows.as_of.day >= dim0 or steps[0] <= 0
    pick = rng.integers(0, max(len(flows.shapes), 1), size=n_paths)
    # the buffer window: rest of the current month, or all of next month at month end
    w = 1 if month_done else 0
    day = 0 if month_done else flows.as_of.day
    dim = months[w].days_in_month
    share, weights = _spend_share(flows.shapes, day, dim, pick)
    if not month_done:
        var["income"][0] *= (dim0 - day) / dim0
        var_spend[0] = var_spend[0] * share
    else:
        var["income"][0] = var_spend[0] = 0.0
    flow = rec_in + var["income"] - rec_out - var_spend
    daily = np.zeros((dim - day, n_paths))
    daily += var["income"][w] / max(dim - day, 1)
    daily -= weights * var_spend[w]
    start = np.datetime64((months[w] + pd.Timedelta(days=day)).date(), "D")
    paths = np.arange(n_paths)
    for dates, draw in items:
        off = (dates - start).astype(int)
        ok = (off >= 0) & (off < len(daily))
        np.add.at(daily, (off[ok], paths[ok]), draw[ok])
    window_min = np.cumsum(daily, axis=0).min(axis=0, initial=0.0)
    income = rec_in + var["income"]
    spend = rec_out + var_spend
    income[0] += flows.to_date["income"]
    spend[0] += flows.to_date["spend"]
    p50_in = np.array([sched.loc[_in_month(sched, m) & (sched["amount"] > 0), "amount"].sum()
                       for m in months]) if len(sched) else np.zeros(len(months))
    p50_out = np.array([-sched.loc[_in_month(sched, m) & (sched["amount"] < 0), "amount"].sum()
                        for m in months]) if len(sched) else np.zeros(len(months))
    return Paths(months, income, spend, flow, p50_in, p50_out, window_min)


def _in_month(sched: pd.DataFrame, month: pd.Timestamp) -> pd.Series:
    return sched["date"].dt.to_period("M").dt.to_timestamp() == month

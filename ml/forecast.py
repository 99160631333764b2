"""Probabilistic cash-flow forecast of one user: the month-end balance and the next months'
income, spending and balance as p10 / p50 / p90, with the risk of dropping below a buffer.

``CashFlowForecaster(buffer=500).fit(tx, recurring=series_, balance=4200, as_of=day)`` (then
``result_`` or ``predict()``) combines known recurring items from the recurring stage, on
their dates (:mod:`ml.forecast_data`), with statistical models of the variable part per group
(income / essential / discretionary; statsmodels exponential smoothing, seasonal only with
24+ months, robust fallbacks with short history: :mod:`ml.forecast_models`) in ``n_paths``
Monte Carlo paths (:mod:`ml.forecast_sim`). Transfers are excluded. ``recurring=None`` runs
:class:`ml.recurring.RecurringDetector` on ``tx``. ``balance`` is the current combined balance
of the accounts in ``tx`` (transfers between them cancel out); without it the balance columns
and the buffer probability are NaN. Quantiles come from the paths, so they are ordered.

:class:`ForecastResult` holds ``months`` (:data:`MONTH_COLUMNS`; first row the current month:
actual income/spend to date plus the simulated rest, then ``horizon`` full months;
``recurring_in`` / ``recurring_out`` are the scheduled items on their expected dates),
``recurring_items`` (date, amount, series_key, category of every scheduled item),
``history`` (:data:`HISTORY_COLUMNS` per training month), ``methods`` (model per group),
``calibration`` (the conformal widening factor of the variable part:
:func:`ml.forecast_models.conformal_scale`, 1.0 with under 14 months or ``calibrate=False``),
``n_months`` (training months) and the scalars (also readable as attributes):

- ``month_end_balance_p10/p50/p90``; ``prob_below_buffer``: share of paths whose daily balance
  goes below ``buffer`` before the end of the current month (the next month when ``as_of`` is
  a month's last day); 1.0 if it already is below;
- ``income_cv`` (of monthly income over the training months), ``salary_share`` (months with a
  salary), ``income_regular`` (``salary_share >= 0.8`` and ``income_cv <= 0.25``), ``spend_cv``,
  ``essential_spend`` (median monthly essential spend of the last 6 months, recurring included);
- ``surplus_p50`` / ``surplus_p10``: net cash flow of a future full month, over all simulated
  future months; ``prob_surplus_positive``; ``surplus_samples`` (paths x horizon) for goals;
- ``stability_score`` 0-100 = 100 x steadiness x safety. Steadiness: 0.4 x income steadiness
  (1 - CV/0.5, floored at 0; no income: 0) + 0.2 x salary share + 0.4 x spending steadiness
  (1 - CV/0.5); a part that cannot be measured (under 2 months) counts 0.5. Safety: the mean of
  P(surplus > 0) and 1 - P(below buffer) (only the first without a balance). A household that
  is steady but loses money every month is not stable, hence the product.

Fallbacks: no usable transactions, under ``min_days`` days of history without a complete
month, or a history whose latest transaction is more than ``max_stale_days`` (62) before
``as_of`` (a forecast from where the money stood years ago says nothing about today), give
``status="insufficient_data"`` with a ``reason`` and NaN figures. With no complete
month but ``min_days`` or more, each group's daily rate is extrapolated to a month with a
prior spread ("one month of data"). Zero income and a negative surplus are ordinary results
(income figures 0, surplus below 0, low score).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ml.forecast_data import GROUPS, Flows, prepare_flows, schedule
from ml.forecast_models import PRIOR_CV, conformal_scale, fit_group
from ml.forecast_sim import Paths, simulate
from ml.recurring import RecurringDetector

log = logging.getLogger(__name__)

QUANTILES = (0.1, 0.5, 0.9)
MONTH_COLUMNS = ["month", "kind"] + [f"{v}_p{q}" for v in ("income", "spend", "net", "balance")
                                     for q in (10, 50, 90)] + ["recurring_in", "recurring_out"]
HISTORY_COLUMNS = ["month", "income", "spend", "net", "essential", "salary"]
SCALARS = ["month_end_balance_p10", "month_end_balance_p50", "month_end_balance_p90",
           "prob_below_buffer", "income_cv", "salary_share", "spend_cv", "essential_spend",
           "surplus_p10", "surplus_p50", "prob_surplus_positive", "stability_score"]


@dataclass
class ForecastResult:
    """The forecast of one user (see the module docstring for every field)."""

    status: str  # "ok" | "insufficient_data"
    reason: str
    as_of: pd.Timestamp | None
    balance: float
    buffer: float
    months: pd.DataFrame
    n_months: int = 0
    methods: dict[str, str] = field(default_factory=dict)
    income_regular: bool = False
    calibration: float = 1.0  # conformal widening factor applied to the variable part
    recurring_items: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["date", "amount", "series_key", "category"]))
    history: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=HISTORY_COLUMNS))
    surplus_samples: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    scalars: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SCALARS, np.nan))

    def __getattr__(self, name: str) -> float:
        scalars = self.__dict__.get("scalars", {})
        if name in scalars:
            return scalars[name]
        raise AttributeError(name)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary (months as records, no samples)."""
        months = self.months.assign(month=self.months["month"].dt.strftime("%Y-%m-%d"))
        clean = {k: (None if pd.isna(v) else round(float(v), 4)) for k, v in self.scalars.items()}
        return {"status": self.status, "reason": self.reason,
                "as_of": None if self.as_of is None else self.as_of.date().isoformat(),
                "balance": None if np.isnan(self.balance) else self.balance,
                "buffer": self.buffer, "n_months": self.n_months, "methods": self.methods,
                "income_regular": self.income_regular, "calibration": self.calibration,
                **clean,
                "months": months.astype(object).where(months.notna(), None).to_dict("records")}


def insufficient(reason: str, as_of: pd.Timestamp | None, balance: float, buffer: float,
                 horizon: int) -> ForecastResult:
    """The ``insufficient_data`` result: NaN figures, months known only from ``as_of``."""
    months = (pd.date_range(as_of.to_period("M").to_timestamp(), periods=horizon + 1, freq="MS")
              if as_of is not None else pd.DatetimeIndex([pd.NaT] * (horizon + 1)))
    frame = pd.DataFrame({c: np.nan for c in MONTH_COLUMNS[2:]}, index=range(horizon + 1))
    frame.insert(0, "kind", ["current"] + ["forecast"] * horizon)
    frame.insert(0, "month", pd.Series(months.astype("datetime64[ns]")))
    return ForecastResult("insufficient_data", reason, as_of, balance, buffer, frame)


def _cv(values: pd.Series) -> float:
    if len(values) < 2 or values.mean() <= 0:
        return np.nan
    return float(values.std(ddof=1) / values.mean())


def _steadiness(cv: float, known: bool) -> float:
    if not known:
        return 0.5
    return 0.0 if np.isnan(cv) else float(max(0.0, 1.0 - cv / 0.5))


def stability_score(hist: pd.DataFrame, income_cv: float, spend_cv: float, p_surplus: float,
                    p_below: float) -> float:
    """0-100: 100 x steadiness x safety (see the module docstring)."""
    known = len(hist) >= 2
    no_income = len(hist) > 0 and hist["income_total"].sum() <= 0
    steady = (0.4 * (0.0 if no_income else _steadiness(income_cv, known))
              + 0.2 * (float(hist["salary"].mean()) if len(hist) else 0.5)
              + 0.4 * _steadiness(spend_cv, known))
    safety = p_surplus if np.isnan(p_below) else 0.5 * (p_surplus + 1.0 - p_below)
    return round(100.0 * steady * safety, 1)


class CashFlowForecaster:
    """Probabilistic cash-flow forecast of one user (scikit-learn style; see module doc)."""

    def __init__(self, horizon: int = 3, n_paths: int = 1000, buffer: float = 0.0,
                 min_model_months: int = 12, min_recurring_confidence: float = 0.5,
                 min_days: int = 14, prior_cv: float = PRIOR_CV, calibrate: bool = True,
                 coverage: float = 0.8, random_state: int = 0,
                 max_stale_days: int = 62) -> None:
        self.horizon = horizon
        self.max_stale_days = max_stale_days
        self.n_paths = n_paths
        self.buffer = buffer
        self.min_model_months = min_model_months
        self.min_recurring_confidence = min_recurring_confidence
        self.min_days = min_days
        self.prior_cv = prior_cv
        self.calibrate = calibrate
        self.coverage = coverage
        self.random_state = random_state

    def fit(self, tx: pd.DataFrame, recurring: pd.DataFrame | None = None,
            balance: object = None, as_of: object = None) -> CashFlowForecaster:
        bal = np.nan if balance is None else float(balance)
        buffer = float(self.buffer)
        if recurring is None and tx is not None and len(tx):
            recurring = RecurringDetector(as_of=as_of).fit(tx).series_
        flows = prepare_flows(tx, recurring, as_of, self.min_recurring_confidence)
        stamp = None if as_of is None else pd.Timestamp(as_of).normalize()
        if flows is None or flows.n_rows == 0:
            self.result_ = insufficient("no transactions (other than transfers) to learn from",
                                        stamp, bal, buffer, self.horizon)
            return self
        stale = (flows.as_of - flows.last_date).days if flows.last_date is not None else 0
        if stale > self.max_stale_days:
            self.result_ = insufficient(
                f"the latest transaction is from {flows.last_date:%d %b %Y}, {stale} days ago:"
                " import a recent statement to see where your money is heading", flows.as_of,
                bal, buffer, self.horizon)
            return self
        days = (flows.as_of - flows.first_date).days + 1
        if len(flows.history) == 0 and days < self.min_days:
            self.result_ = insufficient(f"only {days} days of history (need {self.min_days}"
                                        " or a complete month)", flows.as_of, bal, buffer,
                                        self.horizon)
            return self
        with threadpool_limits(limits=1, user_api="blas"):  # tiny problems: threads only cost
            self.result_ = self._forecast(flows, bal, buffer, days)
        return self

    def _forecast(self, flows: Flows, bal: float, buffer: float, days: int) -> ForecastResult:
        rng = np.random.default_rng(self.random_state)
        hist = flows.history
        rates = {g: v / days for g, v in flows.var_totals.items()} if len(hist) == 0 else {}
        models = {g: fit_group(hist[g].to_numpy(), self.min_model_months, self.prior_cv,
                               rates.get(g)) for g in GROUPS}
        widen = conformal_scale((hist["income"] - hist["essential"] - hist["discretionary"])
                                .to_numpy(), self.coverage) if self.calibrate else 1.0
        for model in models.values():
            model.widen(widen)
        end = (flows.month + pd.DateOffset(months=self.horizon + 1)) - pd.Timedelta(days=1)
        sched = schedule(flows.projected, flows.as_of, end)
        paths = simulate(flows, models, sched, self.horizon, self.n_paths, rng)
        months = _month_table(paths, bal)
        surplus = (paths.income - paths.spend)[1:].T  # (paths, horizon)
        p_below = (float(np.mean(bal + paths.window_min < buffer)) if not np.isnan(bal)
                   else np.nan)
        income_cv, spend_cv = _cv(hist["income_total"]), _cv(hist["spend_total"])
        p_surplus = float(np.mean(surplus > 0))
        scalars = {
            "month_end_balance_p10": months.at[0, "balance_p10"],
            "month_end_balance_p50": months.at[0, "balance_p50"],
            "month_end_balance_p90": months.at[0, "balance_p90"],
            "prob_below_buffer": p_below, "income_cv": income_cv,
            "salary_share": float(hist["salary"].mean()) if len(hist) else np.nan,
            "spend_cv": spend_cv,
            "essential_spend": float(hist["essential_total"].tail(6).median())
            if len(hist) else float(rates.get("essential", np.nan) * 30.44),
            "surplus_p10": float(np.quantile(surplus, 0.1)),
            "surplus_p50": float(np.quantile(surplus, 0.5)),
            "prob_surplus_positive": p_surplus,
            "stability_score": stability_score(hist, income_cv, spend_cv, p_surplus, p_below),
        }
        regular = bool(len(hist) >= 3 and scalars["salary_share"] >= 0.8
                       and not np.isnan(income_cv) and income_cv <= 0.25)
        reason = "" if len(hist) else "no complete month: daily rates extrapolated"
        return ForecastResult("ok", reason, flows.as_of, bal, buffer, months, len(hist),
                              {g: m.method for g, m in models.items()}, regular, round(widen, 3),
                              sched[["date", "amount", "series_key", "category"]]
                              .reset_index(drop=True), _history(hist), surplus, scalars)

    def predict(self) -> ForecastResult:
        """The fitted :class:`ForecastResult`."""
        return self.result_


def _history(hist: pd.DataFrame) -> pd.DataFrame:
    out = hist[["income_total", "spend_total", "net_total", "essential_total", "salary"]]
    out = out.rename_axis("month").reset_index()
    out.columns = HISTORY_COLUMNS
    return out


def _month_table(paths: Paths, bal: float) -> pd.DataFrame:
    net = paths.income - paths.spend
    balance = bal + np.cumsum(paths.flow, axis=0)
    out = {"month": pd.Series(paths.months), "kind": ["current"] + ["forecast"] * (
        len(paths.months) - 1)}
    for name, values in (("income", paths.income), ("spend", paths.spend), ("net", net),
                         ("balance", balance)):
        qs = np.quantile(values, QUANTILES, axis=1)
        for q, row in zip((10, 50, 90), qs, strict=True):
            out[f"{name}_p{q}"] = np.round(row, 2)
    out["recurring_in"] = np.round(paths.recurring_in, 2)
    out["recurring_out"] = np.round(paths.recurring_out, 2)
    return pd.DataFrame(out)[MONTH_COLUMNS]

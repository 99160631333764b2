"""Investment readiness: hard gates, each passed or failed with its number, a 0-100 score, and
(when every gate has passed for long enough) a safe monthly amount to invest, a horizon and an
instrument category. This is guidance, not advice (:data:`DISCLAIMER`).

``ReadinessAssessor().fit(forecast, emergency_savings=12000, plan=goal_plan,
anomalies=anomalies_, previous=[...])`` takes the :class:`ml.forecast.ForecastResult`, the money
set aside for emergencies, the goal plan, the user's anomalies (``risk`` and optional ``status``
column; an int count of open high-risk ones also works) and the earlier verdicts
(``ReadinessResult.record()`` dicts, oldest first). Gates (:data:`GATES`):

- ``emergency_fund``: savings >= 3 months of essential spending (6 when income is irregular,
  ``ForecastResult.income_regular``); the number is the months covered.
- ``surplus``: each of the last 3 complete months had a positive net cash flow, and they are
  steady (CV <= ``max_surplus_cv``); the number is the smallest of them.
- ``expense_volatility``: CV of monthly spending <= ``max_spend_cv``.
- ``anomalies``: no open high-risk anomaly (status not dismissed / expected / resolved).
- ``goals``: every goal with a date is ``on_track`` (or ``reached``) in the plan
  (:class:`ml.goals.GoalPlanner`); a missed date fails until the goal gets a new one; goals
  without a date do not count; none with a date: passed.

Score: each gate gives 20 points times how far it gets toward its threshold (a passed gate 20).
Eligible needs every gate passed; the **stability filter** then only changes the published
verdict when the raw verdict has been the same for ``stability_months`` months in a row
(this month included), so a single odd month does not flip it; without earlier verdicts,
"not eligible" is the starting point. When eligible: ``investable_monthly`` = p10 surplus minus
the goals' allocations (rounded down to 10), ``horizon_years`` (given, else the years to the
latest long-term goal, at least :data:`DEFAULT_HORIZON_YEARS`), and ``instrument``: debt under 3
years or with a stability score below 50, hybrid for 3-7 years or a score below 75, equity beyond.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

GATES = ("emergency_fund", "surplus", "expense_volatility", "anomalies", "goals")
DEFAULT_HORIZON_YEARS = 5.0
DISCLAIMER = ("This is guidance, not advice: it is computed from your own transactions and "
              "forecast, does not know your full situation, and is not a recommendation of any "
              "product. Consider independent financial advice before investing.")
_CLOSED = frozenset({"dismissed", "expected", "resolved", "closed"})


@dataclass
class Gate:
    name: str
    passed: bool
    value: float
    threshold: float
    progress: float  # 0..1 toward the threshold
    text: str


@dataclass
class ReadinessResult:
    """The verdict of one month (see the module docstring)."""

    score: float
    eligible: bool
    raw_eligible: bool
    gates: list[Gate]
    investable_monthly: float
    horizon_years: float
    instrument: str | None
    explanation: str
    month: str | None
    disclaimer: str = DISCLAIMER
    notes: list[str] = field(default_factory=list)

    def record(self) -> dict[str, object]:
        """What to store and pass back as ``previous`` next month."""
        return {"month": self.month, "raw_eligible": self.raw_eligible, "eligible": self.eligible}

    def gates_frame(self) -> pd.DataFrame:
        return pd.DataFrame([g.__dict__ for g in self.gates])


def _open_high(anomalies: object) -> int:
    if anomalies is None:
        return 0
    if isinstance(anomalies, int | np.integer):
        return int(anomalies)
    df = pd.DataFrame(anomalies)
    if df.empty or "risk" not in df:
        return 0
    open_ = ~df["status"].astype(str).str.lower().isin(_CLOSED) if "status" in df else True
    return int(((df["risk"] == "high") & open_).sum())


def stable_verdict(raw: bool, previous: list, months: int) -> bool:
    """The published verdict: the previous published one unless the raw verdict has been the
    same for ``months`` months in a row (this one included); starts from not eligible.

    ``previous`` (oldest first) holds ``record()`` dicts, or plain raw verdicts (bools) whose
    published verdicts are replayed with the same rule."""
    raws: list[bool] = []
    published: list[bool] = []
    for p in previous or []:
        r = bool(p["raw_eligible"]) if isinstance(p, dict) else bool(p)
        if isinstance(p, dict) and "eligible" in p:
            pub = bool(p["eligible"])
        else:
            pub = _filtered(r, raws, published[-1] if published else False, months)
        raws.append(r)
        published.append(pub)
    return _filtered(bool(raw), raws, published[-1] if published else False, months)


def _filtered(raw: bool, raws: list[bool], last: bool, months: int) -> bool:
    run = raws[-(months - 1):] if months > 1 else []
    return raw if len(run) == months - 1 and all(r == raw for r in run) else last


class ReadinessAssessor:
    """Investment readiness of one user (scikit-learn style; see the module docstring)."""

    def __init__(self, emergency_months: float = 3.0, emergency_months_irregular: float = 6.0,
                 max_surplus_cv: float = 0.5, max_spend_cv: float = 0.25,
                 stability_months: int = 3, horizon_years: float | None = None) -> None:
        self.emergency_months = emergency_months
        self.emergency_months_irregular = emergency_months_irregular
        self.max_surplus_cv = max_surplus_cv
        self.max_spend_cv = max_spend_cv
        self.stability_months = stability_months
        self.horizon_years = horizon_years

    def fit(self, forecast: object, emergency_savings: float, plan: pd.DataFrame | None = None,
            anomalies: object = None, previous: list | None = None) -> ReadinessAssessor:
        month = None if forecast.as_of is None else forecast.as_of.strftime("%Y-%m")
        plan = getattr(plan, "goals", plan)  # a GoalPlan or its goals frame
        if forecast.status != "ok":
            gates = [Gate(n, False, math.nan, math.nan, 0.0, "not enough history") for n in GATES]
            self.result_ = ReadinessResult(0.0, False, False, gates, 0.0, 0.0, None,
                                           "Not enough history to judge readiness yet: "
                                           f"{forecast.reason}.", month)
            return self
        gates = self._gates(forecast, float(emergency_savings), plan, anomalies)
        raw = all(g.passed for g in gates)
        score = round(sum(20.0 * g.progress for g in gates), 1)
        eligible = stable_verdict(raw, previous or [], self.stability_months)
        amount, horizon, instrument = 0.0, 0.0, None
        if eligible:
            goals = float(plan["allocation"].sum()) if plan is not None and len(plan) else 0.0
            amount = max(math.floor((forecast.surplus_p10 - goals) / 10.0) * 10.0, 0.0)
            horizon = self._horizon(plan, forecast.as_of)
            instrument = _instrument(horizon, forecast.stability_score)
        text = _explain(gates, raw, eligible, amount, horizon, instrument, self.stability_months)
        self.result_ = ReadinessResult(score, eligible, raw, gates, amount, horizon, instrument,
                                       text, month)
        return self

    def _gates(self, fc: object, savings: float, plan: pd.DataFrame | None,
               anomalies: object) -> list[Gate]:
        need_months = (self.emergency_months if fc.income_regular
                       else self.emergency_months_irregular)
        essential = fc.essential_spend
        covered = savings / essential if math.isfinite(essential) and essential > 0 else (
            math.inf if savings > 0 else 0.0)
        ef = Gate("emergency_fund", covered >= need_months, round(covered, 2), need_months,
                  min(covered / need_months, 1.0),
                  f"savings cover {covered:.1f} months of essential spending "
                  f"(need {need_months:g}{'' if fc.income_regular else ', income irregular'})")
        last = fc.history["net"].tail(3).to_numpy(dtype=float)
        pos = len(last) == 3 and bool((last > 0).all())
        cv = float(np.std(last, ddof=1) / np.mean(last)) if pos else math.inf
        worst = float(last.min()) if len(last) else math.nan
        sp = Gate("surplus", pos and cv <= self.max_surplus_cv, round(worst, 2), 0.0,
                  float(np.mean(last > 0)) * (1.0 if cv <= self.max_surplus_cv else 0.5)
                  if len(last) else 0.0,
                  f"net cash flow of the last {len(last)} months: lowest {worst:,.0f}"
                  + (f", variation {cv:.0%}" if math.isfinite(cv) else ""))
        scv = fc.spend_cv
        vol_ok = scv is not None and math.isfinite(scv) and scv <= self.max_spend_cv
        vol = Gate("expense_volatility", vol_ok, round(scv, 3) if math.isfinite(scv) else scv,
                   self.max_spend_cv, 1.0 if vol_ok else (
                       max(0.0, 1.0 - (scv - self.max_spend_cv) / self.max_spend_cv)
                       if math.isfinite(scv) else 0.0),
                   f"monthly spending varies by {scv:.0%} (limit {self.max_spend_cv:.0%})"
                   if math.isfinite(scv) else "too few months to measure spending variation")
        n_high = _open_high(anomalies)
        an = Gate("anomalies", n_high == 0, float(n_high), 0.0, 1.0 if n_high == 0 else 0.0,
                  f"{n_high} open high-risk alert(s)")
        dated = (plan.loc[plan["target_date"].notna() | (plan["status"] == "reached")]
                 if plan is not None else pd.DataFrame(columns=["status"]))
        total = len(dated)
        ok = int(dated["status"].isin(["on_track", "reached"]).sum())
        go = Gate("goals", ok == total, float(total - ok), 0.0, ok / total if total else 1.0,
                  f"{ok} of {total} goals with a date on track" if total
                  else "no goals with a date")
        return [ef, sp, vol, an, go]

    def _horizon(self, plan: pd.DataFrame | None, as_of: pd.Timestamp) -> float:
        if self.horizon_years is not None:
            return float(self.horizon_years)
        years = DEFAULT_HORIZON_YEARS
        if plan is not None and len(plan):
            dates = pd.to_datetime(plan.loc[plan["kind"] == "long_term", "target_date"])
            if dates.notna().any():
                years = max(years, (dates.max() - as_of).days / 365.25)
        return round(years, 1)


def _instrument(horizon: float, stability: float) -> str:
    if horizon < 3 or stability < 50:
        return "debt"
    if horizon < 7 or stability < 75:
        return "hybrid"
    return "equity"


def _explain(gates: list[Gate], raw: bool, eligible: bool, amount: float, horizon: float,
             instrument: str | None, months: int) -> str:
    failed = [g for g in gates if not g.passed]
    if eligible:
        text = (f"Ready to invest: about {amount:,.0f} a month is safe to set aside for "
                f"{horizon:g}+ years; a {instrument} fund category fits that horizon and your "
                "stability.")
        if not raw:
            text += (" This month " + "; ".join(g.text for g in failed)
                     + ". The verdict holds unless that lasts.")
        return text
    if raw:
        words = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}.get(months, str(months))
        return ("Every check passes this month; the verdict changes once that has held for "
                f"{words} months in a row.")
    return "Not ready to invest yet: " + "; ".join(g.text for g in failed) + "."

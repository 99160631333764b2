"""Goal planning: a safe monthly amount per savings goal from the forecast surplus, with the
expected completion date and the probability of hitting the goal's date.

``GoalPlanner(obligations=0).fit(forecast_result, as_of=day)`` keeps the simulated monthly
surplus (``ForecastResult.surplus_samples``, or any ``(paths, months)`` array) and pre-draws
``n_paths`` x ``max_months`` future months from it (:func:`future_months`: a random-effects
bootstrap, so a path that is bad throughout stays bad, but one bad month is not repeated).
``plan(goals)`` is then a pure, fast function of the goals, so a "what if" (another target,
date or monthly amount) just calls it again.

Rules of :meth:`GoalPlanner.plan`:

- The safe monthly budget is the ``safety_quantile`` (p10) over simulated futures of the
  average monthly surplus over the next ``horizon_months`` (12) months (the forecast's own
  paths when they are that long; else futures drawn from them by :func:`future_months`, the
  forecast covering 3 months by default), minus
  ``obligations`` (commitments the forecast does not know yet), floored at 0: in 9 futures out
  of 10 the surplus sustains it. A plan runs for many months and a bad month is made up by
  the next ones (see ``confidence``), so the p10 of a single month would plan nothing for
  anyone whose spending varies from month to month; a wider (more volatile) surplus still
  lowers the budget, and a future whose months are all bad stays bad.
- Order: the emergency fund first, then goals with a future deadline (earliest first), then
  the others; ``priority`` (1 = highest) breaks ties.
- A user-fixed ``monthly`` amount (what-if) is honoured first, cut to what the budget allows
  (``capped``). Then each goal with a future deadline gets what keeps it on pace
  (remaining / months left); an emergency fund without a date aims at
  :data:`EMERGENCY_MONTHS` months. What is left goes to the emergency fund until full, then to
  goals without a future deadline, split by 1/priority (never beyond what they still need);
  the rest stays ``unallocated`` (room for investing).
- Contributions happen at month ends, this month's included: a goal dated 1 June next year
  from mid-June has 12 (``months_left``), one dated 30 June has 13. ``expected_completion``:
  the month end of the contribution that completes the goal (None without an allocation or
  beyond ``max_months``). ``confidence``: the share of simulated paths
  in which the goal is reached by its date (by the expected completion for goals without a
  future date), each month's surplus funding the goals in plan order, each up to its
  allocation plus any shortfall of earlier months (catching up after a bad month).
- Status: ``reached``; ``deadline_passed`` (a date in the past: planned as a goal without a
  deadline); ``no_surplus`` (no safe surplus: zero allocations); ``behind`` (a future date whose
  pace the allocation does not cover); ``waiting`` (no date, nothing left after earlier goals);
  else ``on_track`` when the confidence is at least 0.5, ``at_risk`` below.
- ``explanation``: one sentence per goal; amounts carry ``currency_symbol`` ("Put €250.00 a
  month into ...").
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

GOAL_KINDS = ("emergency_fund", "short_term", "long_term")
EMERGENCY_MONTHS = 12
PLAN_COLUMNS = ["name", "kind", "priority", "order", "target", "saved", "remaining",
                "target_date", "months_left", "required_monthly", "allocation", "capped",
                "expected_completion", "confidence", "status", "explanation"]


@dataclass(frozen=True)
class Goal:
    """A savings goal. ``kind`` short_term is meant for dates under 2 years away, long_term
    for later ones; ``monthly`` fixes the monthly amount (what-if)."""

    name: str
    kind: str
    target: float
    saved: float = 0.0
    target_date: dt.date | None = None
    priority: int = 3
    monthly: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in GOAL_KINDS:
            raise ValueError(f"goal kind must be one of {GOAL_KINDS}, not {self.kind!r}")


@dataclass
class GoalPlan:
    """Per-goal plan (:data:`PLAN_COLUMNS`) and the budget it was made from."""

    goals: pd.DataFrame
    safe_monthly: float
    allocated: float
    unallocated: float


def _months_left(as_of: pd.Timestamp, date: dt.date) -> int:
    """Monthly contributions (one at each month end from this month's) made by ``date``; at
    least 1 for a date not yet past, negative months for a date in the past."""
    end = pd.Timestamp(date)
    if end < as_of:
        return min((end.year - as_of.year) * 12 + end.month - as_of.month, -1)
    n = (end.year - as_of.year) * 12 + end.month - as_of.month
    return max(n + (1 if end.is_month_end else 0), 1)


def future_months(samples: np.ndarray, n_paths: int, months: int,
                  rng: np.random.Generator) -> np.ndarray:
    """``n_paths`` x ``months`` simulated monthly surpluses from the forecast's paths
    (``samples``: paths x k months), as a random-effects bootstrap: each future takes one
    path's level and months drawn from the deviations of all paths' months from their path's
    mean. A path's level is shrunk towards the mean of all paths by how much of the spread of
    the paths' means their own months' spread does not explain (the between-path share:
    ``sqrt(b / var(means))``, ``b = var(means) - within / k``), so a path that is bad
    throughout stays bad, and a bad month drawn in a path is not repeated in each of the
    months after it. Fallback: with one month per path (k = 1) the path's month is its
    every month (fully persistent: nothing tells its level from its noise)."""
    rows = rng.integers(0, samples.shape[0], size=n_paths)
    k = samples.shape[1]
    if k < 2:
        return np.repeat(samples[rows, :1], months, axis=1)
    means = samples.mean(axis=1)
    within = float(samples.var(axis=1, ddof=1).mean())
    spread = float(means.var(ddof=1)) if len(means) > 1 else 0.0
    share = max(spread - within / k, 0.0) / spread if spread > 0 else 0.0
    level = means.mean() + np.sqrt(share) * (means - means.mean())
    noise = ((samples - means[:, None]) * np.sqrt(k / (k - 1))).ravel()
    return level[rows, None] + rng.choice(noise, size=(n_paths, months))


class GoalPlanner:
    """Plans savings goals from the simulated surplus (scikit-learn style; see module doc)."""

    def __init__(self, safety_quantile: float = 0.1, obligations: float = 0.0,
                 n_paths: int = 1000, max_months: int = 360, random_state: int = 0,
                 horizon_months: int = 12, currency_symbol: str = "") -> None:
        self.safety_quantile = safety_quantile
        self.currency_symbol = currency_symbol
        self.horizon_months = horizon_months
        self.obligations = obligations
        self.n_paths = n_paths
        self.max_months = max_months
        self.random_state = random_state

    def fit(self, surplus: object, as_of: object = None) -> GoalPlanner:
        samples = np.asarray(getattr(surplus, "surplus_samples", surplus), dtype=float)
        if as_of is None:
            as_of = getattr(surplus, "as_of", None)
        self.as_of_ = pd.Timestamp(as_of if as_of is not None else dt.date.today()).normalize()
        samples = samples.reshape(len(samples), -1) if samples.size else np.zeros((0, 0))
        if samples.size == 0 or not np.isfinite(samples).all():
            self.safe_monthly_ = 0.0
            self.sims_ = np.zeros((self.n_paths, self.max_months))
            return self
        horizon = max(int(self.horizon_months), 1)
        rng = np.random.default_rng(self.random_state)
        months = future_months(samples, self.n_paths, max(self.max_months, horizon), rng)
        # each future's average month: the forecast's own paths when they cover the horizon
        sustained = (samples[:, :horizon] if samples.shape[1] >= horizon
                     else months[:, :horizon]).mean(axis=1)
        q = float(np.quantile(sustained, self.safety_quantile))
        self.surplus_p10_ = q
        self.surplus_p50_ = float(np.median(sustained))
        self.safe_monthly_ = max(q - float(self.obligations), 0.0)
        self.sims_ = np.clip(months[:, :self.max_months] - float(self.obligations), 0.0, None)
        return self

    def _order(self, goals: list[Goal]) -> list[int]:
        def key(i: int) -> tuple:
            g = goals[i]
            future = g.target_date is not None and _months_left(self.as_of_,
                                                                g.target_date) > 0
            return (g.kind != "emergency_fund", not future,
                    pd.Timestamp(g.target_date) if future else pd.Timestamp.max, g.priority, i)
        return sorted(range(len(goals)), key=key)

    def plan(self, goals: list[Goal]) -> GoalPlan:
        """The plan for ``goals`` (pure given the fitted surplus)."""
        order = self._order(goals)
        n = len(goals)
        remaining = np.array([max(g.target - g.saved, 0.0) for g in goals])
        left = np.array([_months_left(self.as_of_, g.target_date)
                         if g.target_date is not None else -1 for g in goals])
        future = left > 0
        alloc = np.zeros(n)
        capped = np.zeros(n, dtype=bool)
        budget = self.safe_monthly_
        todo = [i for i in order if remaining[i] > 0]
        for i in todo:  # user-fixed amounts first
            if goals[i].monthly is not None:
                want = min(max(float(goals[i].monthly), 0.0), remaining[i])
                alloc[i] = min(want, budget)
                capped[i] = alloc[i] < want
                budget -= alloc[i]
        required = np.zeros(n)
        for i in todo:
            if future[i]:
                required[i] = remaining[i] / left[i]
            elif goals[i].kind == "emergency_fund":
                required[i] = remaining[i] / EMERGENCY_MONTHS
        free = [i for i in todo if goals[i].monthly is None]
        for i in free:
            alloc[i] = min(required[i], budget)
            budget -= alloc[i]
        for i in free:  # leftovers: the emergency fund until full
            if goals[i].kind == "emergency_fund" and budget > 0:
                extra = min(remaining[i] - alloc[i], budget)
                alloc[i] += extra
                budget -= extra
        budget = self._share(goals, [i for i in free if not future[i]], remaining, alloc, budget)
        return self._finish(goals, order, remaining, left, required, alloc, capped, budget)

    @staticmethod
    def _share(goals: list[Goal], open_ended: list[int], remaining: np.ndarray,
               alloc: np.ndarray, budget: float) -> float:
        """Water-fills ``budget`` over open-ended goals by 1/priority, each up to its need."""
        active = [i for i in open_ended if remaining[i] - alloc[i] > 1e-9]
        while budget > 1e-9 and active:
            weights = np.array([1.0 / max(goals[i].priority, 1) for i in active])
            give = budget * weights / weights.sum()
            for i, g in zip(active, give, strict=True):
                take = min(g, remaining[i] - alloc[i])
                alloc[i] += take
                budget -= take
            active = [i for i in active if remaining[i] - alloc[i] > 1e-9]
        return budget

    def _finish(self, goals: list[Goal], order: list[int], remaining: np.ndarray,
                left: np.ndarray, required: np.ndarray, alloc: np.ndarray,
                capped: np.ndarray, budget: float) -> GoalPlan:
        needed = np.where(alloc > 0, np.ceil(remaining / np.where(alloc > 0, alloc, 1.0)), -1)
        horizon = np.where(left > 0, left, needed).astype(int)
        conf = self._confidence(order, remaining, alloc, horizon)
        rows = []
        month_end = self.as_of_ + pd.offsets.MonthEnd(0)
        for rank, i in enumerate(order):
            g = goals[i]
            done = remaining[i] <= 0
            when = (None if done or needed[i] < 0 or needed[i] > self.max_months
                    else (month_end + pd.offsets.MonthEnd(int(needed[i]) - 1)).date())
            c = 1.0 if done else conf[i]
            status = _status(g, done, left[i], alloc[i], required[i], c, self.safe_monthly_)
            rows.append((g.name, g.kind, g.priority, rank + 1, g.target, g.saved,
                         round(remaining[i], 2), g.target_date, int(left[i]) if g.target_date
                         else None, round(required[i], 2), round(alloc[i], 2), bool(capped[i]),
                         self.as_of_.date() if done else when, round(c, 3), status,
                         _explain(g, status, alloc[i], when, c, capped[i],
                                  self.currency_symbol)))
        frame = pd.DataFrame(rows, columns=PLAN_COLUMNS)
        total = float(alloc.sum())
        return GoalPlan(frame, round(self.safe_monthly_, 2), round(total, 2),
                        round(max(budget, 0.0), 2))

    def _confidence(self, order: list[int], remaining: np.ndarray, alloc: np.ndarray,
                    horizon: np.ndarray) -> np.ndarray:
        """Share of simulated paths reaching each goal within its horizon. Per path, each
        month's surplus funds the goals in plan order; a goal takes up to its allocation plus
        what it is behind (it catches up after a bad month) and stops when complete, its
        money then going to the goals after it. Saved amounts follow
        ``S_t = min(cap_t, S_{t-1} + x_t)`` with ``cap_t = min(alloc * t, remaining)``,
        solved for all months at once as ``S_t = X_t + min_{s<=t}(cap_s - X_s)``."""
        conf = np.zeros(len(alloc))
        longest = int(min(max(horizon.max(initial=0), 1), self.max_months))
        avail = self.sims_[:, :longest]
        t = np.arange(longest + 1)
        for i in order:
            if alloc[i] <= 0:
                continue
            cum = np.concatenate([np.zeros((len(avail), 1)), np.cumsum(avail, axis=1)], axis=1)
            cap = np.minimum(alloc[i] * t, remaining[i])
            saved = cum + np.minimum.accumulate(cap - cum, axis=1)
            avail = avail - np.diff(saved, axis=1)
            h = int(horizon[i])
            if 0 < h <= longest:
                conf[i] = float(np.mean(saved[:, h] >= remaining[i] - 0.005))
        return conf


def _status(g: Goal, done: bool, left: int, alloc: float, required: float, conf: float,
            safe: float) -> str:
    if done:
        return "reached"
    if g.target_date is not None and left <= 0:
        return "deadline_passed"
    if safe <= 0:
        return "no_surplus"
    if left > 0 and alloc + 0.005 < required:
        return "behind"
    if alloc <= 0:
        return "waiting"
    return "on_track" if conf >= 0.5 else "at_risk"


def _explain(g: Goal, status: str, alloc: float, when: dt.date | None, conf: float,
             capped: bool, symbol: str = "") -> str:
    if status == "reached":
        return f"{g.name} is fully funded."
    if status == "no_surplus":
        return (f"No safe surplus to save for {g.name}: in 1 future in 10 spending uses all "
                "income over the coming months, so nothing is planned.")
    if alloc <= 0:
        base = f"Nothing is left for {g.name} yet: the safe surplus goes to the goals before it"
    else:
        base = f"Put {symbol}{alloc:,.2f} a month into {g.name}"
        base += f"; at that pace it is complete by {when:%B %Y}" if when else ""
    if capped:
        base += " (your chosen amount was cut to what your surplus safely allows)"
    if status == "deadline_passed":
        return base + f". Its date, {g.target_date:%B %Y}, has passed."
    if g.target_date is not None:
        base += f", with a {conf:.0%} chance of making {g.target_date:%B %Y}"
    if status == "behind":
        base += ". The safe surplus does not cover the pace this date needs"
    return base + "."


def emergency_fund_target(essential_spend: float, income_regular: bool) -> float:
    """3 months of essential spending, 6 when income is irregular."""
    months = 3 if income_regular else 6
    return round(max(float(essential_spend), 0.0) * months, 2) if math.isfinite(
        essential_spend) else float("nan")

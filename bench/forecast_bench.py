"""Speed of the forecast stage for one user: forecast, budgets, goals and readiness.

For ``--users`` varied demo households with ``--months`` of history (default 20 x 24 months,
about 1,800 transactions each) it times, per user and as the job runs them: the recurring
detector (input of the forecast), :class:`ml.forecast.CashFlowForecaster` (1,000 paths), the
budget planner, the goal planner (fit + plan of three goals), a goal "what if" (plan only) and
the readiness assessor. Each step is run ``--repeat`` times per user; the figure is the median
over users of each user's median, plus the 90th percentile over users.

Run: ``python -m bench.forecast_bench [--users 20] [--months 24] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import logging
import statistics
import time
from collections.abc import Callable

import numpy as np

from core.demo_data import generate_users
from ml.budgets import BudgetPlanner
from ml.forecast import CashFlowForecaster
from ml.goals import Goal, GoalPlanner
from ml.readiness import ReadinessAssessor
from ml.recurring import RecurringDetector

log = logging.getLogger(__name__)

END = dt.date(2025, 6, 18)
GOALS = [Goal("Rainy day", "emergency_fund", 12_000, 3_000),
         Goal("Holiday", "short_term", 2_500, 300, dt.date(2026, 5, 31), priority=2),
         Goal("House", "long_term", 40_000, 1_000, dt.date(2031, 1, 1), priority=1)]


def _time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    steps: dict[str, list[float]] = {k: [] for k in (
        "recurring", "forecast", "budgets", "goals fit+plan", "goal what-if", "readiness")}
    rows = []
    for hh in generate_users(args.users, seed=21, months=args.months, end=END):
        tx = hh.transactions
        rows.append(len(tx))
        bal = float(sum(hh.closing_balances().values()))
        t, series = _time(lambda tx=tx: RecurringDetector(as_of=END).fit(tx).series_,
                          args.repeat)
        steps["recurring"].append(t)
        t, fc = _time(lambda tx=tx, s=series, b=bal: CashFlowForecaster(buffer=500).fit(
            tx, s, balance=b, as_of=END).result_, args.repeat)
        steps["forecast"].append(t)
        t, _ = _time(lambda tx=tx, fc=fc, b=bal: BudgetPlanner().fit(
            tx, as_of=END, balance=b, upcoming=fc.recurring_items), args.repeat)
        steps["budgets"].append(t)
        t, plan = _time(lambda fc=fc: GoalPlanner().fit(fc).plan(GOALS), args.repeat)
        steps["goals fit+plan"].append(t)
        planner = GoalPlanner().fit(fc)
        what_if = [dataclasses.replace(GOALS[1], target=3_500)] + GOALS[::2]
        t, _ = _time(lambda p=planner, w=what_if: p.plan(w), args.repeat)
        steps["goal what-if"].append(t)
        t, _ = _time(lambda fc=fc, p=plan: ReadinessAssessor().fit(fc, 10_000, p.goals),
                     args.repeat)
        steps["readiness"].append(t)
    print(f"{args.users} users x {args.months} months, {int(np.mean(rows))} transactions per "
          f"user on average; median of {args.repeat} runs per user")
    total = np.zeros(args.users)
    for name, values in steps.items():
        v = np.array(values) * 1000
        if name != "goal what-if":
            total += v
        print(f"  {name:16s} median {np.median(v):7.1f} ms   p90 {np.percentile(v, 90):7.1f} ms")
    print(f"  {'whole stage':16s} median {np.median(total):7.1f} ms   p90 "
          f"{np.percentile(total, 90):7.1f} ms (recurring + forecast + budgets + goals + "
          "readiness)")


if __name__ == "__main__":
    main()

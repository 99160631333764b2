"""Does the goal planner's safe amount hold? A backtest on demo households.

For each household (the default demo household plus ``--households - 1`` varied ones,
``--months`` of history) and each origin (the last day of a month with at least 12 months of
history before it and 12 complete months after it), the forecaster
(:class:`ml.forecast.CashFlowForecaster`) is fitted on the transactions up to the origin, the
goal planner (:class:`ml.goals.GoalPlanner`) on its simulated surplus, and the planner's safe
monthly amount is compared with the average net cash flow (non-transfer money in minus money
out) the household really had over the 12 months after the origin.

The planner promises that in 9 futures out of 10 a year's surplus sustains the amount, so the
year should have sustained it at 90% of origins or more; and the amount should not be needlessly
small (median share of the real average it plans, and how often it plans nothing). Also shown,
for comparison, the rule before session 21: the p10 over the forecast's paths of their 3-month
average.

Run: ``python -m bench.goals_backtest [--households 20] [--months 36]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import time

import numpy as np
import pandas as pd

from core.demo_data import generate_household, generate_users
from ml.backtest import monthly_net
from ml.forecast import CashFlowForecaster
from ml.goals import GoalPlanner

log = logging.getLogger(__name__)

END = dt.date(2025, 6, 30)
YEAR = 12


def origins(tx: pd.DataFrame) -> list[tuple[pd.Timestamp, float]]:
    """(origin day, real average net of the 12 complete months after it) for every month end
    with 12 months of history before it and 12 complete months after it."""
    net, _, covered = monthly_net(tx)
    months = list(net.index)
    out = []
    for i, month in enumerate(months):
        after = months[i + 1:i + 1 + YEAR]
        if i + 1 < YEAR or len(after) < YEAR or not covered[after].all():
            continue
        if (after[-1].to_period("M") - month.to_period("M")).n != YEAR:  # a gap in the data
            continue
        out.append((month + pd.offsets.MonthEnd(0), float(net[after].mean())))
    return out


def run(households: int, months: int, seed: int) -> pd.DataFrame:
    histories = [("demo-7", generate_household(seed=7, months=months, end=END).transactions)]
    histories += [(f"demo-{h.seed}", h.transactions)
                  for h in generate_users(households - 1, seed=seed, months=months, end=END)]
    rows = []
    for name, tx in histories:
        dates = pd.to_datetime(tx["date"])
        for as_of, real in origins(tx):
            res = CashFlowForecaster().fit(tx.loc[(dates <= as_of).to_numpy()], as_of=as_of).result_
            samples = np.asarray(res.surplus_samples, dtype=float)
            if samples.size == 0:
                continue
            safe = GoalPlanner().fit(res, as_of=as_of).safe_monthly_
            before = max(float(np.quantile(samples.mean(axis=1), 0.1)), 0.0)
            rows.append((name, as_of, real, safe, before))
    return pd.DataFrame(rows, columns=["history", "origin", "real", "safe", "before"])


def summary(frame: pd.DataFrame, column: str) -> dict[str, float]:
    planned = frame[column] > 0
    return {"held": float((frame["real"] >= frame[column]).mean()),
            "nothing_planned": float((~planned).mean()),
            "median_amount": float(frame[column].median()),
            "median_share_of_real": float((frame.loc[planned, column]
                                           / frame.loc[planned, "real"]).median())
            if planned.any() else 0.0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.goals_backtest",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--households", type=int, default=20)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args(argv)
    started = time.perf_counter()
    frame = run(args.households, args.months, args.seed)
    print(f"{frame['history'].nunique()} households x {args.months} months, {len(frame)} origins,"
          f" median real average surplus {frame['real'].median():,.0f} a month"
          f" ({time.perf_counter() - started:.0f} s)")
    for column, label in (("safe", "a year's average month (now)"),
                          ("before", "the forecast's 3-month average (before)")):
        s = summary(frame, column)
        print(f"{label}: the year sustained it at {s['held']:.1%} of origins (promise: 90%);"
              f" nothing planned at {s['nothing_planned']:.1%}; median amount"
              f" {s['median_amount']:,.0f}, {s['median_share_of_real']:.1%} of the real average")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

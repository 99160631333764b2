"""Rolling-origin backtest of the monthly net cash-flow forecast (:mod:`ml.forecast`).

``python -m ml.backtest [--csv FILE] [--json] [--months N] [--households N] [--min-train N]
[--seed N] [--end DATE] [--no-calibrate]``

For every origin (the last day of a month with at least ``min_train`` training months, as
:func:`ml.forecast_data.training_months` counts them) the forecaster is fitted on the
transactions up to that day (the recurring stage too) and forecasts the net cash flow
(non-transfer money in minus money out) of the next ``horizon`` (3) months. Only target
months that the data fully covers count: in the same unbroken run of months as the origin,
and either followed by a month with data or with a transaction in its last 3 days (the data
does not stop before the month ends).

Figures (``--json`` keys ``mase_p50``, ``mase_seasonal_naive``, ``band_coverage``,
``n_forecasts``, plus ``below_p10``, ``above_p90``, ``n_origins``, ``n_histories``,
``by_horizon``):

- MASE (Hyndman & Koehler 2006): absolute error divided by the in-sample MAE of the one-step
  naive forecast on that origin's training months, averaged over all forecasts. Origins with a
  zero scale (fewer than two training months, or a flat history) are skipped.
- The seasonal-naive baseline repeats the same calendar month a year earlier when the
  training run has 12+ months, else the last training month (naive, lag 1).
- ``band_coverage``: share of actuals inside [p10, p90] (nominal 80%).

Without ``--csv`` it runs on demo households (``core.demo_data``: the default household plus
``households - 1`` varied ones from ``generate_users(seed=--seed)``, ``months`` of history
ending ``--end``). ``--csv`` reads any
statement CSV the importer understands with at least ``date`` and signed ``amount`` columns
(``core.importing.parse_statement``; unparseable rows are reported and skipped); ``--months``
then keeps only the last N months of the file. Only :func:`main` does IO.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from ml.forecast import CashFlowForecaster
from ml.forecast_data import training_months
from ml.txframe import month_start, prepare

log = logging.getLogger(__name__)

FORECAST_COLUMNS = ["history", "origin", "month", "h", "actual", "p10", "p50", "p90",
                    "seasonal_naive", "scale"]


def monthly_net(tx: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(net cash flow per month with data, first day of month of each month's first row,
    covered flag per month); transfers count for presence but not for the net."""
    df = prepare(tx)
    df = df.assign(month=month_start(df["date"]))
    own = df["amount"].where(~df["is_transfer"], 0.0)
    net = own.groupby(df["month"]).sum()
    first = df.groupby("month")["date"].min().dt.day
    last = df.groupby("month")["date"].max()
    months = net.index
    nxt = pd.Series(months, index=months).shift(-1)
    follows = (nxt.dt.to_period("M") - months.to_period("M")).map(
        lambda d: getattr(d, "n", 0) == 1).to_numpy(dtype=bool)
    end_seen = (last + pd.offsets.MonthEnd(0) - last).dt.days.to_numpy() < 3
    covered = pd.Series(follows | end_seen, index=months)
    return net, first, covered


def rolling_origin(tx: pd.DataFrame, name: str = "history", min_train: int = 6,
                   horizon: int = 3, params: dict | None = None) -> pd.DataFrame:
    """One row per forecast (columns :data:`FORECAST_COLUMNS`)."""
    net, first, covered = monthly_net(tx)
    present = pd.DatetimeIndex(net.index)
    dates = pd.to_datetime(tx["date"], format="mixed")
    rows = []
    for origin in present:
        as_of = origin + pd.offsets.MonthEnd(0)
        train = training_months(present[present <= origin], first, as_of)
        if len(train) < max(min_train, 2) or train[-1] != origin:
            continue
        targets = []
        for h in range(1, horizon + 1):
            m = origin + pd.DateOffset(months=h)
            if m not in net.index or not covered[m]:
                break
            targets.append((h, m))
        y = net.loc[train].to_numpy()
        scale = float(np.mean(np.abs(np.diff(y))))
        if not targets or scale <= 0:
            continue
        fc = CashFlowForecaster(horizon=horizon, **(params or {}))
        res = fc.fit(tx.loc[(dates <= as_of).to_numpy()], as_of=as_of).result_
        for h, m in targets:
            row = res.months.loc[res.months["month"] == m].iloc[0]
            naive = net.get(m - pd.DateOffset(months=12)) if len(train) >= 12 else y[-1]
            rows.append((name, origin, m, h, float(net[m]), row["net_p10"], row["net_p50"],
                         row["net_p90"], float(naive if naive is not None else y[-1]), scale))
    return pd.DataFrame(rows, columns=FORECAST_COLUMNS)


def _scores(f: pd.DataFrame) -> dict[str, float]:
    if f.empty:
        return {"mase_p50": np.nan, "mase_seasonal_naive": np.nan, "band_coverage": np.nan,
                "below_p10": np.nan, "above_p90": np.nan, "n_forecasts": 0}
    inside = (f["actual"] >= f["p10"]) & (f["actual"] <= f["p90"])
    return {"mase_p50": float(np.mean(np.abs(f["actual"] - f["p50"]) / f["scale"])),
            "mase_seasonal_naive": float(np.mean(np.abs(f["actual"] - f["seasonal_naive"])
                                                 / f["scale"])),
            "band_coverage": float(inside.mean()),
            "below_p10": float((f["actual"] < f["p10"]).mean()),
            "above_p90": float((f["actual"] > f["p90"]).mean()), "n_forecasts": len(f)}


def summarize(forecasts: pd.DataFrame) -> dict[str, object]:
    """Headline figures over all forecasts plus ``by_horizon``."""
    out: dict[str, object] = _scores(forecasts)
    out["n_origins"] = int(forecasts[["history", "origin"]].drop_duplicates().shape[0])
    out["n_histories"] = int(forecasts["history"].nunique())
    out["by_horizon"] = {int(h): _scores(g) for h, g in forecasts.groupby("h")}
    return out


def _read_csv(path: Path) -> pd.DataFrame:
    from core.importing import parse_statement  # CLI-only IO dependency

    result = parse_statement(path.read_bytes(), path.name)
    for bad in result.rejected:
        log.warning("line %s skipped: %s (%r)", bad.line, bad.reason, bad.value)
    return pd.DataFrame({"date": [t.date for t in result.transactions],
                         "amount": [t.amount for t in result.transactions],
                         "description": [t.description for t in result.transactions],
                         "merchant": [t.merchant for t in result.transactions]})


def _demo(households: int, months: int, end: dt.date, seed: int
          ) -> list[tuple[str, pd.DataFrame]]:
    from core.demo_data import generate_household, generate_users  # CLI-only

    out = [("demo-7", generate_household(seed=7, months=months, end=end).transactions)]
    for h in generate_users(max(households - 1, 0), seed=seed, months=months, end=end):
        out.append((f"demo-{h.seed}", h.transactions))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ml.backtest", description=__doc__.split("\n")[0])
    ap.add_argument("--csv", type=Path, help="statement CSV with date and signed amount")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    ap.add_argument("--months", type=int, default=None,
                    help="demo: months of history (default 36); CSV: keep the last N months")
    ap.add_argument("--households", type=int, default=6, help="demo households (default 6)")
    ap.add_argument("--seed", type=int, default=2, help="seed of the varied demo households")
    ap.add_argument("--no-calibrate", action="store_true",
                    help="ablation: no conformal widening of the bands")
    ap.add_argument("--min-train", type=int, default=6, help="training months per origin")
    ap.add_argument("--end", type=dt.date.fromisoformat, default=dt.date(2025, 6, 30),
                    help="last day of the demo histories (default 2025-06-30)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.csv:
        tx = _read_csv(args.csv)
        if args.months and len(tx):
            start = (pd.Timestamp(max(tx["date"])).to_period("M") - args.months + 1)
            tx = tx.loc[pd.to_datetime(tx["date"]) >= start.to_timestamp()]
        histories = [(args.csv.name, tx)]
    else:
        histories = _demo(args.households, args.months or 36, args.end, args.seed)
    params = {"calibrate": not args.no_calibrate}
    frames = [rolling_origin(tx, name, args.min_train, params=params)
              for name, tx in histories if len(tx)]
    forecasts = (pd.concat(frames, ignore_index=True) if frames
                 else pd.DataFrame(columns=FORECAST_COLUMNS))
    summary = summarize(forecasts)
    summary["rows"] = int(sum(len(tx) for _, tx in histories))
    summary["n_histories"] = len(histories)
    if args.json:
        print(json.dumps(_nan_to_none(summary), indent=2))
    else:
        _print(summary)
    return 0


def _nan_to_none(value: object) -> object:
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _print(s: dict) -> None:
    def fmt(v: object) -> str:
        return "n/a" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.3f}"

    print(f"histories {s['n_histories']}, origins {s['n_origins']}, forecasts {s['n_forecasts']}"
          f", rows {s['rows']}")
    print(f"MASE p50 {fmt(s['mase_p50'])}  seasonal naive {fmt(s['mase_seasonal_naive'])}  "
          f"p10-p90 coverage {fmt(s['band_coverage'])} (below {fmt(s['below_p10'])}, above "
          f"{fmt(s['above_p90'])})")
    for h, v in s["by_horizon"].items():
        print(f"  h={h}: n {v['n_forecasts']}, MASE p50 {fmt(v['mase_p50'])}, seasonal naive "
              f"{fmt(v['mase_seasonal_naive'])}, coverage {fmt(v['band_coverage'])}")


if __name__ == "__main__":
    sys.exit(main())

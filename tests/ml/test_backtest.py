"""Rolling-origin backtest: the CLI on the real labeled file and on a plain date,amount CSV, the
MASE definition, and months that the data does not cover."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from core.demo_data import generate_household
from ml.backtest import monthly_net, rolling_origin, summarize

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"mase_p50", "mase_seasonal_naive", "band_coverage", "n_forecasts"}


def _cli(*args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "ml.backtest", *args, "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout)


def test_cli_on_the_labeled_file(shared_data: Path) -> None:
    path = shared_data / "labeled" / "yassirawad_za_labeled" / "data" / "transactions.csv"
    default = _cli("--csv", str(path))
    assert KEYS <= default.keys()
    assert default["rows"] >= 440  # messy dates parsed; 3 rows with broken amounts skipped
    # two short blocks of 3 complete months: no origin has 6 training months
    assert default["n_forecasts"] == 0 and default["mase_p50"] is None
    short = _cli("--csv", str(path), "--min-train", "2")
    assert short["n_forecasts"] >= 1
    assert short["mase_p50"] > 0 and short["mase_seasonal_naive"] > 0
    assert 0.0 <= short["band_coverage"] <= 1.0


def test_cli_on_a_plain_date_amount_csv(tmp_path: Path) -> None:
    tx = generate_household(seed=11, months=14, end=dt.date(2025, 6, 30)).transactions
    tx = tx.loc[~tx["is_transfer"], ["date", "amount"]]
    assert max(tx["date"]) >= dt.date(2025, 6, 28)  # June counts as covered
    path = tmp_path / "plain.csv"
    tx.to_csv(path, index=False)
    res = _cli("--csv", str(path), "--min-train", "6")
    # May 2024 - June 2025; origins October 2024 (6 months) to May 2025, each with up to
    # three target months up to June 2025
    assert res["n_origins"] == 8 and res["n_forecasts"] == 6 * 3 + 2 + 1
    assert np.isfinite(res["mase_p50"]) and np.isfinite(res["mase_seasonal_naive"])
    assert set(res["by_horizon"]) == {"1", "2", "3"}


def test_mase_and_coverage_definitions() -> None:
    f = pd.DataFrame({"history": "a", "origin": pd.Timestamp("2025-01-01"),
                      "month": pd.to_datetime(["2025-02-01", "2025-03-01"]), "h": [1, 2],
                      "actual": [100.0, 300.0], "p10": [50.0, 0.0], "p50": [120.0, 100.0],
                      "p90": [150.0, 200.0], "seasonal_naive": [0.0, 0.0],
                      "scale": [50.0, 50.0]})
    s = summarize(f)
    assert s["mase_p50"] == np.mean([20 / 50, 200 / 50])
    assert s["mase_seasonal_naive"] == np.mean([100 / 50, 300 / 50])
    assert s["band_coverage"] == 0.5 and s["above_p90"] == 0.5 and s["n_forecasts"] == 2


def test_gaps_and_partial_months_are_not_targets() -> None:
    tx = generate_household(seed=11, months=20, end=dt.date(2025, 6, 20)).transactions
    dates = pd.to_datetime(tx["date"])
    gap = (dates >= "2024-09-01") & (dates < "2024-11-01")  # two months missing
    tx = tx.loc[~gap.to_numpy()]
    net, _, covered = monthly_net(tx)
    assert pd.Timestamp("2024-09-01") not in net.index
    assert not covered[pd.Timestamp("2025-06-01")]  # data ends on the 20th
    f = rolling_origin(tx, "gap", min_train=6)
    assert len(f)
    for row in f.itertuples():
        span = pd.date_range(row.origin, row.month, freq="MS")
        assert not span.isin(pd.to_datetime(["2024-09-01", "2024-10-01"])).any()
        assert row.month != pd.Timestamp("2025-06-01")
    # origins after the gap need 6 months of their own: November 2024 + 5 -> April 2025
    assert f["origin"].max() == pd.Timestamp("2025-04-01")

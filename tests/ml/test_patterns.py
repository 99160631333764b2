"""Monthly spending patterns on demo and real data, with the documented fallbacks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.demo_data import generate_household
from ml.inject import normalize_labeled
from ml.patterns import FEATURE_COLUMNS, category_spend, monthly_features
from ml.recurring import RecurringDetector

END = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return generate_household(seed=7, end=END).transactions


@pytest.fixture(scope="module")
def labeled(shared_data: Path) -> pd.DataFrame:
    path = shared_data / "labeled" / "yassirawad_za_labeled" / "data" / "transactions.csv"
    return normalize_labeled(pd.read_csv(path, dtype=str, keep_default_na=False))


def test_demo_months_income_and_spend(demo: pd.DataFrame) -> None:
    feats = monthly_features(demo)
    assert list(feats.columns) == FEATURE_COLUMNS
    assert len(feats) == 24 and feats["month"].is_monotonic_increasing
    june = feats.loc[feats["month"] == pd.Timestamp("2025-06-01")].iloc[0]
    rows = demo.loc[[d.strftime("%Y-%m") == "2025-06" for d in demo["date"]]]
    rows = rows.loc[~rows["is_transfer"]]
    amounts = rows["amount"].astype(float)
    refunds = amounts.where((rows["category"] == "Refunds") & (amounts > 0), 0.0)
    assert june["income"] == pytest.approx(amounts.clip(lower=0).sum() - refunds.sum())
    assert june["spend"] == pytest.approx(-amounts.clip(upper=0).sum() - refunds.sum())
    assert june["n_out"] == int((amounts < 0).sum())
    assert june["net"] == pytest.approx(june["income"] - june["spend"])
    assert june["savings_rate"] == pytest.approx(june["net"] / june["income"])
    # transfers (card repayment, savings) are neither income nor spend
    assert (feats["income"] < 12_000).all() and (feats["spend"] < feats["income"] * 1.5).all()
    assert sum(june["spend_by_category"].values()) == pytest.approx(june["spend"], abs=0.05)
    assert "Credit Card Payment" not in june["spend_by_category"]


def test_fixed_variable_volatility_trend_seasonality(demo: pd.DataFrame) -> None:
    plain = monthly_features(demo)
    mask = RecurringDetector().fit_transform(demo).notna()
    with_mask = monthly_features(demo, recurring_mask=mask)
    assert (with_mask["fixed_spend"] >= plain["fixed_spend"] - 1e-9).all()
    assert (with_mask["fixed_spend"] > plain["fixed_spend"]).any()  # gym, charity...
    assert (plain["fixed_spend"] >= 1000).all()  # rent is fixed without any mask
    assert np.allclose(plain["fixed_spend"] + plain["variable_spend"], plain["spend"])
    assert plain["volatility"].iloc[:2].isna().all() and plain["volatility"].iloc[2:].notna().all()
    assert (plain["volatility"].dropna() >= 0).all()
    assert np.isnan(plain["frequency_trend"].iloc[0])
    expected = plain["n_out"].iloc[5] / plain["n_out"].iloc[2:5].mean() - 1
    assert plain["frequency_trend"].iloc[5] == pytest.approx(expected)
    season = plain["seasonality_index"]
    assert season.notna().all()
    assert season.mean() == pytest.approx(1.0, abs=0.05)


def test_real_labeled_history(labeled: pd.DataFrame) -> None:
    feats = monthly_features(labeled)
    assert feats["month"].iloc[0] == pd.Timestamp("2021-07-01")
    assert feats["month"].iloc[-1] == pd.Timestamp("2023-11-01")
    assert len(feats) == 29  # months without transactions are present, with zeros
    empty = feats.loc[feats["n_out"] == 0]
    assert len(empty) > 10 and (empty["spend"] == 0).all()
    assert empty["savings_rate"].isna().all()  # no income: no rate
    oct23 = feats.loc[feats["month"] == pd.Timestamp("2023-10-01")].iloc[0]
    rows = labeled.loc[[d.strftime("%Y-%m") == "2023-10" for d in labeled["date"]]]
    amounts = rows["amount"].astype(float)
    assert oct23["spend"] == pytest.approx(-amounts.clip(upper=0).sum())
    invest = amounts.loc[(rows["category"] == "Investments") & (amounts < 0)].sum()
    assert oct23["spend_by_category"]["Investments"] == pytest.approx(-invest)
    assert max(oct23["spend_by_category"], key=oct23["spend_by_category"].get) == "Investments"
    long = category_spend(labeled)
    shares = long.groupby("month")["share"].sum()
    assert np.allclose(shares, 1.0)


def test_edge_cases() -> None:
    empty = monthly_features(pd.DataFrame(columns=["date", "amount", "category", "merchant"]))
    assert list(empty.columns) == FEATURE_COLUMNS and empty.empty
    assert category_spend(pd.DataFrame(columns=["date", "amount"])).empty
    one = monthly_features(pd.DataFrame({"date": [dt.date(2024, 3, 5)], "amount": ["-12.50"],
                                         "category": [None], "merchant": ["Cafe"]}))
    assert len(one) == 1
    row = one.iloc[0]
    assert row["spend"] == 12.5 and row["income"] == 0 and np.isnan(row["savings_rate"])
    assert row["spend_by_category"] == {"Uncategorized": 12.5}
    assert np.isnan(row["volatility"]) and np.isnan(row["seasonality_index"])
    income_only = monthly_features(pd.DataFrame({
        "date": [dt.date(2024, 3, 1), dt.date(2024, 3, 28)], "amount": [2000.0, 15.0],
        "category": ["Salary", "Interest & Dividends"]}))
    assert income_only["spend"].iloc[0] == 0 and income_only["savings_rate"].iloc[0] == 1.0
    transfers = monthly_features(pd.DataFrame({
        "date": [dt.date(2024, 3, 1)] * 2, "amount": [-500.0, 500.0],
        "category": ["Savings & Investments", "Between Accounts"]}))
    assert transfers["income"].iloc[0] == 0 and transfers["spend"].iloc[0] == 0

"""Recurring series on demo and real data: cadence, price rises, missed and new series."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from core.demo_data import generate_household
from ml.inject import normalize_labeled
from ml.recurring import SERIES_COLUMNS, RecurringDetector

END = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    return generate_household(seed=7, end=END).transactions


@pytest.fixture(scope="module")
def series(demo: pd.DataFrame) -> pd.DataFrame:
    return RecurringDetector().fit(demo).series_


def _one(series: pd.DataFrame, merchant: str) -> pd.Series:
    rows = series.loc[series["merchant"] == merchant]
    assert len(rows) == 1, f"{merchant}: {rows['series_key'].tolist()}"
    return rows.iloc[0]


def test_netflix_monthly_with_price_rise(demo: pd.DataFrame, series: pd.DataFrame) -> None:
    netflix = _one(series, "Netflix")
    charges = demo.loc[demo["merchant"] == "Netflix"]
    first_new = charges.loc[charges["amount"] == Decimal("-15.49"), "date"].min()
    assert netflix["series_key"] == "out:monthly:netflix"
    assert netflix["cadence"] == "monthly" and netflix["amount_type"] == "fixed"
    assert netflix["n"] == len(charges)
    assert sorted(netflix["transaction_ids"]) == sorted(charges["external_id"])
    assert netflix["has_price_rise"]
    assert netflix["price_change_date"] == first_new
    assert (netflix["price_change_from"], netflix["price_change_to"]) == (-12.99, -15.49)
    assert netflix["price_change_pct"] == pytest.approx(15.49 / 12.99 - 1, abs=1e-4)
    assert netflix["next_amount"] == -15.49
    last = charges["date"].max()
    assert 25 <= (netflix["next_date"] - last).days <= 36
    assert netflix["status"] == "active" and not netflix["is_missed"]
    assert netflix["confidence"] > 0.9


def test_demo_bills_income_and_no_groceries(series: pd.DataFrame) -> None:
    cadences = dict(zip(series["category"], series["cadence"], strict=False))
    assert cadences["Rent & Mortgage"] == "monthly"
    assert cadences["Home Insurance"] == "yearly"
    assert "quarterly" in set(series.loc[series["category"] == "Utilities", "cadence"])
    salaries = series.loc[series["category"] == "Salary"]
    assert len(salaries) == 2 and (salaries["direction"] == "in").all()
    assert salaries["has_price_rise"].any()  # the raise
    for habit in ("Groceries", "Coffee & Snacks", "Restaurants", "Fuel"):
        assert habit not in set(series["category"]), f"{habit} is not a bill"
    assert not series["category"].isin(["Credit Card Payment", "Between Accounts"]).any()
    assert series["series_key"].is_unique
    assert list(series.columns) == SERIES_COLUMNS


def test_stable_keys_and_transform(demo: pd.DataFrame, series: pd.DataFrame) -> None:
    shuffled = demo.sample(frac=1.0, random_state=3)
    again = RecurringDetector().fit(shuffled)
    assert list(again.series_["series_key"]) == list(series["series_key"])
    keys = again.transform(demo)
    netflix_rows = demo["merchant"] == "Netflix"
    assert (keys[netflix_rows] == "out:monthly:netflix").all()
    assert keys[demo["category"] == "Groceries"].isna().all()


def test_missed_and_ended(demo: pd.DataFrame) -> None:
    charges = demo.loc[demo["merchant"] == "Spotify"]
    last = charges["date"].max()
    without_last = demo.drop(index=charges.index[-1])
    due = last + dt.timedelta(days=1)
    spotify = _one(RecurringDetector(as_of=due).fit(without_last).series_, "Spotify")
    assert spotify["status"] == "active"
    late = last + dt.timedelta(days=10)
    spotify = _one(RecurringDetector(as_of=late).fit(without_last).series_, "Spotify")
    assert spotify["status"] == "missed" and spotify["is_missed"] and spotify["missed_count"] == 1
    assert spotify["next_date"] <= late
    gone = last + dt.timedelta(days=75)
    spotify = _one(RecurringDetector(as_of=gone).fit(without_last).series_, "Spotify")
    assert spotify["status"] == "ended" and spotify["missed_count"] >= 2


def _disney(months: tuple[int, ...]) -> pd.DataFrame:
    # charged on the 6th, moved to Monday when the 6th is a weekend (2025-04-06 is a Sunday)
    days = [dt.date(2025, m, 6) for m in months]
    days = [d + dt.timedelta(days=7 - d.weekday()) if d.weekday() >= 5 else d for d in days]
    return pd.DataFrame({
        "date": days, "amount": [Decimal("-9.99")] * len(days),
        "description": [f"DISNEY PLUS {n}" for n in (4411, 9810, 7)[:len(days)]],
        "merchant": [None] * len(days), "category": ["Streaming"] * len(days),
        "external_id": [f"n{m}" for m in months], "is_transfer": [False] * len(days)})


def test_new_subscription_and_weekend_shifts(demo: pd.DataFrame) -> None:
    two = pd.concat([demo, _disney((5, 6))], ignore_index=True)
    found = RecurringDetector(as_of=END).fit(two).series_
    disney = found.loc[found["mkey"] == "disney plus"].iloc[0]
    assert disney["cadence"] == "monthly" and disney["n"] == 2
    assert disney["is_new"] and disney["status"] == "new"
    assert disney["merchant"] == "Disney Plus" and disney["confidence"] <= 0.5  # tentative
    assert not found.loc[found["merchant"] == "Netflix", "is_new"].iloc[0]
    three = pd.concat([demo, _disney((4, 5, 6))], ignore_index=True)
    just_after = RecurringDetector(as_of=dt.date(2025, 6, 7)).fit(three).series_
    disney = just_after.loc[just_after["mkey"] == "disney plus"].iloc[0]
    assert disney["n"] == 3 and disney["status"] == "new"
    assert disney["first_date"] == dt.date(2025, 4, 7)  # the Monday after Sunday the 6th
    later = RecurringDetector(as_of=END).fit(three).series_
    assert later.loc[later["mkey"] == "disney plus", "status"].iloc[0] == "active"


def test_real_labeled_history(shared_data: Path) -> None:
    path = shared_data / "labeled" / "yassirawad_za_labeled" / "data" / "transactions.csv"
    tx = normalize_labeled(pd.read_csv(path, dtype=str, keep_default_na=False))
    found = RecurringDetector().fit(tx).series_
    netflix = found.loc[found["mkey"].str.contains("netflix")]
    assert len(netflix) == 1 and netflix.iloc[0]["cadence"] == "monthly"
    members = tx.loc[tx["id"].isin(netflix.iloc[0]["transaction_ids"])]
    assert members["description"].str.contains("Netflix", case=False).all()
    # the file ends 2023-11-30; the next October charge never came
    assert netflix.iloc[0]["status"] == "missed"
    # one-off purchases are not series
    assert len(found) <= 10


def test_edge_cases() -> None:
    cols = ["date", "amount", "merchant", "id"]
    empty = RecurringDetector().fit(pd.DataFrame(columns=cols))
    assert empty.series_.empty and list(empty.series_.columns) == SERIES_COLUMNS
    one = pd.DataFrame({"date": [dt.date(2024, 1, 5)], "amount": [-5.0], "merchant": ["X"],
                        "id": [1]})
    fitted = RecurringDetector().fit(one)
    assert fitted.series_.empty and fitted.transform(one).isna().all()
    income_only = pd.DataFrame({"date": [dt.date(2024, m, 25) for m in range(1, 7)],
                                "amount": [3000.0] * 6, "merchant": ["ACME"] * 6,
                                "id": range(6)})
    salary = RecurringDetector().fit(income_only).series_.iloc[0]
    assert salary["direction"] == "in" and salary["cadence"] == "monthly"
    weekly = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=10, freq="7D").date,
                           "amount": [-20.0] * 10, "merchant": ["Cleaner"] * 10,
                           "id": range(10)})
    assert RecurringDetector().fit(weekly).series_.iloc[0]["cadence"] == "weekly"


def test_cash_withdrawals_are_not_bills(demo: pd.DataFrame, series: pd.DataFrame) -> None:
    # the demo household takes cash out of the ATM at fixed amounts now and then: a series by
    # amount and merchant, but the money is still theirs, so it is no bill unless asked for
    cash = demo.loc[demo["category"] == "ATM Withdrawal"]
    assert len(cash) >= 4
    assert "ATM Withdrawal" not in set(series["category"])
    with_cash = RecurringDetector(include_cash=True).fit(demo).series_
    assert "ATM Withdrawal" in set(with_cash["category"])
    assert set(with_cash["series_key"]) - set(series["series_key"]) == set(
        with_cash.loc[with_cash["category"] == "ATM Withdrawal", "series_key"])

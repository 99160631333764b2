"""Synthetic demo households: deterministic, realistic in shape, plausible balances."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from core.demo_data import (
    CATEGORY_PARENT,
    COLUMNS,
    DEFAULT_TAXONOMY,
    DemoHousehold,
    generate_household,
    generate_users,
)

END = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def household() -> DemoHousehold:
    return generate_household(seed=7, end=END)


@pytest.fixture(scope="module")
def users() -> list[DemoHousehold]:
    return list(generate_users(20, seed=3, end=END))


def _balance_path(h: DemoHousehold, account: str) -> pd.Series:
    opening = next(a.opening_balance for a in h.accounts if a.name == account)
    tx = h.transactions.loc[h.transactions["account"] == account]
    return tx["amount"].cumsum() + opening


def test_same_seed_same_household_and_different_seed_differs(household: DemoHousehold) -> None:
    again = generate_household(seed=7, end=END)
    pd.testing.assert_frame_equal(household.transactions, again.transactions)
    assert household.accounts == again.accounts
    other = generate_household(seed=8, end=END).transactions
    assert not other["description"].equals(household.transactions["description"])


def test_columns_types_and_taxonomy(household: DemoHousehold) -> None:
    tx = household.transactions
    assert list(tx.columns) == COLUMNS
    assert all(isinstance(d, dt.date) for d in tx["date"])
    assert all(isinstance(a, Decimal) and a.as_tuple().exponent == -2 for a in tx["amount"])
    assert tx["external_id"].is_unique
    assert tx["external_id"].str.fullmatch(r"demo-7-\d+").all()
    assert set(tx["category"]) <= set(CATEGORY_PARENT)
    assert set(tx["currency"]) == {"EUR"}
    assert tx["date"].min() > END - dt.timedelta(days=731) and tx["date"].max() <= END
    assert tx["date"].is_monotonic_increasing
    assert {a.kind for a in household.accounts} == {"checking", "savings", "credit"}
    assert len(DEFAULT_TAXONOMY) == 18 and len(CATEGORY_PARENT) == 52
    # payee is None for card purchases (not NaN) and set for direct debits
    assert tx.loc[tx["description"].str.startswith("CONTACTLESS"), "payee"].isna().all()
    assert (tx.loc[tx["description"].str.startswith("DD NETFLIX"), "payee"] == "NETFLIX.COM").all()
    assert 1500 <= len(tx) <= 2500


def test_household_shape(household: DemoHousehold) -> None:
    tx = household.transactions
    months = pd.Series([d.strftime("%Y-%m") for d in tx["date"]], index=tx.index)
    salary = tx.loc[tx["category"] == "Salary"]
    full_months = months.loc[salary.index].value_counts()
    assert (full_months.iloc[1:-1] == 2).all(), "two salaries a month"
    by_payer = salary.groupby("payee")["amount"].agg(["min", "max"])
    assert len(by_payer) == 2 and (by_payer["max"] / by_payer["min"] > Decimal("1.04")).any()
    rent = tx.loc[tx["category"] == "Rent & Mortgage"]
    assert rent["amount"].nunique() == 1 and all(d.day <= 3 for d in rent["date"])
    netflix = tx.loc[tx["merchant"] == "Netflix", "amount"].tolist()
    assert netflix[0] == Decimal("-12.99") and netflix[-1] == Decimal("-15.49")
    assert netflix == sorted(netflix, reverse=True)  # one step up, never back
    assert tx["description"].str.contains(r"CARD PAYMENT .+ \d\d/\d\d$").any()
    assert len(set(tx.loc[tx["category"] == "Groceries", "merchant"])) >= 2
    gifts = tx.loc[tx["category"] == "Gifts"]
    dec = gifts.loc[[d.month == 12 for d in gifts["date"]], "amount"].sum()
    assert -dec > -gifts["amount"].sum() / 12 * 2, "December gifts stand out"
    assert tx["category"].isin(["Flights", "Accommodation"]).any()


def test_transfers_have_both_legs(household: DemoHousehold) -> None:
    tx = household.transactions.loc[household.transactions["is_transfer"]]
    assert set(tx["category"]) <= set(DEFAULT_TAXONOMY["Transfers"])
    for _, legs in tx.groupby("date"):
        assert legs["amount"].sum() == 0, "each transfer leaves one account and enters another"
        assert legs["account"].nunique() == 2
    card = tx.loc[tx["category"] == "Credit Card Payment"]
    assert set(card["account"]) == {"Current Account", "Credit Card"}
    saving = household.transactions.loc[
        household.transactions["category"] == "Savings & Investments"]
    assert (saving["account"] == "Current Account").all() and (saving["amount"] < 0).all()


def test_anomalies_are_marked(household: DemoHousehold) -> None:
    tx = household.transactions
    kinds = set(tx.loc[tx["is_anomaly"], "anomaly_kind"])
    assert kinds == {"duplicate", "amount_spike", "first_time_merchant", "burst"}
    assert tx.loc[~tx["is_anomaly"], "anomaly_kind"].isna().all()
    dup = tx.loc[tx["anomaly_kind"] == "duplicate"].iloc[0]
    twins = tx.loc[(tx["merchant"] == dup["merchant"]) & (tx["amount"] == dup["amount"])]
    assert len(twins) >= 2
    assert 5 <= (tx["anomaly_kind"] == "burst").sum() <= 9


def test_balances_stay_plausible(users: list[DemoHousehold]) -> None:
    for h in [generate_household(seed=7, end=END), *users]:
        checking = _balance_path(h, "Current Account")
        savings = _balance_path(h, "Savings Account")
        assert checking.min() >= 0, f"seed {h.seed}: checking went negative"
        assert savings.min() >= 0
        opening = next(a.opening_balance for a in h.accounts if a.name == "Savings Account")
        assert savings.iloc[-1] > opening, f"seed {h.seed}: savings did not grow"
        assert h.closing_balances()["Credit Card"] <= 0


def test_generate_users_varies(users: list[DemoHousehold]) -> None:
    assert len({h.seed for h in users}) == 20
    incomes = [h.transactions.loc[h.transactions["category"] == "Salary", "amount"].sum()
               for h in users]
    assert max(incomes) > 2 * min(incomes)
    earners = {h.transactions.loc[h.transactions["category"] == "Salary", "payee"].nunique()
               for h in users}
    assert earners == {1, 2}
    grocers = {frozenset(h.transactions.loc[h.transactions["category"] == "Groceries",
                                            "merchant"]) for h in users}
    assert len(grocers) > 5
    ids = pd.concat([h.transactions["external_id"] for h in users])
    assert ids.is_unique
    sizes = sorted(len(h.transactions) for h in users)
    assert 1500 <= sizes[len(sizes) // 2] <= 2500


def test_short_windows_and_bad_months() -> None:
    one = generate_household(seed=7, months=1, end=END).transactions
    assert 0 < len(one) < 200
    assert one["date"].min() >= dt.date(2025, 5, 31)
    assert one["is_anomaly"].any()
    with pytest.raises(ValueError):
        generate_household(months=0, end=END)


def test_end_defaults_to_today() -> None:
    tx = generate_household(seed=1, months=2).transactions
    assert tx["date"].max() <= dt.date.today()
    assert tx["date"].max() >= dt.date.today() - dt.timedelta(days=7)

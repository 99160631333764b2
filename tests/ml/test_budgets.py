"""Budgets on demo data: suggestions without anomalies, progress, rollover, weekly budgets,
safe-to-spend and the 80% / 100% alerts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core.demo_data import generate_household
from ml.budgets import BudgetPlanner
from ml.forecast import CashFlowForecaster
from ml.txframe import prepare

AS_OF = dt.date(2025, 6, 18)  # a Wednesday


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    tx = generate_household(seed=7, months=24, end=dt.date(2025, 6, 30)).transactions
    return tx.loc[tx["date"] <= AS_OF].reset_index(drop=True)


@pytest.fixture(scope="module")
def spend(history: pd.DataFrame) -> pd.DataFrame:
    df = prepare(history)
    df = df.loc[~df["is_transfer"] & (df["amount"] < 0)]
    return df.assign(month=df["date"].dt.to_period("M").dt.to_timestamp(), value=-df["amount"])


def _monthly(spend: pd.DataFrame, category: str, months: pd.DatetimeIndex) -> pd.Series:
    rows = spend.loc[spend["category"] == category]
    return rows.groupby("month")["value"].sum().reindex(months, fill_value=0.0)


def test_suggestions_are_recent_medians_without_anomalies(history, spend) -> None:
    plan = BudgetPlanner().fit(history, as_of=AS_OF)
    sug = plan.suggested_.set_index("category")
    months = pd.date_range("2024-12-01", "2025-05-01", freq="MS")
    spike = history.loc[history["anomaly_kind"] == "amount_spike"].iloc[0]
    assert pd.Timestamp(spike["date"]) >= months[0]  # the spike falls in the lookback window
    clean = spend.loc[~spend["id"].isin(history.loc[history["is_anomaly"], "external_id"])]
    for cat in ("Groceries", spike["category"]):
        med = float(np.median(_monthly(clean, cat, months)))
        assert sug.at[cat, "median"] == pytest.approx(med, abs=0.01)
        assert sug.at[cat, "suggested"] >= med and sug.at[cat, "suggested"] % 5 == 0
    with_spike = BudgetPlanner().fit(history.drop(columns=["is_anomaly"]), as_of=AS_OF)
    raw = with_spike.suggested_.set_index("category")
    assert raw.at[spike["category"], "p75"] > sug.at[spike["category"], "p75"]
    # the same exclusion through ids flagged by the anomaly stage
    by_ids = BudgetPlanner().fit(history.drop(columns=["is_anomaly"]), as_of=AS_OF,
                                 anomaly_ids=[spike["external_id"]])
    assert by_ids.suggested_.set_index("category").at[spike["category"], "p75"] == \
        sug.at[spike["category"], "p75"]
    assert sug.at["Rent & Mortgage", "fixed"] and not sug.at["Groceries", "fixed"]
    assert "Salary" not in sug.index and "Credit Card Payment" not in sug.index


def test_progress_rollover_and_weekly(history, spend) -> None:
    plan = BudgetPlanner(rollover_cap=0.5).fit(history, as_of=AS_OF, budgets={"Groceries": 500})
    row = plan.progress_.set_index("category").loc["Groceries"]
    june = spend.loc[(spend["category"] == "Groceries") & (spend["month"] == "2025-06-01")]
    may = spend.loc[(spend["category"] == "Groceries") & (spend["month"] == "2025-05-01")]
    assert row["spent"] == pytest.approx(june["value"].sum(), abs=0.01)
    carry = min(max(500 - may["value"].sum(), 0.0), 250.0)
    assert row["rollover"] == pytest.approx(carry, abs=0.01)
    assert row["available"] == pytest.approx(500 + carry, abs=0.01)
    assert row["weekly_budget"] == pytest.approx((500 + carry) * 7 / 30, abs=0.01)
    week = june.loc[june["date"] >= "2025-06-16", "value"].sum()  # Monday 16 June
    assert row["spent_this_week"] == pytest.approx(week, abs=0.01)
    off = BudgetPlanner(rollover=False).fit(history, as_of=AS_OF, budgets={"Groceries": 500})
    assert off.progress_.set_index("category").at["Groceries", "rollover"] == 0.0


def test_overspent_month_does_not_roll_over(history) -> None:
    plan = BudgetPlanner().fit(history, as_of=AS_OF, budgets={"Groceries": 10})
    row = plan.progress_.set_index("category").loc["Groceries"]
    assert row["rollover"] == 0.0 and row["status"] == "over"


def test_alert_levels(history) -> None:
    base = BudgetPlanner().fit(history, as_of=AS_OF)
    spent = base.progress_.set_index("category").at["Groceries", "spent"]
    warn = BudgetPlanner(rollover=False).fit(history, as_of=AS_OF,
                                             budgets={"Groceries": spent / 0.9})
    over = BudgetPlanner(rollover=False).fit(history, as_of=AS_OF,
                                             budgets={"Groceries": spent / 1.5})
    ok = BudgetPlanner(rollover=False).fit(history, as_of=AS_OF,
                                           budgets={"Groceries": spent / 0.5})
    key = "budget:Groceries:2025-06"
    assert f"{key}:80" in set(warn.alerts_["alert_key"])
    assert f"{key}:100" in set(over.alerts_["alert_key"])
    assert not ok.alerts_["alert_key"].str.startswith(key).any()
    # rent paid at its usual amount is 100% of a fixed budget, but no news
    rent = base.progress_.set_index("category").loc["Rent & Mortgage"]
    assert rent["fixed"] and rent["pct"] == pytest.approx(1.0)
    assert not base.alerts_["category"].eq("Rent & Mortgage").any()


def test_safe_to_spend(history) -> None:
    fc = CashFlowForecaster().fit(history, balance=2500, as_of=AS_OF).result_
    plan = BudgetPlanner().fit(history, as_of=AS_OF, balance=2500, buffer=400,
                               upcoming=fc.recurring_items)
    safe = plan.safe_to_spend_
    due = fc.recurring_items.loc[fc.recurring_items["date"] <= "2025-06-30", "amount"]
    assert safe["bills_due"] == pytest.approx(-due[due < 0].sum(), abs=0.01)
    assert safe["income_due"] == pytest.approx(due[due > 0].sum(), abs=0.01)
    assert safe["balance_based"] == pytest.approx(2500 - 400 + due.sum(), abs=0.01)
    assert safe["budget_based"] <= plan.progress_["remaining"].clip(lower=0).sum()
    assert safe["safe_to_spend"] == min(safe["balance_based"], safe["budget_based"])
    assert safe["days_left"] == 13
    tight = BudgetPlanner().fit(history, as_of=AS_OF, balance=50, buffer=400).safe_to_spend_
    assert tight["balance_based"] == -350 and tight["safe_to_spend"] == 0.0
    unknown = BudgetPlanner().fit(history, as_of=AS_OF).safe_to_spend_
    assert np.isnan(unknown["balance_based"])
    assert unknown["safe_to_spend"] == unknown["budget_based"]


def test_no_history(history) -> None:
    empty = history.iloc[0:0]
    plan = BudgetPlanner().fit(empty, as_of=AS_OF, budgets={"Groceries": 300}, balance=900)
    assert plan.suggested_.empty
    row = plan.progress_.set_index("category").loc["Groceries"]
    assert row["spent"] == 0 and row["rollover"] == 0 and row["status"] == "ok"
    assert plan.safe_to_spend_["safe_to_spend"] == 300.0
    bare = BudgetPlanner().fit(empty, as_of=AS_OF, balance=900).safe_to_spend_
    assert bare["safe_to_spend"] == 900.0 and plan.alerts_.empty


def test_short_history_skips_a_partial_first_month(history, spend) -> None:
    short = history.loc[history["date"] >= dt.date(2025, 4, 20)]
    plan = BudgetPlanner().fit(short, as_of=AS_OF)
    sug = plan.suggested_.set_index("category")
    may = spend.loc[(spend["category"] == "Groceries") & (spend["month"] == "2025-05-01")]
    assert sug.at["Groceries", "months"] == 1  # April starts on the 20th: partial, left out
    assert sug.at["Groceries", "median"] == pytest.approx(may["value"].sum(), abs=0.01)

"""Cash-flow forecast on demo and real data: quantiles, recurring items on their dates, buffer
risk, short history, zero income, negative surplus, insufficient data."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.demo_data import generate_household, generate_users
from ml.forecast import MONTH_COLUMNS, CashFlowForecaster
from ml.inject import normalize_labeled
from ml.recurring import RecurringDetector
from ml.txframe import prepare

END = dt.date(2025, 6, 30)
AS_OF = dt.date(2025, 5, 14)


@pytest.fixture(scope="module")
def demo() -> pd.DataFrame:
    """Two years to the end of August 2025: the forecast months (May to August) happened."""
    return generate_household(seed=7, months=24, end=dt.date(2025, 8, 31)).transactions


@pytest.fixture(scope="module")
def history(demo: pd.DataFrame) -> pd.DataFrame:
    """The demo history as the job would see it on AS_OF (later rows not yet imported)."""
    return demo.loc[demo["date"] <= AS_OF].reset_index(drop=True)


@pytest.fixture(scope="module")
def series(history: pd.DataFrame) -> pd.DataFrame:
    return RecurringDetector(as_of=AS_OF).fit(history).series_


@pytest.fixture(scope="module")
def result(history: pd.DataFrame, series: pd.DataFrame):
    return CashFlowForecaster(buffer=500).fit(history, series, balance=3000,
                                              as_of=AS_OF).result_


def _ordered(months: pd.DataFrame) -> None:
    for name in ("income", "spend", "net", "balance"):
        lo, mid, hi = (months[f"{name}_p{q}"] for q in (10, 50, 90))
        assert (lo <= mid + 1e-9).all() and (mid <= hi + 1e-9).all(), name


def test_months_table_and_quantile_order(result) -> None:
    months = result.months
    assert result.status == "ok"
    assert list(months.columns) == MONTH_COLUMNS
    assert list(months["kind"]) == ["current", "forecast", "forecast", "forecast"]
    assert list(months["month"].dt.strftime("%Y-%m")) == ["2025-05", "2025-06", "2025-07",
                                                          "2025-08"]
    _ordered(months)
    assert result.month_end_balance_p50 == months.at[0, "balance_p50"]
    assert result.surplus_p10 <= result.surplus_p50
    assert result.surplus_samples.shape == (1000, 3)
    assert 0.0 <= result.stability_score <= 100.0
    assert result.n_months == 20  # September 2023 to April 2025


def test_forecast_tracks_what_happened(demo: pd.DataFrame, result) -> None:
    """June to August 2025 (not seen in training): each month's income p50 within 3% of the
    actual income; the three months' actual spending between the sums of p10 and of p90."""
    tx = prepare(demo)
    tx = tx.loc[~tx["is_transfer"] & (tx["date"] >= "2025-06-01")]
    refund = (tx["amount"] > 0) & (tx["category"] == "Refunds")
    month = tx["date"].dt.to_period("M").dt.to_timestamp()
    income = tx["amount"].where((tx["amount"] > 0) & ~refund, 0.0).groupby(month).sum()
    spend = -tx["amount"].where((tx["amount"] < 0) | refund, 0.0).groupby(month).sum()
    rows = result.months.iloc[1:].set_index("month")
    assert ((rows["income_p50"] - income).abs() / income).max() < 0.03
    assert rows["spend_p10"].sum() <= spend.sum() <= rows["spend_p90"].sum()
    assert result.income_regular
    assert result.salary_share == 1.0


def test_recurring_items_appear_on_their_dates(demo: pd.DataFrame, result, series) -> None:
    items = result.recurring_items
    tx = prepare(demo)
    future = tx.loc[tx["date"] > pd.Timestamp(AS_OF)]
    monthly = series.loc[(series["cadence"] == "monthly") & (series["amount_type"] == "fixed")
                         & (series["status"] == "active")]
    assert len(monthly) >= 8
    for s in monthly.itertuples():
        mine = items.loc[items["series_key"] == s.series_key]
        assert len(mine) in (3, 4), s.series_key  # rest of May (maybe) + June, July, August
        assert (mine["amount"] == s.next_amount).all()
        june = mine.loc[mine["date"].dt.month == 6, "date"]
        actual = future.loc[(future["mkey"] == s.mkey) & (future["date"].dt.month == 6), "date"]
        assert len(june) == 1 and len(actual) >= 1
        assert abs((actual - june.iloc[0]).dt.days).min() <= 3, s.series_key
    rent = items.loc[items["category"] == "Rent & Mortgage"]
    june_rent = result.months.iloc[1]["recurring_out"]
    assert june_rent >= abs(rent.loc[rent["date"].dt.month == 6, "amount"].sum())


def test_buffer_probability_low_vs_high_balance(history: pd.DataFrame, series) -> None:
    fc = CashFlowForecaster(buffer=500)
    low = fc.fit(history, series, balance=900, as_of=AS_OF).result_
    high = fc.fit(history, series, balance=25_000, as_of=AS_OF).result_
    below = fc.fit(history, series, balance=100, as_of=AS_OF).result_
    assert low.prob_below_buffer > high.prob_below_buffer
    assert high.prob_below_buffer == 0.0
    assert below.prob_below_buffer == 1.0
    assert low.stability_score < high.stability_score
    assert (high.months["balance_p50"] - low.months["balance_p50"]).round(2).eq(24_100).all()


def test_unknown_balance_gives_nan_balance(history: pd.DataFrame, series) -> None:
    res = CashFlowForecaster().fit(history, series, as_of=AS_OF).result_
    assert res.months["balance_p50"].isna().all()
    assert np.isnan(res.prob_below_buffer)
    assert res.months["net_p50"].notna().all()


def test_transfers_do_not_change_the_forecast(history: pd.DataFrame, series) -> None:
    extra = history.iloc[:2].copy()
    extra["amount"] = [Decimal("-5000.00"), Decimal("5000.00")]
    extra["is_transfer"] = True
    extra["external_id"] = ["t-1", "t-2"]
    with_transfers = pd.concat([history, extra], ignore_index=True)
    a = CashFlowForecaster().fit(history, series, balance=1000, as_of=AS_OF).result_
    b = CashFlowForecaster().fit(with_transfers, series, balance=1000, as_of=AS_OF).result_
    pd.testing.assert_frame_equal(a.months, b.months)


def test_no_history_is_insufficient() -> None:
    empty = generate_household(seed=7, months=1, end=END).transactions.iloc[0:0]
    res = CashFlowForecaster().fit(empty, balance=100, as_of=END).result_
    assert res.status == "insufficient_data"
    assert "no transactions" in res.reason
    assert len(res.months) == 4 and res.months["net_p50"].isna().all()
    assert np.isnan(res.surplus_p50) and np.isnan(res.stability_score)
    json.dumps(res.to_dict())


def test_only_transfers_or_a_few_days_is_insufficient(demo: pd.DataFrame) -> None:
    transfers = demo.loc[demo["is_transfer"]]
    res = CashFlowForecaster().fit(transfers, as_of=END).result_
    assert res.status == "insufficient_data"
    few = demo.loc[demo["date"] >= dt.date(2025, 6, 25)]
    res = CashFlowForecaster().fit(few, as_of=END).result_
    assert res.status == "insufficient_data" and "days of history" in res.reason


def test_stale_history_is_insufficient(history: pd.DataFrame, series) -> None:
    # the statements stop on AS_OF; two months later the forecast still runs, four months
    # later there is nothing to say about today (the fallback, with what to do about it)
    soon = CashFlowForecaster().fit(history, series, balance=3000,
                                    as_of=AS_OF + dt.timedelta(days=60)).result_
    assert soon.status == "ok"
    late = CashFlowForecaster().fit(history, series, balance=3000,
                                    as_of=AS_OF + dt.timedelta(days=120)).result_
    assert late.status == "insufficient_data"
    assert late.reason == ("the latest transaction is from 14 May 2025, 120 days ago: import a"
                           " recent statement to see where your money is heading")
    assert late.months["balance_p50"].isna().all() and np.isnan(late.stability_score)


def test_one_month_of_data() -> None:
    one = generate_household(seed=3, months=1, end=END).transactions  # June 2025 only
    res = CashFlowForecaster().fit(one, balance=2000, as_of=END).result_
    assert res.status == "ok" and res.n_months == 1
    assert set(res.methods.values()) <= {"median_prior", "zero"}
    _ordered(res.months)
    partial = one.loc[one["date"] <= dt.date(2025, 6, 20)]  # 20 days, no complete month
    res = CashFlowForecaster().fit(partial, balance=2000, as_of=dt.date(2025, 6, 20)).result_
    assert res.status == "ok" and res.n_months == 0
    assert "extrapolated" in res.methods.values() and "extrapolated" in res.reason
    _ordered(res.months)
    assert res.months.loc[1:, "spend_p50"].gt(0).all()


def test_short_history_uses_robust_model_and_no_season_before_24_months(demo) -> None:
    short = demo.loc[demo["date"] >= dt.date(2025, 2, 1)]  # 4 complete months + June
    res = CashFlowForecaster().fit(short, as_of=dt.date(2025, 6, 10)).result_
    assert res.n_months == 4
    assert res.methods["essential"] == "median"
    assert res.calibration == 1.0  # too few months to calibrate
    for months in (13, 20):
        tx = generate_household(seed=5, months=months, end=END).transactions
        res = CashFlowForecaster().fit(tx, as_of=END).result_
        assert "ets_seasonal" not in res.methods.values()
        assert set(res.methods.values()) <= {"ets", "median", "zero"}


def test_zero_income(history: pd.DataFrame, series, result) -> None:
    spend_only = history.loc[[a < 0 for a in history["amount"]]]
    res = CashFlowForecaster(buffer=500).fit(spend_only, series.loc[series["direction"] == "out"],
                                             balance=3000, as_of=AS_OF).result_
    assert res.status == "ok"
    assert (res.months["income_p90"] == 0).all()
    assert res.surplus_p50 < 0 and res.prob_surplus_positive == 0.0
    assert res.salary_share == 0.0 and not res.income_regular
    assert np.isnan(res.income_cv)
    assert res.months["balance_p50"].is_monotonic_decreasing
    assert res.stability_score < result.stability_score


def test_negative_surplus_household(history: pd.DataFrame, result) -> None:
    heavy = history.copy()
    out = [a < 0 and not t for a, t in zip(heavy["amount"], heavy["is_transfer"], strict=True)]
    heavy.loc[out, "amount"] = [a * Decimal("1.6") for a in heavy.loc[out, "amount"]]
    res = CashFlowForecaster(buffer=500).fit(heavy, balance=3000, as_of=AS_OF).result_
    assert res.surplus_p50 < 0 and res.surplus_p10 < res.surplus_p50
    assert res.months["net_p50"].iloc[1:].lt(0).all()
    assert res.months["balance_p50"].is_monotonic_decreasing
    assert res.prob_below_buffer > result.prob_below_buffer  # same balance and buffer
    assert res.stability_score < 50 < result.stability_score
    _ordered(res.months)


def test_deterministic_and_json_ready(history: pd.DataFrame, series) -> None:
    a = CashFlowForecaster(random_state=3).fit(history, series, balance=10, as_of=AS_OF).result_
    b = CashFlowForecaster(random_state=3).fit(history, series, balance=10, as_of=AS_OF).result_
    pd.testing.assert_frame_equal(a.months, b.months)
    payload = json.loads(json.dumps(a.to_dict()))
    assert payload["status"] == "ok" and len(payload["months"]) == 4
    assert payload["months"][0]["month"] == "2025-05-01"


def test_varied_users_and_long_history() -> None:
    for hh in generate_users(3, seed=4, months=30, end=END):
        res = CashFlowForecaster().fit(hh.transactions, balance=1000, as_of=END).result_
        assert res.status == "ok" and res.n_months == 30
        _ordered(res.months)
        assert res.months.at[0, "kind"] == "current"
        assert res.months.at[0, "net_p10"] == res.months.at[0, "net_p90"]  # June is over


def test_real_labeled_history(shared_data: Path) -> None:
    path = shared_data / "labeled" / "yassirawad_za_labeled" / "data" / "transactions.csv"
    tx = normalize_labeled(pd.read_csv(path, dtype=str))
    res = CashFlowForecaster(buffer=1000).fit(tx, balance=20_000).result_
    assert res.status == "ok"
    assert res.as_of == pd.Timestamp("2023-11-30")
    assert res.n_months == 3  # Sep-Nov 2023: the gap back to 2021 cuts the history
    _ordered(res.months)
    assert res.surplus_p50 < 0  # the labeled sample is mostly money out


def _payroll(crossing: bool) -> pd.DataFrame:
    """Two years of a salary on the last working day (crossing: paid the next Monday instead,
    sometimes in the next month), rent on the 2nd and groceries every few days."""
    rows = []
    rng = np.random.default_rng(1)
    for m in pd.date_range("2023-06-01", "2025-05-01", freq="MS"):
        last = m + pd.offsets.MonthEnd(0)
        pay = last
        while pay.weekday() >= 5:
            pay += pd.Timedelta(days=1 if crossing else -1)
        rows.append((pay.date(), Decimal("3000.00"), "ACME PAYROLL", "Salary"))
        rows.append(((m + pd.Timedelta(days=1)).date(), Decimal("-1000.00"), "CITY LETTINGS",
                     "Rent & Mortgage"))
        for day in range(0, last.day, 4):
            value = Decimal(str(round(float(rng.uniform(20, 90)), 2)))
            rows.append(((m + pd.Timedelta(days=day)).date(), -value, "GROCER", "Groceries"))
    return pd.DataFrame(rows, columns=["date", "amount", "description", "category"])


def test_recurring_dates_that_cross_months_widen_the_band() -> None:
    as_of = dt.date(2025, 5, 31)
    steady = CashFlowForecaster().fit(_payroll(False), as_of=as_of).result_
    crossing = CashFlowForecaster().fit(_payroll(True), as_of=as_of).result_
    assert (steady.months.loc[1:, "income_p10"] == 3000).all()
    assert (steady.months.loc[1:, "income_p90"] == 3000).all()
    # May's salary (Saturday 31st) comes on Monday 2 June: it is due in June on top of June's
    late = crossing.recurring_items.loc[crossing.recurring_items["amount"] > 0, "date"]
    assert late.iloc[0] == pd.Timestamp("2025-06-01")
    assert crossing.months.at[1, "income_p50"] == 6000
    rows = crossing.months.loc[2:]  # July, August: 0, 1 or 2 salaries
    assert (rows["income_p10"] == 0).all() and (rows["income_p90"] == 6000).all()
    assert (rows["income_p50"] == 3000).all()

"""Goal planning from the simulated surplus of demo forecasts: p10 limit, order, what-if,
deadline in the past, zero and negative surplus, reached goals."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from core.demo_data import generate_household
from ml.forecast import CashFlowForecaster
from ml.goals import Goal, GoalPlanner, emergency_fund_target, future_months

AS_OF = dt.date(2025, 6, 18)


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    tx = generate_household(seed=7, months=24, end=dt.date(2025, 6, 30)).transactions
    return tx.loc[tx["date"] <= AS_OF].reset_index(drop=True)


@pytest.fixture(scope="module")
def forecast(history: pd.DataFrame):
    return CashFlowForecaster(buffer=500).fit(history, balance=3000, as_of=AS_OF).result_


@pytest.fixture(scope="module")
def planner(forecast) -> GoalPlanner:
    return GoalPlanner().fit(forecast)


def _row(plan, name: str) -> pd.Series:
    return plan.goals.set_index("name").loc[name]


def test_never_more_than_the_p10_of_the_sustained_surplus(forecast, planner) -> None:
    samples = np.asarray(forecast.surplus_samples, dtype=float)
    assert samples.shape == (1000, 3)  # the forecast covers 3 months, the plan a year
    quarter = np.quantile(samples.mean(axis=1), 0.1)  # a bad quarter of the forecast's paths
    # averaging over a year is less strict than a bad quarter (itself less strict than a single
    # bad month), and never more than a typical month
    assert 0 < forecast.surplus_p10 < quarter < planner.safe_monthly_ < forecast.surplus_p50
    goals = [Goal("House", "long_term", 60_000, 0, dt.date(2029, 1, 1), priority=1),
             Goal("Car", "short_term", 9_000, 0, dt.date(2026, 6, 1))]
    plan = planner.plan(goals)
    assert plan.allocated <= planner.safe_monthly_ + 0.01
    assert plan.allocated + plan.unallocated == pytest.approx(planner.safe_monthly_, abs=0.02)
    assert set(plan.goals["status"]) <= {"behind", "on_track", "at_risk"}


def test_order_emergency_fund_then_deadlines_then_priority(planner) -> None:
    goals = [Goal("Later", "long_term", 5_000, 0, priority=1),
             Goal("Trip", "short_term", 1_200, 0, dt.date(2026, 6, 30), priority=3),
             Goal("Rainy day", "emergency_fund", 1_000, 0),
             Goal("Sofa", "short_term", 600, 0, dt.date(2026, 3, 1), priority=5)]
    plan = planner.plan(goals)
    assert list(plan.goals["name"]) == ["Rainy day", "Sofa", "Trip", "Later"]
    # month-end contributions: June 2025 to February 2026 for Sofa (9), to June 2026 for Trip
    paces = {"Rainy day": 1_000 / 12, "Sofa": 600 / 9, "Trip": 1_200 / 13}
    assert sum(paces.values()) < planner.safe_monthly_  # the demo surplus covers the paces
    for name, pace in paces.items():
        assert _row(plan, name)["allocation"] >= pace - 0.01
    assert _row(plan, "Later")["status"] == "waiting"
    # on pace and able to catch up after a bad month: likely to make it
    assert _row(plan, "Sofa")["status"] == "on_track" and _row(plan, "Sofa")["confidence"] > 0.8
    # a steady 2,000 a month: the emergency fund is filled at once, the rest goes on
    rich = GoalPlanner().fit(np.full((500, 3), 2_000.0), as_of=AS_OF).plan(goals)
    assert _row(rich, "Rainy day")["allocation"] == pytest.approx(1_000)
    assert _row(rich, "Sofa")["allocation"] == pytest.approx(600 / 9, abs=0.005)
    assert _row(rich, "Trip")["allocation"] == pytest.approx(1_200 / 13, abs=0.005)
    assert _row(rich, "Later")["allocation"] == pytest.approx(
        2_000 - 1_000 - 600 / 9 - 1_200 / 13, abs=0.01)
    assert (rich.goals["confidence"] == 1.0).all() and rich.unallocated == 0
    assert set(rich.goals["status"]) == {"on_track"}
    # explanations carry the currency the planner is given
    assert _row(rich, "Rainy day")["explanation"].startswith("Put 1,000.00 a month into Rainy day")
    pounds = GoalPlanner(currency_symbol="£").fit(np.full((500, 3), 2_000.0), as_of=AS_OF)
    assert _row(pounds.plan(goals), "Rainy day")["explanation"].startswith(
        "Put £1,000.00 a month into Rainy day")


def test_what_if_recomputes_from_the_same_fit(planner) -> None:
    base = Goal("Trip", "short_term", 2_000, 200, dt.date(2026, 6, 30), priority=2)
    first = planner.plan([base])
    again = planner.plan([base])
    pd.testing.assert_frame_equal(first.goals, again.goals)  # pure
    bigger = planner.plan([dataclasses.replace(base, target=2_600)])
    assert _row(bigger, "Trip")["required_monthly"] > _row(first, "Trip")["required_monthly"]
    sooner = planner.plan([dataclasses.replace(base, target_date=dt.date(2025, 9, 30))])
    assert _row(sooner, "Trip")["confidence"] < _row(first, "Trip")["confidence"]
    fixed = planner.plan([dataclasses.replace(base, monthly=50.0)])
    row = _row(fixed, "Trip")
    assert row["allocation"] == 50.0 and not row["capped"]
    # 1800 / 50 = 36 month-end contributions: June 2025 ... May 2028
    assert row["expected_completion"] == dt.date(2028, 5, 31)
    assert row["status"] == "behind"
    greedy = planner.plan([dataclasses.replace(base, monthly=1e6)])
    assert _row(greedy, "Trip")["capped"]
    assert _row(greedy, "Trip")["allocation"] <= planner.safe_monthly_ + 0.01


def test_deadline_in_the_past_and_reached_goal(planner) -> None:
    goals = [Goal("Late", "short_term", 1_000, 100, dt.date(2025, 1, 31)),
             Goal("Done", "long_term", 5_000, 5_000, dt.date(2030, 1, 1))]
    plan = planner.plan(goals)
    late, done = _row(plan, "Late"), _row(plan, "Done")
    assert late["status"] == "deadline_passed" and late["months_left"] < 0
    assert late["allocation"] > 0 and late["expected_completion"] > AS_OF
    assert "has passed" in late["explanation"]
    assert done["status"] == "reached" and done["allocation"] == 0
    assert done["confidence"] == 1.0 and done["remaining"] == 0


def test_zero_and_negative_surplus(history) -> None:
    heavy = history.copy()
    out = [a < 0 and not t for a, t in zip(heavy["amount"], heavy["is_transfer"], strict=True)]
    heavy.loc[out, "amount"] = [a * Decimal("1.6") for a in heavy.loc[out, "amount"]]
    res = CashFlowForecaster().fit(heavy, balance=3000, as_of=AS_OF).result_
    assert res.surplus_p50 < 0
    plan = GoalPlanner().fit(res).plan([Goal("Rainy day", "emergency_fund", 3_000, 0),
                                        Goal("Trip", "short_term", 900, 0, dt.date(2026, 1, 1))])
    assert plan.safe_monthly == 0 and plan.allocated == 0
    assert set(plan.goals["status"]) == {"no_surplus"}
    assert (plan.goals["confidence"] == 0).all()
    assert plan.goals["expected_completion"].isna().all()
    zero = GoalPlanner().fit(np.zeros((1000, 3)), as_of=AS_OF)
    assert zero.plan([Goal("Trip", "short_term", 900, 0)]).goals.at[0, "status"] == "no_surplus"


def test_future_months_keep_a_bad_path_bad_but_not_a_bad_month() -> None:
    """``future_months``: paths that differ only in level keep their level in every future
    month; months that vary at random around one level average out over a year (the p10 of a
    year's average is near the mean less 1.28 standard deviations / sqrt(12), not the p10 of
    the forecast's 3 months); one month per path is repeated (nothing tells level from noise)."""
    rng = np.random.default_rng(1)
    levels = np.repeat(np.linspace(-500, 1500, 200)[:, None], 3, axis=1)
    futures = future_months(levels, 2000, 12, np.random.default_rng(0))
    assert np.allclose(futures, futures[:, :1])  # each future stays on its path's level
    assert np.quantile(futures[:, 0], 0.1) == pytest.approx(np.quantile(levels[:, 0], 0.1), abs=30)
    noisy = rng.normal(1000, 1500, size=(1000, 3))  # the same level, 1,500 of noise each month
    year = GoalPlanner().fit(noisy, as_of=AS_OF)
    quarter = np.quantile(noisy.mean(axis=1), 0.1)
    assert quarter < 0 < year.safe_monthly_  # a bad quarter is likely; a bad year is not
    assert year.safe_monthly_ == pytest.approx(1000 - 1.2816 * 1500 / np.sqrt(12), abs=80)
    both = noisy + np.linspace(-800, 800, 1000)[:, None]  # paths that also differ in level
    spread = np.sqrt(1600 ** 2 / 12 + 1500 ** 2 / 12)  # the levels' sd (uniform) and the noise's
    assert GoalPlanner().fit(both, as_of=AS_OF).safe_monthly_ == pytest.approx(
        1000 - 1.2816 * spread, abs=80)  # the level kept for the whole year: a lower safe amount
    single = future_months(np.array([[100.0], [-50.0]]), 50, 6, np.random.default_rng(0))
    assert set(np.unique(single)) == {100.0, -50.0} and np.allclose(single, single[:, :1])


def test_obligations_and_volatility_lower_the_safe_amount(forecast) -> None:
    calm = GoalPlanner().fit(forecast)
    bound = GoalPlanner(obligations=100).fit(forecast)
    assert bound.safe_monthly_ == pytest.approx(max(calm.safe_monthly_ - 100, 0))
    samples = forecast.surplus_samples
    wild = GoalPlanner().fit(samples.mean() + (samples - samples.mean()) * 2, as_of=AS_OF)
    assert wild.safe_monthly_ < calm.safe_monthly_


def test_insufficient_forecast_and_bad_kind(history) -> None:
    res = CashFlowForecaster().fit(history.iloc[0:0], as_of=AS_OF).result_
    plan = GoalPlanner().fit(res).plan([Goal("Trip", "short_term", 900, 0)])
    assert plan.goals.at[0, "status"] == "no_surplus"
    with pytest.raises(ValueError, match="goal kind"):
        Goal("x", "retirement", 1.0)
    assert emergency_fund_target(1_000, True) == 3_000
    assert emergency_fund_target(1_000, False) == 6_000


def test_volatile_months_still_get_a_plan_but_a_bad_future_does_not() -> None:
    """Months alternating -500 / +1,500 (average +500): one bad month in two, yet a year of
    them sustains ~500 a month; futures whose every month is negative plan nothing."""
    volatile = np.tile([-500.0, 1_500.0], (400, 6))
    plan = GoalPlanner().fit(volatile, as_of=AS_OF).plan(
        [Goal("Rainy day", "emergency_fund", 3_000, 0)])
    assert plan.safe_monthly == pytest.approx(500.0)
    assert _row(plan, "Rainy day")["allocation"] == pytest.approx(500.0)
    bleak = GoalPlanner().fit(np.full((400, 12), -50.0), as_of=AS_OF).plan(
        [Goal("Rainy day", "emergency_fund", 3_000, 0)])
    assert bleak.safe_monthly == 0 and _row(bleak, "Rainy day")["status"] == "no_surplus"

"""Investment readiness: each gate flips on constructed cases built from a real demo forecast,
the 3-month stability filter, the amount/horizon/instrument, and the whole pipeline."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from core.demo_data import generate_household
from ml.anomalies import AnomalyDetector
from ml.forecast import CashFlowForecaster, ForecastResult
from ml.goals import Goal, GoalPlanner
from ml.readiness import DISCLAIMER, ReadinessAssessor, stable_verdict
from ml.recurring import RecurringDetector

AS_OF = dt.date(2025, 6, 18)
READY = [{"month": "2025-04", "raw_eligible": True, "eligible": True},
         {"month": "2025-05", "raw_eligible": True, "eligible": True}]


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    tx = generate_household(seed=7, months=24, end=dt.date(2025, 6, 30)).transactions
    return tx.loc[tx["date"] <= AS_OF].reset_index(drop=True)


@pytest.fixture(scope="module")
def real(history: pd.DataFrame) -> ForecastResult:
    return CashFlowForecaster(buffer=500).fit(history, balance=6000, as_of=AS_OF).result_


def _case(real: ForecastResult, nets=(900.0, 1000.0, 1100.0), regular: bool = True,
          **scalars: float) -> ForecastResult:
    """The real forecast with the last three months' net and some figures replaced."""
    hist = real.history.copy()
    hist.loc[hist.index[-3:], "net"] = list(nets)
    values = {**real.scalars, "spend_cv": 0.1, "surplus_p10": 400.0, "stability_score": 80.0,
              **scalars}
    return dataclasses.replace(real, history=hist, income_regular=regular, scalars=values)


def _gate(result, name: str):
    return next(g for g in result.gates if g.name == name)


def _fit(fc: ForecastResult, months: float = 4.0, **kw):
    savings = months * fc.essential_spend
    return ReadinessAssessor(**{k: kw.pop(k) for k in list(kw) if k == "horizon_years"}).fit(
        fc, savings, previous=kw.pop("previous", READY), **kw).result_


def test_all_gates_pass_and_give_an_amount(real) -> None:
    res = _fit(_case(real))
    assert all(g.passed for g in res.gates) and res.raw_eligible and res.eligible
    assert res.score == 100.0
    assert res.investable_monthly == 400.0 and res.horizon_years == 5.0
    assert res.instrument == "hybrid"
    assert "guidance, not advice" in res.disclaimer and res.disclaimer == DISCLAIMER
    assert "Ready to invest" in res.explanation
    assert list(res.gates_frame()["name"]) == ["emergency_fund", "surplus",
                                                "expense_volatility", "anomalies", "goals"]


def test_emergency_fund_gate(real) -> None:
    fc = _case(real)
    assert not _gate(_fit(fc, months=2.9), "emergency_fund").passed
    irregular = _case(real, regular=False)
    gate = _gate(_fit(irregular, months=4.0), "emergency_fund")
    assert not gate.passed and gate.threshold == 6 and gate.value == pytest.approx(4.0)
    assert _gate(_fit(irregular, months=6.1), "emergency_fund").passed


def test_surplus_and_volatility_gates(real) -> None:
    assert not _gate(_fit(_case(real, nets=(900, -50, 1100))), "surplus").passed
    assert not _gate(_fit(_case(real, nets=(100, 2000, 100))), "surplus").passed  # unsteady
    bumpy = _fit(_case(real, spend_cv=0.3))
    assert not _gate(bumpy, "expense_volatility").passed and not bumpy.raw_eligible
    assert 0 < bumpy.score < 100


def test_anomaly_gate(real) -> None:
    fc = _case(real)
    open_high = pd.DataFrame({"risk": ["high", "medium"], "status": ["open", "open"]})
    assert not _gate(_fit(fc, anomalies=open_high), "anomalies").passed
    closed = open_high.assign(status=["dismissed", "open"])
    assert _gate(_fit(fc, anomalies=closed), "anomalies").passed
    assert not _gate(_fit(fc, anomalies=1), "anomalies").passed


def test_goals_gate(real) -> None:
    fc = _case(real)
    planner = GoalPlanner().fit(fc.surplus_samples, as_of=AS_OF)
    easy = planner.plan([Goal("Sofa", "short_term", 300, 0, dt.date(2026, 6, 30))]).goals
    hard = planner.plan([Goal("House", "short_term", 90_000, 0, dt.date(2026, 6, 30))]).goals
    late = planner.plan([Goal("Trip", "short_term", 900, 0, dt.date(2025, 1, 31))]).goals
    open_ended = planner.plan([Goal("Someday", "long_term", 90_000, 0)]).goals
    assert _gate(_fit(fc, plan=easy), "goals").passed
    assert not _gate(_fit(fc, plan=hard), "goals").passed
    assert not _gate(_fit(fc, plan=late), "goals").passed
    assert _gate(_fit(fc, plan=open_ended), "goals").passed
    amount = _fit(fc, plan=easy).investable_monthly
    assert amount == (400 - easy["allocation"].sum()) // 10 * 10


def test_stability_filter() -> None:
    assert not stable_verdict(True, [], 3)  # starts from not eligible
    assert not stable_verdict(True, [False, True], 3)
    assert stable_verdict(True, [False, True, True], 3)
    held = [{"raw_eligible": True, "eligible": True}] * 3
    assert stable_verdict(False, held, 3)  # one bad month does not flip it
    assert stable_verdict(False, held + [{"raw_eligible": False, "eligible": True}], 3)
    flipped = held + [{"raw_eligible": False, "eligible": True}] * 2
    assert not stable_verdict(False, flipped, 3)
    assert stable_verdict(True, [], 1)


def test_verdict_holds_through_one_bad_month(real) -> None:
    fc = _case(real, nets=(900, -50, 1100))
    res = _fit(fc, previous=[{"raw_eligible": True, "eligible": True}] * 3)
    assert res.eligible and not res.raw_eligible and res.investable_monthly > 0
    assert "holds unless that lasts" in res.explanation
    fresh = _fit(_case(real), previous=[])
    assert fresh.raw_eligible and not fresh.eligible and fresh.investable_monthly == 0
    assert "three months in a row" in fresh.explanation
    assert fresh.record() == {"month": "2025-06", "raw_eligible": True, "eligible": False}


def test_instrument_from_horizon_and_stability(real) -> None:
    fc = _case(real)
    assert _fit(fc, horizon_years=2).instrument == "debt"
    assert _fit(fc, horizon_years=10).instrument == "equity"
    assert _fit(_case(real, stability_score=60.0), horizon_years=10).instrument == "hybrid"
    assert _fit(_case(real, stability_score=40.0), horizon_years=10).instrument == "debt"


def test_insufficient_history(history) -> None:
    fc = CashFlowForecaster().fit(history.iloc[0:0], as_of=AS_OF).result_
    res = ReadinessAssessor().fit(fc, 10_000).result_
    assert not res.eligible and res.score == 0 and "Not enough history" in res.explanation


def test_whole_pipeline_on_demo(history, real) -> None:
    series = RecurringDetector(as_of=AS_OF).fit(history).series_
    anomalies = AnomalyDetector(recurring=series).fit(history).anomalies_
    plan = GoalPlanner().fit(real).plan([Goal("Rainy day", "emergency_fund", 15_000, 9_000)])
    res = ReadinessAssessor().fit(real, 9_000, plan.goals, anomalies.assign(status="open"),
                                  READY).result_
    assert 0 <= res.score <= 100
    assert _gate(res, "anomalies").passed == (not (anomalies["risk"] == "high").any())
    assert _gate(res, "emergency_fund").value == pytest.approx(9_000 / real.essential_spend,
                                                               abs=0.01)
    if not res.eligible:
        assert res.investable_monthly == 0 and res.instrument is None

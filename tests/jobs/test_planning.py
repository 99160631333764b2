"""The planning stage on demo households: forecast, budgets, goals and readiness stored by the
job process, idempotent, with alerts and the documented fallbacks."""

from __future__ import annotations

import datetime as dt

import pytest

from core.config import Settings
from core.db import Database
from jobs import pipeline

STAGES = {"patterns", "recurring", "anomalies", "planning", "alerts"}


def _run(db: Database, settings: Settings, user) -> dict[str, int]:
    return pipeline.run_user(db, settings, user.id, only=STAGES)


def _snapshot(db: Database, user) -> dict:
    with db.user_session(user) as conn:
        return {
            "forecasts": conn.execute(
                "select month, kind, income_p10, income_p50, income_p90, net_p10, net_p50, net_p90,"
                " balance_p10, balance_p50, balance_p90 from forecasts order by month").fetchall(),
            "summary": conn.execute(
                "select status, reason, month_end_balance_p50, prob_below_buffer, surplus_p10,"
                " surplus_p50, stability_score, surplus_shape from forecast_summary").fetchall(),
            "budgets": conn.execute("select month, category, budget, spent, remaining, status"
                                    " from budget_status order by category").fetchall(),
            "safe": conn.execute("select month, safe_to_spend, per_day from safe_to_spend").fetchall(),
            "goals": conn.execute("select goal_id, allocation, expected_completion, confidence, status"
                                  " from goal_plans order by goal_id").fetchall(),
            "readiness": conn.execute("select month, score, eligible, gates, explanation"
                                      " from readiness order by month").fetchall(),
            "alerts": conn.execute("select alert_key from alerts where type in ('budget', 'low_balance')"
                                   " order by alert_key").fetchall(),
        }


def _add_goal(db: Database, user, name: str, kind: str, target: float, saved: float = 0,
              date: dt.date | None = None) -> str:
    with db.user_session(user) as conn:
        return str(conn.execute(
            "insert into goals (name, kind, target, saved, target_date) values (%s, %s, %s, %s, %s)"
            " returning id", [name, kind, target, saved, date]).fetchone()[0])


def test_outputs_stored_ordered_and_idempotent(db: Database, settings: Settings,
                                               household_user) -> None:
    user = household_user(seed=5, months=24)
    _add_goal(db, user, "Emergency fund", "emergency_fund", 15000, 2000)
    _add_goal(db, user, "Holiday", "short_term", 2500, 0, dt.date.today() + dt.timedelta(days=300))
    assert _run(db, settings, user)["planning"] > 5
    first = _snapshot(db, user)
    months = first["forecasts"]
    this_month = dt.date.today().replace(day=1)
    assert [m[0] for m in months][-4:][0] == this_month and len([m for m in months
                                                                 if m[0] >= this_month]) == 4
    for row in months:
        for lo, mid, hi in (row[2:5], row[5:8], row[8:11]):
            assert lo <= mid <= hi, row
    (status, reason, bal50, p_below, s10, s50, score, shape), = first["summary"]
    assert status == "ok" and s10 <= s50 and 0 <= p_below <= 1 and 0 <= score <= 100
    assert shape[0] >= 100 and shape[1] == 3, "surplus samples stored for the what-if"
    assert first["budgets"] and all(b[0] == this_month for b in first["budgets"])
    assert first["safe"] and first["safe"][0][1] >= 0
    assert len(first["goals"]) == 2 and all(0 <= g[3] <= 1 for g in first["goals"])
    (month, _, eligible, gates, text), = first["readiness"]
    assert month == this_month and not eligible, "no verdict history: not eligible yet"
    assert [g["name"] for g in gates] == ["emergency_fund", "surplus", "expense_volatility",
                                          "anomalies", "goals"] and text
    _run(db, settings, user)
    assert _snapshot(db, user) == first
    with db.owner_connection() as conn:
        assert conn.execute("select forecasts from pipeline.installation_counts()").fetchone()[0] >= 1


def test_budget_alerts_at_80_and_100_percent_once(db: Database, settings: Settings,
                                                  household_user) -> None:
    user = household_user(seed=6, months=12)
    with db.user_session(user) as conn:  # two purchases today in categories with a budget
        acc = conn.execute("select id from accounts where kind = 'checking' limit 1").fetchone()[0]
        cats = dict(conn.execute("select name, id from categories"
                                 " where name in ('Restaurants', 'Clothing')").fetchall())
        for name, amount in (("Restaurants", -200), ("Clothing", -90)):
            conn.execute("insert into transactions (account_id, date, amount, description, dedupe_key,"
                         " category_id) values (%s, current_date, %s, %s, %s, %s)",
                         [acc, amount, f"TEST {name}", f"test-{name}", cats[name]])
        conn.execute("insert into budgets (category_id, amount, rollover) values"
                     " (%s, 1, false), (%s, 100, false)", [cats["Restaurants"], cats["Clothing"]])
    _run(db, settings, user)
    _run(db, settings, user)
    tag = dt.date.today().strftime("%Y-%m")
    with db.user_session(user) as conn:
        keys = [r[0] for r in conn.execute("select alert_key from alerts where type = 'budget'")]
        rows = {r[0]: r[1:] for r in conn.execute(
            "select category, status, rollover, spent from budget_status where source = 'user'")}
    assert keys.count(f"budget:Restaurants:{tag}:100") == 1, (keys, rows)
    assert keys.count(f"budget:Clothing:{tag}:80") == 1, keys
    assert f"budget:Clothing:{tag}:100" not in keys
    assert rows["Restaurants"][0] == "over" and rows["Clothing"][0] == "warning", rows
    assert rows["Clothing"][1] == 0, "rollover off for this budget"


def test_low_balance_alert(db: Database, settings: Settings, household_user) -> None:
    user = household_user(seed=9, months=6)
    with db.user_session(user) as conn:  # a buffer far above anything the household holds
        conn.execute("update profiles set balance_buffer = 10000000")
    _run(db, settings, user)
    _run(db, settings, user)
    with db.user_session(user) as conn:
        p_below = conn.execute("select prob_below_buffer from forecast_summary").fetchone()[0]
        alerts = conn.execute("select alert_key, risk from alerts where type = 'low_balance'").fetchall()
    assert p_below == 1.0
    assert alerts == [(f"low_balance:{dt.date.today():%Y-%m}", "high")]


def test_one_month_of_history(db: Database, settings: Settings, household_user) -> None:
    user = household_user(seed=3, months=1)
    _add_goal(db, user, "Car", "short_term", 5000, 0, dt.date.today() + dt.timedelta(days=400))
    _run(db, settings, user)
    snap = _snapshot(db, user)
    (status, reason, *_), = snap["summary"]
    assert status in ("ok", "insufficient_data") and len(snap["forecasts"]) == 4
    if status == "ok":
        assert "no complete month" in reason or reason == ""
    assert len(snap["goals"]) == 1 and len(snap["readiness"]) == 1


def test_a_few_days_of_history_stores_the_insufficient_fallback(db: Database, settings: Settings,
                                                               make_user) -> None:
    user = make_user(name="new").user
    with db.user_session(user) as conn:
        acc = conn.execute("insert into accounts (name, opening_balance) values ('Main', 800)"
                           " returning id").fetchone()[0]
        for i, amount in enumerate((-12.5, -40, -7.2)):
            conn.execute("insert into transactions (account_id, date, amount, description, dedupe_key)"
                         " values (%s, current_date - %s, %s, 'SHOP', %s)", [acc, i, amount, f"k{i}"])
    _add_goal(db, user, "Laptop", "short_term", 1200, 0, dt.date.today() + dt.timedelta(days=200))
    _run(db, settings, user)
    with db.user_session(user) as conn:
        status, reason, p50 = conn.execute(
            "select status, reason, surplus_p50 from forecast_summary").fetchone()
        nets = [r[0] for r in conn.execute("select net_p50 from forecasts")]
        goal = conn.execute("select status, allocation from goal_plans").fetchone()
        ready = conn.execute("select score, eligible, explanation from readiness").fetchone()
    assert status == "insufficient_data" and "days of history" in reason and p50 is None
    assert len(nets) == 4 and all(n is None for n in nets)
    assert goal == ("no_surplus", 0)
    assert ready[0] == 0 and not ready[1] and "Not enough history" in ready[2]


def test_zero_income_and_negative_surplus(db: Database, settings: Settings, household_user) -> None:
    user = household_user(seed=4, months=12)
    with db.user_session(user) as conn:
        conn.execute("delete from transactions where amount > 0")
    _add_goal(db, user, "Sofa", "short_term", 900, 0, dt.date.today() + dt.timedelta(days=180))
    _run(db, settings, user)
    with db.user_session(user) as conn:
        status, s50, score = conn.execute(
            "select status, surplus_p50, stability_score from forecast_summary").fetchone()
        incomes = [r[0] for r in conn.execute("select income_p90 from forecasts where kind = 'forecast'")]
        goal = conn.execute("select status, allocation from goal_plans").fetchone()
        ready = conn.execute("select eligible, gates from readiness").fetchone()
    assert status == "ok" and s50 < 0 and score < 50
    assert incomes == [0, 0, 0]
    assert goal == ("no_surplus", 0)
    assert not ready[0] and not {g["name"]: g["passed"] for g in ready[1]}["surplus"]


@pytest.mark.parametrize("days_ago", [400])
def test_goal_with_a_past_deadline(db: Database, settings: Settings, household_user,
                                   days_ago: int) -> None:
    user = household_user(seed=8, months=12)
    gid = _add_goal(db, user, "Old plan", "short_term", 3000, 500,
                    dt.date.today() - dt.timedelta(days=days_ago))
    _run(db, settings, user)
    with db.user_session(user) as conn:
        status, text = conn.execute("select status, explanation from goal_plans where goal_id = %s",
                                    [gid]).fetchone()
        gate = {g["name"]: g for g in conn.execute("select gates from readiness").fetchone()[0]}
    assert status == "deadline_passed" and "has passed" in text
    assert not gate["goals"]["passed"], "a missed date fails the goals gate"

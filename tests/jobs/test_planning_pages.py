"""Dashboard, Goals and Budgets pages (AppTest) on the stored planning outputs of a demo
household: no exception, the fan chart, what-if replanning, readiness with its disclaimer."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import planning_service as ps
from core.config import Settings
from core.db import Database
from jobs import pipeline

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")
STAGES = {"patterns", "recurring", "anomalies", "planning", "alerts"}



def _charts(at: AppTest) -> dict[str, dict]:
    return {c.proto.id: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def _planned_user(db: Database, settings: Settings, household_user):
    user = household_user(seed=12, months=18)
    with db.user_session(user) as conn:
        conn.execute("insert into goals (name, kind, target, saved, target_date) values"
                     " ('Rainy day', 'emergency_fund', 12000, 1000, null),"
                     " ('New car', 'short_term', 8000, 600, %s)",
                     [dt.date.today() + dt.timedelta(days=500)])
    pipeline.run_user(db, settings, user.id, only=STAGES)
    return user


def test_dashboard_shows_every_figure(open_page, db: Database, settings: Settings, household_user) -> None:
    user = _planned_user(db, settings, household_user)
    at = open_page(user, "dashboard")
    assert [m.label for m in at.metric][:5] == ["Money in", "Money out", "Net", "Net worth",
                                                "Safe to spend"]
    assert at.metric[4].value != "—"
    charts = list(_charts(at).values())
    fan = [c for c in charts if any(t.get("name") == "p10–p90" for t in c["data"])]
    assert len(fan) == 1 and any(s.get("type") == "line" for s in fan[0]["layout"]["shapes"])
    assert any(t.get("type") == "indicator" for c in charts for t in c["data"]), "readiness gauge"
    with db.user_session(user) as conn:  # the actual balance at the end of last month
        last_month_end = float(conn.execute(
            "select (select sum(opening_balance) from accounts) + (select sum(amount) from"
            " transactions where date < date_trunc('month', current_date))").fetchone()[0])
    actual = next(t for t in fan[0]["data"] if t.get("name") == "actual")
    assert abs(actual["y"][-1] - last_month_end) < 0.01
    assert any(s.value.startswith("Open alerts") for s in at.subheader)
    # bar tooltips say what a bar is (QA: with the axis titles blank they read "=Family")
    bars = [t for c in charts for t in c["data"] if t.get("type") == "bar"]
    assert len(bars) >= 4 and all("%{fullData.name}" in t["hovertemplate"] for t in bars)
    # the account filter narrows the figures to one account
    at.multiselect(key="dash_accounts").select(at.multiselect(key="dash_accounts").options[0]).run()
    assert not at.exception and len(at.dataframe[0].value) == 1


def test_goals_page_what_if_and_readiness(open_page, db: Database, settings: Settings,
                                          household_user) -> None:
    user = _planned_user(db, settings, household_user)
    at = open_page(user, "goals")
    plan = at.dataframe[0].value
    assert list(plan["goal"]) == ["Rainy day", "New car"] and plan["monthly"].str.startswith("€").all()
    with db.user_session(user) as conn:
        stored = conn.execute("select saved, target, target_date from goals order by name"
                              " desc").fetchall()
    assert list(plan["saved"]) == [f"€{s:,.2f} of €{t:,.2f}" for s, t, _ in stored]
    assert list(plan["deadline"]) == ["none" if d is None else f"{d:%b %Y}" for *_, d in stored]
    with db.user_session(user) as conn:  # the what-if writes amounts in the base currency
        assert ps.planner(conn).currency_symbol == "€"
        conn.execute("update profiles set base_currency = 'GBP'")
        assert ps.planner(conn).currency_symbol == "£"
        conn.execute("update profiles set base_currency = 'EUR'")
    before = at.dataframe[1].value
    with db.user_session(user) as conn:
        rainy = conn.execute("select id::text from goals where name = 'Rainy day'").fetchone()[0]
    # a goal without a deadline keeps none in the what-if: the untouched what-if is the plan
    assert at.date_input(key=f"whatif_date_{rainy}").value is None
    for column in ("confidence", "status", "monthly"):
        assert list(before[column]) == list(plan[column]), column
    at.selectbox(key="whatif_goal").select_index(1).run()
    with db.user_session(user) as conn:
        gid = conn.execute("select id::text from goals where name = 'New car'").fetchone()[0]
    at.number_input(key=f"whatif_target_{gid}").set_value(30000.0).run()
    after = at.dataframe[1].value
    assert not at.exception
    car = after.loc[after["goal"] == "New car"].iloc[0]
    assert car["status"] in ("behind", "at risk", "no surplus"), car
    # a target below what is saved: reached, whatever the household's surplus
    at.number_input(key=f"whatif_target_{gid}").set_value(500.0).run()
    reached = at.dataframe[1].value
    assert not at.exception and not before.equals(reached)
    assert reached.loc[reached["goal"] == "New car"].iloc[0]["status"] == "reached"
    assert any("guidance, not advice" in w.value for w in at.warning)
    assert any("emergency fund" in m.value for m in at.markdown)
    assert [m.label for m in at.metric][:2] == ["Readiness score", "Eligible"]


def test_goals_page_adds_edits_and_deletes(open_page, db: Database, settings: Settings, make_user) -> None:
    user = make_user(name="goals").user
    at = open_page(user, "goals")
    assert any("guidance, not advice" in w.value for w in at.warning)
    at.text_input(key="add_name").input("Bike")
    at.number_input(key="add_target").set_value(800.0)
    at.button(key="FormSubmitter:add_form-Save goal").click().run()
    with db.user_session(user) as conn:
        gid, name, target = conn.execute("select id::text, name, target from goals").fetchone()
    assert (name, float(target)) == ("Bike", 800.0)
    assert at.dataframe[0].value["status"].iloc[0] == "waiting for the job"
    at.number_input(key=f"edit_{gid}_target").set_value(950.0)
    at.button(key=f"FormSubmitter:edit_{gid}_form-Save goal").click().run()
    with db.user_session(user) as conn:
        assert float(conn.execute("select target from goals").fetchone()[0]) == 950.0
    at.button(key=f"delete_{gid}").click().run()
    with db.user_session(user) as conn:
        assert conn.execute("select count(*) from goals").fetchone()[0] == 0


def test_budgets_page_sets_a_budget(open_page, db: Database, settings: Settings, household_user) -> None:
    user = household_user(seed=13, months=12)
    pipeline.run_user(db, settings, user.id, only=STAGES)
    at = open_page(user, "budgets")
    assert at.metric[0].label == "Safe to spend this month" and at.metric[0].value != "—"
    assert len(at.get("progress")) >= 3
    texts = [p.proto.text for p in at.get("progress")]
    assert all(" left (" in t or t.endswith(" over budget") for t in texts), texts
    name = at.selectbox(key="budget_category").value
    with db.user_session(user) as conn:
        cat = conn.execute("select id::text from categories where name = %s", [name]).fetchone()[0]
    at.number_input(key=f"budget_amount_{cat}").set_value(123.0)
    at.button(key=f"FormSubmitter:budget_form_{cat}-Save budget").click().run()
    assert not at.exception
    with db.user_session(user) as conn:
        assert conn.execute("select amount::float8, period from budgets").fetchall() == [(123.0, "monthly")]
        dirty = conn.execute("select count(*) from budgets").fetchone()[0]
    assert dirty == 1
    with db.owner_connection() as conn:
        seq = conn.execute("select dirty_seq > processed_seq from pipeline.user_state"
                           " where user_id = %s", [str(user.id)]).fetchone()[0]
    assert seq, "saving a budget marks the user for replanning"


def test_a_budget_line_says_by_how_much_it_is_over() -> None:
    """The progress bar's text: what is left, or over budget the overspend as such (it read
    "-€46.55 left (over)")."""
    assert ps.budget_line("Groceries", 379.02, 735.0, 355.98, "ok", "EUR") == \
        "Groceries: €379.02 of €735.00 · €355.98 left (ok)"
    assert ps.budget_line("Hair & Beauty", 81.55, 35.0, -46.55, "over", "EUR") == \
        "Hair & Beauty: €81.55 of €35.00 · €46.55 over budget"
    assert ps.budget_line("Fitness", 40.1, 40.1, 0.0, "reached", "GBP") == \
        "Fitness: £40.10 of £40.10 · £0.00 left (reached)"


def test_a_budget_for_a_category_deleted_since_is_refused_with_a_message(db: Database,
                                                                          make_user) -> None:
    """Saved for a category deleted in another tab: a message, not a foreign-key error."""
    import uuid

    user = make_user(name="budgetgone").user
    with db.user_session(user) as conn:
        with pytest.raises(ValueError, match="this category no longer exists"):
            ps.save_budget(conn, str(uuid.uuid4()), 50.0)
        assert conn.execute("select count(*) from budgets").fetchone()[0] == 0


def test_dashboard_says_why_there_is_no_forecast_for_old_statements(open_page, db: Database,
                                                                    settings: Settings,
                                                                    make_user) -> None:
    from core.demo_data import generate_household
    from core.demo_seed import load_household

    user = make_user(name="stale").user
    end = dt.date.today() - dt.timedelta(days=200)  # the last statement is half a year old
    with db.user_session(user) as conn:
        load_household(conn, user, generate_household(seed=4, months=12, end=end))
    pipeline.run_user(db, settings, user.id, only=STAGES)
    with db.user_session(user) as conn:
        status, reason = conn.execute("select status, reason from forecast_summary").fetchone()
    assert status == "insufficient_data" and "import a recent statement" in reason
    at = open_page(user, "dashboard")
    assert any(i.value.startswith("No forecast: the latest transaction is from")
               for i in at.info), [i.value for i in at.info]
    assert not any(t.get("name") == "p50 (expected)"  # no fan chart
                   for chart in _charts(at).values() for t in chart["data"])


def test_accounts_in_another_currency_are_not_added_in(open_page, db: Database, settings: Settings,
                                                       household_user) -> None:
    """A GBP account next to the EUR household: the stored plans and the dashboard's sums stay
    what they were without it (no exchange rates, so nothing is converted or mixed in); the
    accounts table shows it in pounds."""
    user = household_user(seed=5, months=14)
    pipeline.run_user(db, settings, user.id, only=STAGES)
    queries = {"forecasts": "select month, kind, income_p50, net_p10, net_p50, net_p90, balance_p10,"
                            " balance_p50, balance_p90 from forecasts order by month",
               "budget_status": "select month, category, budget, spent, remaining, status"
                                " from budget_status order by category"}
    queries["forecast_summary"] = ("select status, reason, month_end_balance_p50, surplus_p50,"
                                   " prob_below_buffer from forecast_summary")
    queries["safe_to_spend"] = "select month, safe_to_spend, per_day from safe_to_spend"

    def stored() -> dict:
        with db.user_session(user) as conn:
            return {t: conn.execute(q).fetchall() for t, q in queries.items()}

    before = stored()
    at = open_page(user, "dashboard")
    figures = [m.value for m in at.metric]
    with db.user_session(user) as conn:
        gbp = conn.execute("insert into accounts (name, currency, opening_balance) values"
                           " ('London', 'GBP', 90000) returning id").fetchone()[0]
        for i, (amount, text) in enumerate([(50000, "Bonus"), (-20000, "Car dealer")]):
            conn.execute("insert into transactions (account_id, date, amount, currency, description,"
                         " dedupe_key) values (%s, current_date, %s, 'GBP', %s, %s)",
                         [gbp, amount, text, f"gbp{i}"])
    pipeline.run_user(db, settings, user.id, only=STAGES)
    assert stored() == before
    at = open_page(user, "dashboard")
    assert [m.value for m in at.metric] == figures
    assert any("add up your EUR accounts; accounts in GBP are listed under Accounts" in c.value
               for c in at.caption), [c.value for c in at.caption]
    table = at.dataframe[0].value
    assert table.set_index("account").loc["London", "balance"] == "£120,000.00"
    # picking only the GBP account shows its own figures, in pounds
    at.multiselect(key="dash_accounts").select("London").run()
    assert not at.exception, at.exception
    assert at.metric[3].label == "Net worth" and at.metric[3].value == "£120,000.00"
    assert at.metric[0].value == "£50,000.00"


def test_goals_page_refuses_bad_goals_with_the_field(open_page, db: Database, settings: Settings,
                                                     make_user) -> None:
    user = make_user(name="badgoals").user
    at = open_page(user, "goals")
    at.number_input(key="add_target").set_value(500.0)
    at.button(key="FormSubmitter:add_form-Save goal").click().run()  # no name
    assert not at.exception
    assert any("not saved: name: a goal needs a name" in e.value for e in at.error)
    assert at.number_input(key="add_target").value == 500.0  # what was typed is kept
    at.text_input(key="add_name").input("Trip")
    at.date_input(key="add_date").set_value(dt.date.today() - dt.timedelta(days=30))
    at.button(key="FormSubmitter:add_form-Save goal").click().run()
    assert any("target date:" in e.value and "in the past" in e.value for e in at.error)
    with db.user_session(user) as conn:
        assert conn.execute("select count(*) from goals").fetchone()[0] == 0
    at.date_input(key="add_date").set_value(dt.date.today() + dt.timedelta(days=90))
    at.button(key="FormSubmitter:add_form-Save goal").click().run()
    assert not at.error
    with db.user_session(user) as conn:
        assert conn.execute("select name from goals").fetchall() == [("Trip",)]
    assert at.text_input(key="add_name").value == ""  # the form is fresh for the next goal


def test_save_goal_validates_every_field(db: Database, make_user) -> None:
    user = make_user(name="goalcheck").user
    bad = [({"name": " "}, "name:"), ({"target": 0.0}, "target:"),
           ({"target": float("nan")}, "target:"), ({"saved": -1.0}, "saved so far:"),
           ({"priority": 9}, "priority:"), ({"monthly": -5.0}, "fixed monthly amount:"),
           ({"kind": "yacht"}, "kind:"), ({"name": "x" * 101}, "name:"),
           ({"target_date": dt.date.today() - dt.timedelta(days=1)}, "target date:")]
    good = {"name": "Car", "kind": "short_term", "target": 5000.0, "saved": 0.0,
            "target_date": None, "priority": 3, "monthly": None}
    with db.user_session(user) as conn:
        for change, field in bad:
            try:
                ps.save_goal(conn, None, **{**good, **change})
            except ps.GoalError as exc:
                assert str(exc).startswith(field), (change, exc)
            else:
                raise AssertionError(f"accepted {change}")
        assert conn.execute("select count(*) from goals").fetchone()[0] == 0
        # an overdue goal keeps its date when other fields are edited
        conn.execute("insert into goals (name, kind, target, saved, target_date) values"
                     " ('Old', 'short_term', 100, 0, %s)", [dt.date(2020, 1, 1)])
        gid = conn.execute("select id::text from goals").fetchone()[0]
        ps.save_goal(conn, gid, **{**good, "name": "Old plan", "target_date": dt.date(2020, 1, 1)})
        assert conn.execute("select name from goals").fetchone()[0] == "Old plan"


def test_dashboard_counts_alerts_as_the_alerts_page_shows_them(open_page, db: Database,
                                                               household_user) -> None:
    """The dashboard's "Open alerts (N)" follows the user's "show in the app from" risk level
    and counts an expired snooze as open, like the Alerts page's default filter."""
    from core import alerts_service

    user = household_user(seed=5, months=3)  # the job has not run: only these alerts exist
    with db.owner_connection() as conn:
        for i, (risk, status, snooze) in enumerate([
                ("high", "open", None), ("medium", "open", None), ("low", "open", None),
                ("low", "open", None), ("medium", "snoozed", "-1 day"),
                ("high", "snoozed", "+3 days"), ("high", "dismissed", None)]):
            conn.execute(
                "insert into public.alerts (user_id, alert_key, type, risk, title, body, status,"
                " snoozed_until, model_version, run_id) values (%s, %s, 'anomaly', %s, %s, 'b',"
                " %s, now() + %s::interval, 'test', gen_random_uuid())",
                [str(user.id), f"k{i}", risk, f"alert {i}", status, snooze])
    at = open_page(user, "dashboard")
    assert any(s.value == "Open alerts (3)" for s in at.subheader), [s.value for s in at.subheader]
    assert any("2 open alerts below" in c.value for c in at.caption)
    alerts_page = open_page(user, "alerts")
    assert any(c.value == "3 alert(s)" for c in alerts_page.caption)
    with db.user_session(user) as conn:
        prefs = alerts_service.get_prefs(conn)
        alerts_service.save_prefs(conn, {**prefs, "in_app_min_risk": "low"})
    at = open_page(user, "dashboard")
    assert any(s.value == "Open alerts (5)" for s in at.subheader)
    assert not any("below your" in c.value for c in at.caption)


def test_dashboard_filtered_to_an_empty_foreign_account(open_page, db: Database, settings: Settings,
                                                        household_user) -> None:
    """Filtering to an account of another currency with nothing in the period: the figures
    are in its currency, the charts say there is nothing instead of drawing empty axes, and
    the page says which figures the filter does not apply to."""
    user = household_user(seed=6, months=6)
    with db.user_session(user) as conn:
        conn.execute("insert into accounts (name, currency) values ('Dollar card', 'USD')")
    at = open_page(user, "dashboard")
    at.multiselect(key="dash_accounts").select("Dollar card").run()
    assert not at.exception
    assert at.metric[0].value.startswith("$") and at.metric[3].value.startswith("$")
    assert any("filter applies to money in and out" in c.value and "EUR accounts" in c.value
               for c in at.caption)
    infos = [i.value for i in at.info]
    assert any(i.startswith("No money in or out in these accounts between") for i in infos)
    assert any(i.startswith("No categorized spending in these accounts") for i in infos)
    keys = {c.proto.id for c in at.get("plotly_chart")}
    assert not any("cash_flow" in k or "categories" in k for k in keys), keys

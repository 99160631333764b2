"""Split transactions count as their parts wherever spending is grouped by category.

A -81.99 HOFER purchase split (by the user, through ``core.corrections.split_transaction``) into
Groceries -60 and Household -21.99 must show 60 under Groceries and 21.99 under Household on the
dashboard, in budget actuals (and so in budget alerts), in the monthly feature store and in the
essential spend of the planning inputs; a transaction without splits counts as itself. One SQL
definition does the expansion: the view ``public.transaction_lines`` (security invoker, so the
base tables' row-level security applies).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pandas as pd
import psycopg
import pytest

from core import dashboard_queries as dq
from core.config import Settings
from core.db import Database
from jobs import pipeline
from jobs import planning as planning_stage
from jobs.context import StageContext

STAGES = {"patterns", "recurring", "anomalies", "planning", "alerts"}


def _split_user(db: Database, make_user, add_split_purchase, day: dt.date) -> tuple:
    """A new user with the split HOFER purchase on ``day`` (the shared ``add_split_purchase``)."""
    user = make_user(name="split").user
    hofer, cats = add_split_purchase(db, user, day)
    return user, hofer, cats


@pytest.fixture
def split_user(db: Database, make_user, add_split_purchase) -> tuple:
    return _split_user(db, make_user, add_split_purchase, dt.date.today())


def test_lines_are_the_parts_of_a_split_and_unsplit_rows_as_they_are(db: Database,
                                                                      split_user) -> None:
    user, hofer, cats = split_user
    with db.user_session(user) as conn:
        lines = conn.execute("select transaction_id, category_id, amount, transaction_amount,"
                             " is_split from transaction_lines order by amount").fetchall()
        total = conn.execute("select sum(amount) from transactions").fetchone()[0]
    assert [(c, a, s) for _, c, a, _, s in lines] == [
        (cats["Groceries"], Decimal("-60.00"), True), (cats["Household"], Decimal("-21.99"), True),
        (cats["Pharmacy"], Decimal("-12.50"), False)]
    assert [t for t, *_ in lines[:2]] == [hofer, hofer]
    assert [ta for *_, ta, _ in lines] == [Decimal("-81.99")] * 2 + [Decimal("-12.50")]
    assert sum(a for _, _, a, _, _ in lines) == total


def test_parts_that_do_not_add_up_leave_the_rest_under_the_transactions_category(
        db: Database, split_user) -> None:
    """A QIF file's split lines need not add up to the amount (the importer stores them as
    they are): the rest stays under the transaction's own category, so that the lines of a
    transaction always add up to it."""
    user, hofer, cats = split_user
    with db.user_session(user) as conn:
        conn.execute("delete from transaction_splits")
        conn.execute("insert into transaction_splits (transaction_id, category_id, amount, position)"
                     " values (%s, %s, -50, 0), (%s, null, -20, 1)",
                     [hofer, cats["Household"], hofer])
        rows = conn.execute("select category_id, amount from transaction_lines"
                            " where transaction_id = %s order by amount", [hofer]).fetchall()
        main = conn.execute("select category_id from transactions where id = %s", [hofer]).fetchone()[0]
    assert rows == [(cats["Household"], Decimal("-50.00")), (None, Decimal("-20.00")),
                    (main, Decimal("-11.99"))]


def test_nobody_else_sees_or_changes_the_lines(db: Database, make_user, split_user) -> None:
    user, hofer, _ = split_user
    other = make_user(name="nosy").user
    with db.user_session(other) as conn:
        assert conn.execute("select count(*) from transaction_lines where user_id = %s",
                            [str(user.id)]).fetchone()[0] == 0
        # a part of one's own pointing at another user's transaction (the foreign key alone
        # allows it) changes nothing of that user's lines, not even as the owner sees them
        conn.execute("insert into transaction_splits (transaction_id, amount) values (%s, -1000)",
                     [hofer])
    with db.owner_connection() as conn:
        amounts = sorted(r[0] for r in conn.execute(
            "select amount from transaction_lines where transaction_id = %s", [hofer]))
    assert amounts == [Decimal("-60.00"), Decimal("-21.99")]
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.anon_session() as conn:
        conn.execute("select count(*) from transaction_lines")
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState), \
            db.user_session(user) as conn:  # read-only
        conn.execute("delete from transaction_lines")


def test_dashboard_spending_by_category_counts_the_parts(db: Database, split_user) -> None:
    user, _, _ = split_user
    month = dt.date.today().replace(day=1)
    with db.user_session(user) as conn:
        by_cat = dq.category_vs_average(conn, month)
        totals = dq.totals(conn, month, (month + dt.timedelta(days=32)).replace(day=1))
    spent = dict(zip(by_cat["category"], by_cat["this_month"], strict=True))
    assert spent == pytest.approx({"Food": 60.0, "Shopping": 21.99, "Health": 12.5})
    assert totals["spent"] == pytest.approx(94.49), "money out stays per transaction"


def test_dashboard_page_chart_shows_the_parts(open_page, db: Database, split_user) -> None:
    user, _, _ = split_user
    at = open_page(user, "dashboard")
    chart = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                 if c.proto.id.endswith("-categories"))
    bars = next(t for t in chart["data"] if t["name"] == "This month")
    xs = bars["x"]
    if isinstance(xs, dict):  # plotly's binary encoding of a float array
        xs = np.frombuffer(base64.b64decode(xs["bdata"]), dtype=xs["dtype"]).tolist()
    assert dict(zip(bars["y"], xs, strict=True)) == pytest.approx(
        {"Food": 60.0, "Shopping": 21.99, "Health": 12.5})


def test_budget_actuals_and_alerts_count_the_parts(db: Database, settings: Settings,
                                                   split_user) -> None:
    user, _, cats = split_user
    with db.user_session(user) as conn:
        conn.execute("insert into budgets (category_id, amount, rollover) values"
                     " (%s, 100, false), (%s, 25, false)", [cats["Groceries"], cats["Household"]])
    pipeline.run_user(db, settings, user.id, only=STAGES)
    tag = dt.date.today().strftime("%Y-%m")
    with db.user_session(user) as conn:
        spent = dict(conn.execute("select category, spent::float8 from budget_status"
                                  " where source = 'user'").fetchall())
        alerts = {r[0] for r in conn.execute("select alert_key from alerts where type = 'budget'")}
        features = conn.execute("select features -> 'spend_by_category', spend::float8,"
                                " (features ->> 'n_out')::int from monthly_features"
                                " where month = date_trunc('month', current_date)").fetchone()
    assert spent == pytest.approx({"Groceries": 60.0, "Household": 21.99})
    # Household is at 88% of 25 (the whole 81.99 would have put Groceries over 80% of 100)
    assert alerts == {f"budget:Household:{tag}:80"}, alerts
    by_category, spend, n_out = features
    assert by_category == {"Groceries": 60.0, "Household": 21.99, "Pharmacy": 12.5}
    assert spend == pytest.approx(94.49) and n_out == 2, "two purchases, three lines"


def test_essential_spend_of_the_planning_inputs_counts_the_parts(db: Database, settings: Settings,
                                                                 make_user, add_split_purchase) -> None:
    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=5)
    user, _, _ = _split_user(db, make_user, add_split_purchase, last_month)
    inputs = planning_stage.load_inputs(StageContext(db, user.id))
    # Groceries and Pharmacy are essential, Household is not
    assert inputs["essential"] == pytest.approx(72.5)


def test_forecast_learns_from_the_parts_but_a_split_bill_of_a_series_stays_whole() -> None:
    """The forecaster groups spending by category (essential / discretionary), so it learns from
    the lines; a recurring series is projected from its past charges, so a split charge of a
    series reaches it whole."""
    day = pd.Timestamp("2026-03-02")
    cols = ["id", "date", "amount", "category", "is_transfer"]
    tx = pd.DataFrame([("hofer", day, -81.99, "Groceries", False),
                       ("phone", day, -50.0, "Phone & Internet", False),
                       ("cafe", day, -4.2, "Coffee & Snacks", False)], columns=cols)
    lines = pd.DataFrame([("hofer", day, -60.0, "Groceries", False, True),
                          ("hofer", day, -21.99, "Household", False, True),
                          ("phone", day, -30.0, "Phone & Internet", False, True),
                          ("phone", day, -20.0, "Software", False, True),
                          ("cafe", day, -4.2, "Coffee & Snacks", False, False)],
                         columns=[*cols, "is_split"])
    series = pd.DataFrame({"series_key": ["phone"], "transaction_ids": [["phone"]]})
    got = planning_stage.forecast_input(lines, tx, series)
    assert sorted(zip(got["id"], got["amount"], got["category"], strict=True)) == [
        ("cafe", -4.2, "Coffee & Snacks"), ("hofer", -60.0, "Groceries"),
        ("hofer", -21.99, "Household"), ("phone", -50.0, "Phone & Internet")]
    assert planning_stage.forecast_input(lines, tx, None) is lines


def test_budgets_page_shows_the_parts(open_page, db: Database, settings: Settings,
                                      split_user) -> None:
    user, _, cats = split_user
    with db.user_session(user) as conn:
        conn.execute("insert into budgets (category_id, amount) values (%s, 100), (%s, 50)",
                     [cats["Groceries"], cats["Household"]])
    pipeline.run_user(db, settings, user.id, only=STAGES)
    at = open_page(user, "budgets")
    texts = [p.proto.text for p in at.get("progress")]
    assert any(t.startswith("Groceries: €60.00 of €100.00") for t in texts), texts
    assert any(t.startswith("Household: €21.99 of €50.00") for t in texts), texts


def test_the_table_filter_finds_a_split_transaction_by_any_of_its_parts(db: Database,
                                                                        split_user) -> None:
    """Filtering the table by Household (or its group, Shopping) finds the HOFER purchase one
    of whose parts is Household, though its own category is Groceries."""
    from core.transactions_search import Filters, search

    user, hofer, cats = split_user
    with db.user_session(user) as conn:
        shopping = conn.execute("select parent_id from categories where id = %s",
                                [cats["Household"]]).fetchone()[0]
        for ids in ([cats["Household"]], [shopping], [cats["Groceries"]]):
            page = search(conn, Filters(category_ids=ids))
            assert list(page.rows["id"]) == [hofer], ids
        assert list(search(conn, Filters(category_ids=[cats["Pharmacy"]])).rows["description"]) \
            == ["APOTHEKE"]


def test_the_table_says_what_a_split_rows_parts_are(db: Database, split_user) -> None:
    from core.transactions_search import Filters, search

    user, hofer, _ = split_user
    with db.user_session(user) as conn:
        rows = search(conn, Filters()).rows.set_index("id")
    assert rows.at[hofer, "explanation"] == \
        "Split: Groceries -60.00 · Household -21.99"
    assert rows.loc[rows.index != hofer, "explanation"].map(
        lambda e: not str(e).startswith("Split")).all()

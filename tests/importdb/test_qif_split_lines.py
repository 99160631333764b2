"""QIF split lines count per category like splits made by hand: the Amazon.com order of
quiffen's test.qif (-100.00 = Food:Groceries -50, Transportation:Automobile -25, Personal
Care:Haircare -10, Healthcare:Prescriptions -15), filed under Groceries, adds 50 to Groceries on
the dashboard, not 100; the parts whose category the user does not have count as uncategorized,
and each part counts with its own sign (a money-out part of a money-in transaction is money
out)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core import dashboard_queries as dq


def test_qif_split_lines_count_as_their_parts(db, make_user, import_file) -> None:
    user = make_user(name="qiflines").user
    summary = import_file(user, "quiffen/tests/test_files/test.qif", "QIF")
    with db.user_session(user) as conn:
        amazon = conn.execute("select id from transactions where batch_id = %s"
                              " and description like 'Amazon.com%%'", [summary.batch_id]).fetchone()[0]
        conn.execute("update transactions set category_id = (select id from categories"
                     " where name = 'Groceries') where id = %s", [amazon])  # as the categorizer might
        lines = conn.execute("""
            select c.name, l.amount from transaction_lines l
            left join categories c on c.id = l.category_id
            where l.transaction_id = %s order by l.position""", [amazon]).fetchall()
        by_cat = dq.category_vs_average(conn, dt.date(2020, 2, 1))
        groceries = conn.execute("""
            select -sum(l.amount) from transaction_lines l join categories c on c.id = l.category_id
            where c.name = 'Groceries' and l.date >= '2020-02-01' and l.date < '2020-03-01'
            """).fetchone()[0]
    assert lines == [("Groceries", Decimal("-50.00")), (None, Decimal("-25.00")),
                     (None, Decimal("-10.00")), (None, Decimal("-15.00"))]
    assert groceries == Decimal("60.00"), "Amazon's Groceries part and Target's two halves"
    spent = dict(zip(by_cat["category"], by_cat["this_month"], strict=True))
    assert spent == pytest.approx({
        "Food": 60.0,
        # Amazon's three other parts, Walmart (no split, not categorized yet), the AAPL buy,
        # and the -15.00 sign-up credit part of T-Mobile's +67.50 (a money-out part)
        "Uncategorized": 50.0 + 25.0 + 100.0 + 15.0})

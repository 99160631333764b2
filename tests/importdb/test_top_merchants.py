"""The dashboard's top merchants (``core.dashboard_queries.top_merchants``): money out per
merchant (the merchant, else the description: ``core.queries.MERCHANT``, the same grouping as
the Needs review queue) in the chosen dates, largest first; transfers, excluded rows and money
in do not count; another user's rows are never seen (RLS)."""

from __future__ import annotations

import datetime as dt

from core import dashboard_queries as dq


def test_top_merchants_sum_money_out_per_merchant_in_the_dates(make_user, import_bytes, db):
    user = make_user(name="merchants").user
    other = make_user(name="other").user
    rows = ["01/10/2017,ALDI STORES,10.00,,", "02/10/2017,ALDI STORES,15.50,,",
            "03/10/2017,SHELL GARAGE,30.00,,", "04/10/2017,SALARY ACME,,2000.00,",
            "05/10/2017,NETFLIX.COM,9.99,,", "06/10/2017,RENT TRANSFER,800.00,,",
            "07/11/2017,ALDI STORES,99.00,,"]  # outside the dates below
    data = ("\n".join(["Date,Details,Debit,Credit,Balance", *rows]) + "\n").encode()
    assert import_bytes(user, data, "m.csv", "Card").n_imported == 7
    assert import_bytes(other, data, "m.csv", "Card").n_imported == 7
    with db.user_session(user) as conn:
        conn.execute("update transactions set is_transfer = true"
                     " where description = 'RENT TRANSFER'")
        conn.execute("update transactions set excluded = true where description = 'NETFLIX.COM'")
        conn.execute("update transactions set merchant = 'Shell' where description = 'SHELL GARAGE'")
        top = dq.top_merchants(conn, dt.date(2017, 10, 1), dt.date(2017, 11, 1))
    assert top["merchant"].tolist() == ["Shell", "ALDI STORES"]
    assert top["spent"].tolist() == [30.0, 25.5] and top["n"].tolist() == [1, 2]

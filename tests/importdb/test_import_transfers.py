"""Transfers between the user's own accounts: opposite amounts, close dates, one to one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core import queries
from core.import_accounts import create_account
from core.importer import undo_batch
from core.transaction_rows import cipher_for

CHECKING = b"""Date,Description,Amount
2024-03-01,SALARY ACME LTD,2500.00
2024-03-02,TRANSFER TO SAVINGS 0042,-500.00
2024-03-05,TESCO STORES 2231,-45.20
2024-03-20,CARD PAYMENT THANK YOU,-300.00
"""
SAVINGS = b"""Date,Description,Amount
2024-03-04,TRANSFER FROM CURRENT ACCOUNT,500.00
2024-03-15,INTEREST,1.20
2024-03-30,TRANSFER FROM CURRENT ACCOUNT,500.00
"""
CARD = b"""Date,Description,Amount
2024-03-10,AMAZON MKTP,-45.20
2024-03-21,PAYMENT RECEIVED,300.00
"""


def test_transfers_are_paired_across_accounts_and_do_not_count_as_spending(db, make_user,
                                                                           import_bytes) -> None:
    user = make_user(name="transfers").user
    with db.user_session(user) as conn:
        cipher = cipher_for(conn, user.id)
        create_account(conn, cipher, "Savings", kind="savings", currency="EUR")
        create_account(conn, cipher, "Card", kind="credit", currency="EUR")
    first = import_bytes(user, CHECKING, "checking.csv", "Current")
    assert first.n_transfers == 0  # nothing to pair with yet
    # every amount in the savings export is positive: the user confirms "money in" (sign as is)
    savings = import_bytes(user, SAVINGS, "savings.csv", "Savings", mapping={"sign": "as_is"})
    card = import_bytes(user, CARD, "card.csv", "Card")
    assert (savings.n_transfers, card.n_transfers) == (1, 1)
    with db.user_session(user) as conn:
        rows = conn.execute("""
            select a.name, t.date, t.amount, t.is_transfer, p.date, pa.name, c.name, t.category_source
            from transactions t join accounts a on a.id = t.account_id
            left join transactions p on p.id = t.transfer_pair_id
            left join accounts pa on pa.id = p.account_id
            left join categories c on c.id = t.category_id order by t.date, a.name""").fetchall()
        totals = queries.month_totals(conn, dt.date(2024, 3, 1), dt.date(2024, 4, 1))
    paired = {(r[0], r[1], r[2]): (r[4], r[5], r[6], r[7]) for r in rows if r[3]}
    assert paired == {
        ("Current", dt.date(2024, 3, 2), Decimal("-500.00")):
            (dt.date(2024, 3, 4), "Savings", "Savings & Investments", "rule"),
        ("Savings", dt.date(2024, 3, 4), Decimal("500.00")):
            (dt.date(2024, 3, 2), "Current", "Savings & Investments", "rule"),
        ("Current", dt.date(2024, 3, 20), Decimal("-300.00")):
            (dt.date(2024, 3, 21), "Card", "Credit Card Payment", "rule"),
        ("Card", dt.date(2024, 3, 21), Decimal("300.00")):
            (dt.date(2024, 3, 20), "Current", "Credit Card Payment", "rule"),
    }
    # the second +500 (26 days later) and the same-sign -45.20 pair are not transfers
    assert totals["income"] == Decimal("2500.00") + Decimal("1.20") + Decimal("500.00")
    assert totals["spent"] == Decimal("45.20") * 2
    with db.user_session(user) as conn:
        undo_batch(conn, user, savings.batch_id)
        left = conn.execute("select is_transfer, transfer_pair_id, category_id from transactions"
                            " where amount = -500").fetchone()
    assert left == (False, None, None)


def test_renamed_transfer_categories_still_file_transfers(db, make_user, import_bytes) -> None:
    """Settings > Categories can rename "Between Accounts" and "Savings & Investments": pairs
    are then filed under the renamed categories (looked up by the Transfers group, not by the
    default names)."""
    user = make_user(name="renamed-transfers").user
    with db.user_session(user) as conn:
        cipher = cipher_for(conn, user.id)
        create_account(conn, cipher, "Savings", kind="savings", currency="EUR")
        conn.execute("update categories set name = 'Own transfers' where name = 'Between Accounts'")
        conn.execute("delete from categories where name = 'Savings & Investments'")
    import_bytes(user, CHECKING, "checking.csv", "Current")
    savings = import_bytes(user, SAVINGS, "savings.csv", "Savings", mapping={"sign": "as_is"})
    assert savings.n_transfers == 1
    with db.user_session(user) as conn:
        filed = conn.execute("select distinct c.name from transactions t join categories c"
                             " on c.id = t.category_id where t.is_transfer").fetchall()
    assert filed == [("Own transfers",)]

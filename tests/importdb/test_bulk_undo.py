"""Undoing the table's bulk actions (``core.undo``): each action's rows go back as
they were, its corrections are removed (the categorizer must not learn from a wrong pick),
rows changed since keep their newer state, and the page offers "Undo" once an action ran."""

from __future__ import annotations

import pytest

from core import bulk_edit, undo
from core.corrections import correct_category
from tests.importdb.test_bulk_edit import _cat, _ids, _tick

STATE = ("select description || ' ' || date, category_id, category_source, category_confidence,"
         " category_explanation, needs_review, excluded, tags from transactions"
         " order by date, description")


@pytest.fixture
def shopper(make_user, import_bytes, db):
    """Three LIDL rows waiting in review, two SPAR rows the model filed, one bakery row."""
    user = make_user(name="bulkundo").user
    rows = [f"0{d}/10/2017,LIDL DANKT {100 + d},{10 + d}.50,," for d in range(1, 4)]
    rows += ["04/10/2017,SPAR EXPRESS,3.20,,", "05/10/2017,SPAR EXPRESS,4.20,,",
             "06/10/2017,CORNER BAKERY,2.40,,"]
    data = ("\n".join(["Date,Details,Debit,Credit,Balance", *rows]) + "\n").encode()
    assert import_bytes(user, data, "shop.csv", "Card").n_imported == 6
    with db.user_session(user) as conn:  # what the categorizer left
        conn.execute("update transactions set needs_review = true, category_confidence = 0.4,"
                     " category_explanation = 'Similar to ALDI' where description like 'LIDL%%'")
        conn.execute("update transactions set category_id = (select id from categories where"
                     " name = 'Household'), category_source = 'model', category_confidence = 0.97,"
                     " category_explanation = 'Same merchant' where description like 'SPAR%%'")
    return user


def test_set_category_is_undone_with_the_rows_that_followed(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        before = conn.execute(STATE).fetchall()
        lidl = _ids(conn, "LIDL%")
        done = bulk_edit.set_category(conn, lidl[:1], _cat(conn, "Fuel"))  # a wrong pick
        assert (done.changed, done.followed) == (1, 2)
    with db.user_session(shopper) as conn:  # later, in another request
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 1
        assert undo.undo(conn, [done.change]) == 3
        assert conn.execute(STATE).fetchall() == before
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 0
        assert undo.undo(conn, [done.change]) == 0


def test_rows_changed_since_keep_their_new_state(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        lidl = _ids(conn, "LIDL%")
        fuel = _cat(conn, "Fuel")
        done = bulk_edit.set_category(conn, lidl[:2], fuel)
        # the user confirms one selected row by hand, in the same category: their decision now
        correct_category(conn, lidl[1], fuel)
        assert undo.undo(conn, [done.change]) == 2  # the other selected row and the followed one
        kept = conn.execute("select category_source from transactions where id = %s",
                            [lidl[1]]).fetchone()[0]
        assert kept == "user"
        # the hand correction stays; the bulk ones are gone
        assert [r[0] for r in conn.execute("select source from corrections")] == ["table"]


def test_send_back_is_undone_even_after_the_job_suggested_again(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        before = conn.execute(STATE).fetchall()
        spar = _ids(conn, "SPAR%")
        sent = bulk_edit.send_back(conn, spar)
        assert sent.changed == 2
        # the job's next run puts one in review with a new guess
        conn.execute("update transactions set needs_review = true, category_confidence = 0.3"
                     " where id = %s", [spar[0]])
        assert undo.undo(conn, [sent.change]) == 2
        assert conn.execute(STATE).fetchall() == before
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 0


def test_exclude_include_and_tag_are_undone(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        before = conn.execute(STATE).fetchall()
        everything = _ids(conn, "%")
        conn.execute("update transactions set excluded = true where id = %s", [everything[0]])
        excluded = bulk_edit.set_excluded(conn, everything, True)
        assert excluded.changed == 5
        assert undo.undo(conn, [excluded.change]) == 5  # the row excluded before stays excluded
        assert [r[0] for r in conn.execute("select excluded from transactions order by date")] \
            == [True, False, False, False, False, False]
        conn.execute("update transactions set excluded = false")
        included = bulk_edit.set_excluded(conn, everything[:1], True)
        assert undo.undo(conn, [included.change]) == 1
        conn.execute("update transactions set tags = '{mine}' where id = %s", [everything[1]])
        tagged = bulk_edit.add_tag(conn, everything, "treats")
        assert undo.undo(conn, [tagged.change]) == 6
        tags = [r[0] for r in conn.execute("select tags from transactions order by date")]
        assert tags[1] == ["mine"] and all(t == [] for i, t in enumerate(tags) if i != 1)
        conn.execute("update transactions set tags = '{}'")
        assert conn.execute(STATE).fetchall() == before


def test_another_users_action_changes_nothing(db, make_user, shopper) -> None:
    with db.user_session(shopper) as conn:
        done = bulk_edit.set_category(conn, _ids(conn, "LIDL%"), _cat(conn, "Fuel"))
        after = conn.execute(STATE).fetchall()
    stranger = make_user(name="bulkstranger").user
    with db.user_session(stranger) as conn:  # RLS: none of those rows is found
        assert undo.undo(conn, [done.change]) == 0
    with db.user_session(shopper) as conn:
        assert conn.execute(STATE).fetchall() == after
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 3


def test_page_offers_to_undo_the_last_bulk_action(open_page, db, shopper) -> None:
    with db.user_session(shopper) as conn:
        before = conn.execute(STATE).fetchall()
    at = open_page(shopper, "transactions")
    assert "tx_undo" not in {b.key for b in at.button}
    at.text_input(key="tx_search").input("lidl").run()
    _tick(at, 0)
    at.selectbox(key="tx_bulk_action").select("category").run()
    at.selectbox(key="tx_bulk_category").select("Transport › Fuel")
    at.button(key="tx_bulk_apply").click().run()
    assert not at.exception, at.exception
    assert any(c.value == "Last bulk action: Filed 1 transaction under Transport › Fuel, and 2"
               " similar uncategorized transactions with them." for c in at.caption)
    at.button(key="tx_undo").click().run()
    assert not at.exception, at.exception
    assert any(s.value == "Undone: 3 transactions put back as before." for s in at.success)
    assert "tx_undo" not in {b.key for b in at.button}
    with db.user_session(shopper) as conn:
        assert conn.execute(STATE).fetchall() == before
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 0

"""Undo (``core.undo``): the table's bulk actions, its category edits and "apply to all
similar" each go back as they were, with their corrections removed (the categorizer must not
learn from a wrong pick); rows changed since (decided again, split, their earlier category
deleted) are left as they are now or sent back to the categorizer; walking back newest first, a
review decision, a table edit and a bulk action on the same merchant leave every row as it was
before all three; on the page, "Undo" under the table takes back the newest change, then the
one before."""

from __future__ import annotations

import pytest

from core import bulk_edit, review, table_edits, undo
from core.corrections import apply_to_similar, correct_and_follow, correct_category
from tests.importdb.test_bulk_edit import _cat, _ids, _tick
from tests.importdb.test_table_follow_up import _edit

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


# --- table edits, "apply to all similar", walking back ------------------------------------------

def _corrections(conn) -> int:
    return conn.execute("select count(*) from corrections").fetchone()[0]


def _shown(conn, tx_id) -> table_edits.Shown:
    date, description, category_id = conn.execute(
        "select date, description, category_id from transactions where id = %s", [tx_id]).fetchone()
    return table_edits.Shown(tx_id, date, description, category_id)


def test_a_table_edit_is_undone_with_the_rows_that_followed(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        before = conn.execute(STATE).fetchall()
        lidl = _ids(conn, "LIDL%")
        fuel = _cat(conn, "Fuel")
        done = table_edits.apply_edits(conn, [table_edits.CellEdit(_shown(conn, lidl[0]), "category",
                                                                   fuel, "Transport › Fuel")],
                                       cipher=None, user_id=shopper.id)
    correction = done.corrections[lidl[0]]
    assert correction.followed == 2 and correction.change.rows == 3
    with db.user_session(shopper) as conn:  # later, in another request
        assert _corrections(conn) == 1
        assert undo.undo(conn, [correction.change]) == 3
        assert conn.execute(STATE).fetchall() == before
        assert _corrections(conn) == 0
        assert undo.undo(conn, [correction.change]) == 0  # twice changes nothing more


def test_a_category_sent_back_is_undone(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        before = conn.execute(STATE).fetchall()
        spar = _ids(conn, "SPAR%")
        cleared = correct_and_follow(conn, spar[0], None)
        assert cleared.sent_back and cleared.change.kind == "clear"
        assert undo.undo(conn, [cleared.change]) == 1
        assert conn.execute(STATE).fetchall() == before
        assert _corrections(conn) == 0


def test_apply_to_similar_is_undone_then_the_correction_before_it(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        before = conn.execute(STATE).fetchall()
        spar = _ids(conn, "SPAR%")
        groceries = _cat(conn, "Groceries")
        first = correct_and_follow(conn, spar[0], groceries)
        assert (first.followed, first.similar) == (0, 1)  # the model filed it: not followed
        similar = apply_to_similar(conn, spar[0], groceries)
        assert similar.rows == 1 and _corrections(conn) == 2
    with db.user_session(shopper) as conn:
        assert undo.undo(conn, [similar]) == 1
        sources = [r[0] for r in conn.execute("select category_source from transactions"
                                              " where merchant = 'SPAR EXPRESS' order by date")]
        assert sources == ["user", "model"]  # the correction before it stays
        assert _corrections(conn) == 1
        assert undo.undo(conn, [first.change]) == 1
        assert conn.execute(STATE).fetchall() == before


def test_undone_newest_first_three_actions_leave_nothing_behind(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        before = conn.execute(STATE).fetchall()
        lidl = _ids(conn, "LIDL%")
        # a review decision files the merchant, a table edit re-files one of its rows, a bulk
        # action tags them all: three actions touching the same rows
        decided = review.decide(conn, str(lidl[2]), "Fuel")
        edited = correct_and_follow(conn, lidl[1], _cat(conn, "Groceries"))
        tagged = bulk_edit.add_tag(conn, lidl, "holiday")
    with db.user_session(shopper) as conn:
        assert undo.undo(conn, [tagged.change]) == 3
        assert undo.undo(conn, [edited.change]) == 1
        back = conn.execute("select category_source, category_id from transactions where id = %s",
                            [lidl[1]]).fetchone()
        assert back == ("history", _cat(conn, "Fuel"))  # as the decision left it
        assert undo.undo(conn, [decided.change]) == 3
        assert conn.execute(STATE).fetchall() == before
        assert _corrections(conn) == 0


def test_two_edits_of_one_batch_on_one_merchant_are_undone_together(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        before = conn.execute(STATE).fetchall()
        lidl = _ids(conn, "LIDL%")
        shown = [_shown(conn, i) for i in lidl[:2]]
        # the first edit files the merchant (the second row follows it), the second re-files
        # that row: both in one database transaction, so their corrections have one time
        done = table_edits.apply_edits(conn, [
            table_edits.CellEdit(shown[0], "category", _cat(conn, "Fuel"), "Transport › Fuel"),
            table_edits.CellEdit(shown[1], "category", _cat(conn, "Groceries"), "Food › Groceries")],
            cipher=None, user_id=shopper.id)
        assert not done.refused
        changes = [done.corrections[i].change for i in lidl[:2]]
    with db.user_session(shopper) as conn:
        assert undo.undo(conn, changes) == 4  # the second edit's row, then all three rows
        assert conn.execute(STATE).fetchall() == before
        assert _corrections(conn) == 0


def test_a_row_decided_again_since_keeps_its_new_state(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        lidl = _ids(conn, "LIDL%")
        fuel = _cat(conn, "Fuel")
        edited = correct_and_follow(conn, lidl[0], fuel)
        correct_category(conn, lidl[1], _cat(conn, "Groceries"))  # the user re-filed a follower
        assert undo.undo(conn, [edited.change]) == 2
        kept = conn.execute("select category_source from transactions where id = %s",
                            [lidl[1]]).fetchone()[0]
        assert kept == "user" and _corrections(conn) == 1


def test_page_undoes_the_tables_changes_newest_first(open_page, db, shopper) -> None:
    with db.user_session(shopper) as conn:
        before = conn.execute(STATE).fetchall()
    at = open_page(shopper, "transactions")
    assert "tx_undo" not in {b.key for b in at.button}
    at.text_input(key="tx_search").input("lidl").run()
    _edit(at, 0, category="Transport › Fuel")  # the newest LIDL row; the other two follow it
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Last change: 2017-10-03 · LIDL DANKT 103 filed under Transport › Fuel,"
                            " and 2 similar with it.") for c in captions), captions
    _tick(at, 0, 1)
    at.selectbox(key="tx_bulk_action").select("tag").run()
    at.text_input(key="tx_bulk_tag").input("trip")
    at.button(key="tx_bulk_apply").click().run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert 'Last bulk action: Tagged 2 transactions “trip”. (1 earlier can be undone after it,' \
           ' newest first.)' in captions, captions
    at.button(key="tx_undo").click().run()  # the tag
    assert any(s.value == "Undone: 2 transactions put back as before." for s in at.success)
    assert any(c.value.startswith("Last change: 2017-10-03 · LIDL DANKT 103") for c in at.caption)
    at.button(key="tx_undo").click().run()  # the edit, with the rows that followed it
    assert not at.exception, at.exception
    assert any(s.value == "Undone: 3 transactions put back as before." for s in at.success)
    assert "tx_undo" not in {b.key for b in at.button}
    assert "tx_apply_similar" not in {b.key for b in at.button}  # its box went with it
    with db.user_session(shopper) as conn:
        assert conn.execute(STATE).fetchall() == before
        assert _corrections(conn) == 0


def test_a_row_whose_earlier_category_was_deleted_goes_back_to_the_categorizer(db, shopper) -> None:
    """The SPAR rows were the model's Household guesses; the user re-files them, deletes
    Household, then undoes: the rows cannot go back to a category that no longer exists."""
    from core.category_admin import delete

    with db.user_session(shopper) as conn:
        spar = _ids(conn, "SPAR%")
        done = bulk_edit.set_category(conn, spar, _cat(conn, "Groceries"))
        delete(conn, shopper, _cat(conn, "Household"))
        assert undo.undo(conn, [done.change]) == 2
        rows = conn.execute("select category_id, category_source, category_confidence,"
                            " category_explanation, needs_review from transactions"
                            " where merchant = 'SPAR EXPRESS'").fetchall()
        assert rows == [(None, None, None, None, False)] * 2  # the job guesses again
        assert _corrections(conn) == 0


def test_a_row_split_since_keeps_its_split(db, shopper) -> None:
    from core.corrections import split_transaction

    with db.user_session(shopper) as conn:
        lidl = _ids(conn, "LIDL%")
        fuel, groceries = _cat(conn, "Fuel"), _cat(conn, "Groceries")
        edited = correct_and_follow(conn, lidl[0], fuel)  # files the three LIDL rows
        # the user splits the first row since, its larger part in the same category
        split_transaction(conn, lidl[0], [(fuel, "-8.00", ""), (groceries, "-3.50", "")])
        assert undo.undo(conn, [edited.change]) == 2  # the two that followed it
        kept = conn.execute("select category_id, category_source, needs_review from transactions"
                            " where id = %s", [lidl[0]]).fetchone()
        assert kept == (fuel, "user", False)
        assert conn.execute("select count(*) from transaction_splits").fetchone()[0] == 2

"""Edits in the transactions table go to the transaction the table showed, checked against what
it showed (``core.table_edits``), and a split row says it is split.

The data editor reports an edit by row position; between the render and the edit the rows
behind the positions can change (a second tab, the job filing rows). Before, the page looked
the position up in the rows read again, so an edit could land on another transaction, and it
overwrote whatever had changed meanwhile; a split row's Category cell showed its largest part
and an edit there overwrote the split's category silently.
"""

from __future__ import annotations

import uuid

import pytest
from streamlit.testing.v1 import AppTest

from core import table_edits
from core.corrections import split_transaction
from core.transaction_rows import cipher_for, set_notes
from core.transactions_search import Filters, search

HEADER = "Date,Details,Debit,Credit,Balance"
ROWS = ["05/10/2017,LIDL DANKT 105,15.50,,", "04/10/2017,LIDL DANKT 104,14.50,,",
        "03/10/2017,SPAR EXPRESS,3.20,,", "02/10/2017,CORNER BAKERY,2.40,,"]
"""Newest first, as the table shows them: LIDL 105, LIDL 104, SPAR, BAKERY (all uncategorized)."""


@pytest.fixture
def shopper(make_user, import_bytes):
    user = make_user(name="edits").user
    data = ("\n".join([HEADER, *ROWS]) + "\n").encode()
    assert import_bytes(user, data, "shop.csv", "Card").n_imported == 4
    return user


def _cat(conn, name: str):
    return conn.execute("select id from categories where name = %s", [name]).fetchone()[0]


def _state(db, user) -> dict[str, tuple]:
    """description -> (category name, source) of every row."""
    with db.user_session(user) as conn:
        return {d: (c, s) for d, c, s in conn.execute(
            "select t.description, c.name, t.category_source from transactions t"
            " left join categories c on c.id = t.category_id")}


def _shown(db, user) -> dict[str, table_edits.Shown]:
    """The rows as the table shows them now, by description."""
    with db.user_session(user) as conn:
        rows = search(conn, Filters(), cipher=cipher_for(conn, user.id), user_id=user.id).rows
    return {r.description: table_edits.Shown(r.id, r.date, r.description, r.category_id,
                                             bool(r.has_splits), r.notes)
            for r in rows.itertuples()}


def _apply(db, user, edits: list[table_edits.CellEdit]) -> table_edits.EditResult:
    with db.user_session(user) as conn:
        return table_edits.apply_edits(conn, edits, cipher=cipher_for(conn, user.id), user_id=user.id)


def _split_lidl(db, user) -> None:
    with db.user_session(user) as conn:
        lidl = conn.execute("select id from transactions where description = 'LIDL DANKT 105'"
                            ).fetchone()[0]
        assert split_transaction(conn, lidl, [(_cat(conn, "Groceries"), "-10", "food"),
                                              (_cat(conn, "Household"), "-5.50", "soap")]) == 2


# --- core: every edit is checked against the row as it is now -------------------------------------

def test_a_changed_row_is_refused_by_name_and_the_others_are_applied(db, shopper) -> None:
    seen = _shown(db, shopper)
    with db.user_session(shopper) as conn:  # another tab files LIDL 105 meanwhile
        groceries, household = _cat(conn, "Groceries"), _cat(conn, "Household")
        food = conn.execute("select parent_id from categories where id = %s", [groceries]).fetchone()[0]
        conn.execute("update transactions set category_id = %s, category_source = 'user'"
                     " where description = 'LIDL DANKT 105'", [household])
    gone = table_edits.Shown(uuid.uuid4(), seen["SPAR EXPRESS"].date, "OLD IMPORT", None)
    result = _apply(db, shopper, [
        table_edits.CellEdit(seen["LIDL DANKT 105"], "category", groceries, "Food › Groceries"),
        table_edits.CellEdit(seen["SPAR EXPRESS"], "category", household, "Shopping › Household"),
        table_edits.CellEdit(gone, "category", household, "Shopping › Household"),
        table_edits.CellEdit(seen["CORNER BAKERY"], "category", food, "Food"),  # a group
        table_edits.CellEdit(seen["CORNER BAKERY"], "notes", "croissants")])
    assert [r.message for r in result.refused] == [
        "2017-10-05 · LIDL DANKT 105: its category changed to Shopping › Household since the table "
        "was shown; your choice (Food › Groceries) was not saved. Check the row and edit it again.",
        "2017-10-03 · OLD IMPORT: this transaction no longer exists (deleted, or its import undone); "
        "your change was not saved.",
        "2017-10-02 · CORNER BAKERY: 'Food' is a group of categories; choose one of its categories, "
        "such as Food › Coffee & Snacks"]
    assert [(e.row.description, e.field) for e in result.applied] == [
        ("SPAR EXPRESS", "category"), ("CORNER BAKERY", "notes")]
    state = _state(db, shopper)
    assert state["LIDL DANKT 105"] == ("Household", "user")  # the other tab's choice stays
    assert state["SPAR EXPRESS"] == ("Household", "user")
    assert state["CORNER BAKERY"] == (None, None)  # the refused group rolled back alone
    assert _shown(db, shopper)["CORNER BAKERY"].notes == "croissants"


def test_edits_of_one_batch_do_not_conflict_with_each_other(db, shopper) -> None:
    """A correction files the merchant's uncategorized rows with it; the batch's next edit of
    such a row is checked against the row as it was before the batch, so it is applied too."""
    seen = _shown(db, shopper)
    with db.user_session(shopper) as conn:
        groceries, household = _cat(conn, "Groceries"), _cat(conn, "Household")
    result = _apply(db, shopper, [
        table_edits.CellEdit(seen["LIDL DANKT 105"], "category", groceries, "Food › Groceries"),
        table_edits.CellEdit(seen["LIDL DANKT 104"], "category", household, "Shopping › Household")])
    assert not result.refused and len(result.applied) == 2
    state = _state(db, shopper)
    assert (state["LIDL DANKT 105"], state["LIDL DANKT 104"]) == (("Groceries", "user"),
                                                                  ("Household", "user"))


def test_a_note_changed_elsewhere_is_not_overwritten(db, shopper) -> None:
    seen = _shown(db, shopper)
    with db.user_session(shopper) as conn:
        set_notes(conn, cipher_for(conn, shopper.id), shopper.id, seen["SPAR EXPRESS"].id, "from tab 2")
        set_notes(conn, cipher_for(conn, shopper.id), shopper.id, seen["CORNER BAKERY"].id, "same")
    result = _apply(db, shopper, [table_edits.CellEdit(seen["SPAR EXPRESS"], "notes", "mine"),
                                  table_edits.CellEdit(seen["CORNER BAKERY"], "notes", "same")])
    assert [r.message for r in result.refused] == [
        "2017-10-03 · SPAR EXPRESS: its note was changed elsewhere since the table was shown; your "
        "note was not saved. Check the row and edit it again."]
    assert len(result.applied) == 1  # already what the user typed: nothing is lost
    assert _shown(db, shopper)["SPAR EXPRESS"].notes == "from tab 2"


def test_a_split_rows_category_is_refused_its_notes_are_not(db, shopper) -> None:
    _split_lidl(db, shopper)
    seen = _shown(db, shopper)
    assert seen["LIDL DANKT 105"].split
    with db.user_session(shopper) as conn:
        salary = _cat(conn, "Salary")
        corrections = conn.execute("select count(*) from corrections").fetchone()[0]
    result = _apply(db, shopper, [
        table_edits.CellEdit(seen["LIDL DANKT 105"], "category", salary, "Income › Salary"),
        table_edits.CellEdit(seen["LIDL DANKT 105"], "category", None),  # "—"
        table_edits.CellEdit(seen["LIDL DANKT 105"], "notes", "weekly shop")])
    message = ("2017-10-05 · LIDL DANKT 105: this transaction is split across categories (Groceries "
               "-10.00, Household -5.50); its category was not changed. Edit the split under Row "
               "details, or remove the split first.")
    assert [r.message for r in result.refused] == [message, message]
    assert [e.field for e in result.applied] == ["notes"]
    with db.user_session(shopper) as conn:
        assert conn.execute("select count(*) from corrections").fetchone()[0] == corrections
        assert conn.execute("select c.name, t.category_explanation from transactions t join categories c"
                            " on c.id = t.category_id where t.description = 'LIDL DANKT 105'"
                            ).fetchone() == ("Groceries", "Split by you")
        assert conn.execute("select count(*) from transaction_splits").fetchone()[0] == 2


# --- the page ------------------------------------------------------------------------------------

def _edit(at: AppTest, rows: dict[int, dict]) -> None:
    """What the data editor sends when the user changes cells of the table's ``rows``."""
    version = at.session_state["tx_editor_version"]
    at.session_state[f"tx_editor_{version}"] = {"edited_rows": rows, "added_rows": [],
                                                "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception


def test_page_an_edit_goes_to_the_row_shown_when_rows_moved_meanwhile(open_page, db, shopper) -> None:
    at = open_page(shopper, "transactions")
    assert list(at.dataframe[0].value["description"])[:2] == ["LIDL DANKT 105", "LIDL DANKT 104"]
    with db.user_session(shopper) as conn:  # a newer row arrives: everything moves down one
        account = conn.execute("select id from accounts").fetchone()[0]
        conn.execute("insert into transactions (account_id, date, amount, description, dedupe_key)"
                     " values (%s, '2017-10-09', -99, 'NEW ARRIVAL', 'new')", [account])
    _edit(at, {0: {"category": "Shopping › Household", "notes": "for the flat"}})
    assert not at.error
    assert list(at.dataframe[0].value["description"])[:2] == ["NEW ARRIVAL", "LIDL DANKT 105"]
    state = _state(db, shopper)
    assert state["LIDL DANKT 105"] == ("Household", "user") and state["NEW ARRIVAL"] == (None, None)
    assert _shown(db, shopper)["LIDL DANKT 105"].notes == "for the flat"
    assert _shown(db, shopper)["NEW ARRIVAL"].notes == ""


def test_page_a_stale_edit_is_refused_by_name_and_the_rest_saved(open_page, db, shopper) -> None:
    at = open_page(shopper, "transactions")
    with db.user_session(shopper) as conn:  # the job files LIDL 105 between render and edit
        conn.execute("update transactions set category_id = %s, category_source = 'model',"
                     " category_confidence = 0.97 where description = 'LIDL DANKT 105'",
                     [_cat(conn, "Salary")])
    _edit(at, {0: {"category": "Food › Groceries"}, 2: {"category": "Shopping › Household"}})
    assert [e.value for e in at.error] == [
        "2017-10-05 · LIDL DANKT 105: its category changed to Income › Salary since the table was "
        "shown; your choice (Food › Groceries) was not saved. Check the row and edit it again."]
    assert "Saved 1 of 2 changes: 2017-10-03 · SPAR EXPRESS (category)." in [s.value for s in at.success]
    state = _state(db, shopper)
    assert state["LIDL DANKT 105"] == ("Salary", "model")
    assert state["SPAR EXPRESS"] == ("Household", "user")
    view = at.dataframe[0].value.set_index("description")
    assert view.at["LIDL DANKT 105", "category"] == "Income › Salary"  # the refused edit is not shown
    at.run()  # the messages are shown once
    assert not at.error


def test_page_a_split_row_says_split_and_its_category_cell_is_not_overwritten(open_page, db,
                                                                             shopper) -> None:
    _split_lidl(db, shopper)
    at = open_page(shopper, "transactions")
    view = at.dataframe[0].value
    assert view["category"].iloc[0] == "Split: Groceries -10.00, Household -5.50"
    assert view["why"].iloc[0] == "Split: Groceries -10.00 · Household -5.50"
    assert "Food › Groceries" not in set(view["category"])  # no row shows the largest part alone
    _edit(at, {0: {"category": "Income › Salary"}})
    assert [e.value for e in at.error] == [
        "2017-10-05 · LIDL DANKT 105: this transaction is split across categories (Groceries -10.00, "
        "Household -5.50); its category was not changed. Edit the split under Row details, or "
        "remove the split first."]
    assert _state(db, shopper)["LIDL DANKT 105"] == ("Groceries", "user")
    assert at.dataframe[0].value["category"].iloc[0] == "Split: Groceries -10.00, Household -5.50"
    with db.user_session(shopper) as conn:
        assert conn.execute("select count(*) from transaction_splits").fetchone()[0] == 2

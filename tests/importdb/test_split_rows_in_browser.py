"""What a browser showed wrong about split rows, checked through AppTest and the services.

* A split row's Category cell ("Split: Groceries -60.00, Household -21.99") was blank in the
  browser: a selectbox cell draws only a value among its options, and the split text was not
  one. The options now end with the page's split cells; picking one for an unsplit row is
  refused with a message. Category has a fixed width (sized by a page of "—", it showed
  "Shopping › Onli").
* Saving a split changes the Needs review count, so the tab labels, and Streamlit redrew the
  tabs' contents: Row details closed and hid its confirmation. It keeps its state now.
* The split editor of an uncategorized row showed "None" as its first part (a NaN category is
  truthy), and its refusals were bare fragments ("a split needs at least two parts"). A part
  without a category was saved as "uncategorized" (the row stayed in review); it is refused.
* With "Needs review only", a saved split takes its row off the page, and its confirmation
  went with it.
* After *Remove split*, the row's Why still said "Split by you".

The user is the shared split user (``add_split_purchase``): HOFER -81.99 split into Groceries
-60.00 and Household -21.99, and APOTHEKE -12.50 under Pharmacy.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from streamlit.testing.v1 import AppTest

from core import table_edits
from core.corrections import CorrectionError, get_splits, remove_split, split_transaction
from core.transaction_rows import cipher_for
from core.transactions_search import Filters, search

DAY = dt.date(2024, 5, 1)
SPLIT = "Split: Groceries -60.00, Household -21.99"


@pytest.fixture
def split_user(db, make_user, add_split_purchase):
    user = make_user(name="splitbrowser").user
    hofer, cats = add_split_purchase(db, user, DAY)
    return user, hofer, cats


def _split_pharmacy(at: AppTest) -> None:
    """Under Row details, split APOTHEKE -12.50 into Pharmacy -10.00 and Household -2.50."""
    _pick(at, "APOTHEKE")
    tx = at.selectbox(key="tx_pick").value
    at.session_state[f"tx_split_{tx}"] = {
        "edited_rows": {0: {"amount": -10.0}, 1: {"category": "Shopping › Household", "amount": -2.5}},
        "added_rows": [], "deleted_rows": []}
    at.button(key=f"tx_split_save_{tx}").click().run()
    assert not at.exception, at.exception


def _columns(at: AppTest) -> dict:
    """The transactions editor's column configuration, as the browser receives it."""
    return json.loads(at.dataframe[0].proto.columns)


def _pick(at: AppTest, text: str) -> None:
    pick = at.selectbox(key="tx_pick")
    pick.select(next(o for o in pick.options if text in o)).run()
    assert not at.exception, at.exception


def test_page_a_split_rows_category_cell_is_one_of_its_options(open_page, split_user) -> None:
    user, *_ = split_user
    at = open_page(user, "transactions")
    assert at.dataframe[0].value.set_index("description").at["HOFER DANKT 4711", "category"] == SPLIT
    category = _columns(at)["category"]
    options = category["type_config"]["options"]
    assert options[0] == "—" and "Food › Groceries" in options
    assert options[-1] == SPLIT and options.count(SPLIT) == 1  # drawn, not blank
    assert category["width"] == "medium"  # not sized by a page of "—" ("Shopping › Onli")


def test_picking_a_split_cell_for_an_unsplit_row_is_refused(db, split_user) -> None:
    user, *_ = split_user
    with db.user_session(user) as conn:
        rows = search(conn, Filters(), cipher=cipher_for(conn, user.id), user_id=user.id).rows
        row = next(r for r in rows.itertuples() if r.description == "APOTHEKE")
        shown = table_edits.Shown(row.id, row.date, row.description, row.category_id)
        done = table_edits.apply_edits(conn, [table_edits.CellEdit(shown, "category", SPLIT, SPLIT)],
                                       cipher=None, user_id=user.id)
        category = conn.execute("select c.name from transactions t join categories c"
                                " on c.id = t.category_id where t.id = %s", [row.id]).fetchone()[0]
    assert not done.applied
    assert [r.message for r in done.refused] == [
        f"2024-05-01 · APOTHEKE: {SPLIT} is not a category (it is what a split row's cell "
        "shows); your choice was not saved. Pick a category."]
    assert category == "Pharmacy"


def test_page_row_details_stays_open_after_a_split_changes_the_tabs(open_page, db, split_user) -> None:
    user, *_ = split_user
    with db.user_session(user) as conn:  # the pharmacy row waits for review: saving its split
        conn.execute("update transactions set needs_review = true where description = 'APOTHEKE'")
    at = open_page(user, "transactions")
    at.session_state["tx_row_details"] = True  # the user opened Row details
    at.run()
    assert at.tabs[1].label == "Needs review (1)"
    _split_pharmacy(at)
    assert at.tabs[1].label == "Needs review (0)"  # the labels changed ...
    expander = next(e for e in at.expander if e.label.startswith("Row details"))
    assert expander.proto.expanded  # ... and Row details is still open, with its confirmation
    assert any(s.value.startswith("Saved the split of 2024-05-01 · APOTHEKE") for s in at.success)


def test_page_the_split_editor_of_an_uncategorized_row_and_its_refusal(open_page, db,
                                                                      split_user) -> None:
    user, *_ = split_user
    with db.user_session(user) as conn:
        conn.execute("update transactions set category_id = null, category_source = null"
                     " where description = 'APOTHEKE'")
    at = open_page(user, "transactions")
    _pick(at, "APOTHEKE")
    parts = at.dataframe[1].value
    assert list(parts["category"]) == ["—", "—"]  # not "None"
    at.button(key=f"tx_split_save_{at.selectbox(key='tx_pick').value}").click().run()
    assert [e.value for e in at.error] == [  # the untouched editor: the amount, no category
        "Split not saved: part 1: the category is missing; choose one of your categories."]


def test_a_split_part_needs_a_category(db, split_user) -> None:
    """A part left without a category was saved as "uncategorized": the row stayed in review
    with the model's category (it is the largest part's), which the categorizer could replace."""
    user, hofer, cats = split_user
    with db.user_session(user) as conn:
        pharmacy = conn.execute("select id from transactions where description = 'APOTHEKE'").fetchone()[0]
        with pytest.raises(CorrectionError, match="^part 2: the category is missing; choose one of your"):
            split_transaction(conn, pharmacy, [(cats["Groceries"], "-2.50", ""), (None, "-10", "")])
        assert get_splits(conn, pharmacy) == []


def test_page_a_split_that_takes_its_row_off_the_filter_is_confirmed(open_page, db,
                                                                     split_user) -> None:
    user, *_ = split_user
    with db.user_session(user) as conn:
        conn.execute("update transactions set needs_review = true where description = 'APOTHEKE'")
    at = open_page(user, "transactions")
    at.checkbox(key="tx_review").check().run()  # "Needs review only": the pharmacy row alone
    _split_pharmacy(at)
    assert "No transactions match." in [i.value for i in at.info]  # the row left the filter ...
    assert [s.value for s in at.success if s.value.startswith("Saved")] == [  # ... and it is confirmed
        "Saved the split of 2024-05-01 · APOTHEKE · -12.50: Health › Pharmacy -10.00, "
        "Shopping › Household -2.50. It no longer matches the filter."]
    at.checkbox(key="tx_review").uncheck().run()  # once
    assert not [s.value for s in at.success if s.value.startswith("Saved")]


def test_removing_a_split_no_longer_says_split_by_you(db, split_user) -> None:
    user, hofer, cats = split_user
    with db.user_session(user) as conn:
        assert remove_split(conn, hofer) == 2
        state = conn.execute("select category_id, category_source, category_explanation"
                             " from transactions where id = %s", [hofer]).fetchone()
    assert state == (cats["Groceries"], "user", "Set by you")

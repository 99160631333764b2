"""Split transactions in the transactions table, in the service and through AppTest.

* Bulk actions (``core.bulk_edit``): filing under a category and sending back for review leave a
  split transaction's categories (its parts) as they are and say how many were skipped and why;
  excluding, including and tagging still apply to it; a similar row that is split is not filed
  with the others either.
* The filter totals: filtered by category, money in/out count only a split transaction's parts
  in those categories (``transaction_lines``, as the dashboard does), and the caption says so.
* The split editor under Row details: the transaction's amount, the sum of the parts and what is
  left to assign while typing (green at zero), and a confirmation naming the saved parts.

The user is the shared split user (``add_split_purchase``): HOFER -81.99 split into Groceries
-60.00 and Household -21.99, and APOTHEKE -12.50 under Pharmacy.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from streamlit.testing.v1 import AppTest

from core import bulk_edit
from core.corrections import apply_to_similar, get_splits, similar_count, split_balance
from core.transactions_search import Filters, search

DAY = dt.date(2024, 5, 1)
SKIPPED_ONE = "1 split transaction was left as it is: edit its split under Row details."


@pytest.fixture
def split_user(db, make_user, add_split_purchase):
    user = make_user(name="splitrows").user
    hofer, cats = add_split_purchase(db, user, DAY)
    with db.user_session(user) as conn:
        pharmacy = conn.execute("select id from transactions where description = 'APOTHEKE'").fetchone()[0]
    return user, hofer, pharmacy, cats


def _state(db, user, tx) -> tuple:
    with db.user_session(user) as conn:
        return conn.execute("select category_id, category_source, category_explanation, excluded, tags"
                            " from transactions where id = %s", [tx]).fetchone()


def _parts(db, user, tx) -> list[tuple]:
    with db.user_session(user) as conn:
        return [(p["category_id"], p["amount"]) for p in get_splits(conn, tx)]


# --- 1. bulk actions ------------------------------------------------------------------------------

def test_bulk_category_actions_skip_split_rows_and_say_why(db, split_user) -> None:
    user, hofer, pharmacy, cats = split_user
    before = _state(db, user, hofer)
    assert before[:3] == (cats["Groceries"], "user", "Split by you")
    with db.user_session(user) as conn:
        filed = bulk_edit.apply(conn, "category", [hofer, pharmacy], category_id=cats["Household"])
        sent = bulk_edit.apply(conn, "clear", [hofer, pharmacy])
        again = bulk_edit.send_back(conn, [hofer])
        mine = conn.execute("select transaction_id from corrections").fetchall()
    assert (filed.changed, filed.split) == (1, 1)
    assert filed.message == f"Filed 1 transaction under Shopping › Household. {SKIPPED_ONE}"
    assert filed.split_note == SKIPPED_ONE and filed.summary.startswith("Filed 1 transaction")
    assert sent.message == ("Sent 1 transaction back for review: the categorizer will suggest a category"
                            f" at its next run (see Needs review). {SKIPPED_ONE}")
    assert again.message == f"Nothing to change. {SKIPPED_ONE}"
    assert mine == [(pharmacy,), (pharmacy,)]  # no correction recorded on the split row
    assert _state(db, user, hofer) == before
    assert _parts(db, user, hofer) == [(cats["Groceries"], Decimal("-60.00")),
                                       (cats["Household"], Decimal("-21.99"))]
    with db.user_session(user) as conn:  # two split rows: the plural
        other = conn.execute(
            "insert into transactions (account_id, date, amount, description, dedupe_key)"
            " select account_id, date, -10, 'MARKT', 'markt' from transactions where id = %s"
            " returning id", [hofer]).fetchone()[0]
        conn.execute("insert into transaction_splits (transaction_id, category_id, amount, position)"
                     " values (%s, %s, -4, 0), (%s, null, -6, 1)", [other, cats["Groceries"], other])
        two = bulk_edit.set_category(conn, [hofer, other], cats["Household"])
    assert two.message == ("Nothing to change. 2 split transactions were left as they are: edit their"
                           " split under Row details.")


def test_exclude_include_and_tag_still_apply_to_split_rows(db, split_user) -> None:
    user, hofer, pharmacy, _ = split_user
    with db.user_session(user) as conn:
        results = [bulk_edit.apply(conn, "exclude", [hofer, pharmacy]),
                   bulk_edit.apply(conn, "tag", [hofer, pharmacy], tag="trip")]
    assert [(r.changed, r.split, r.split_note) for r in results] == [(2, 0, ""), (2, 0, "")]
    assert _state(db, user, hofer)[3:] == (True, ["trip"])
    with db.user_session(user) as conn:
        assert bulk_edit.apply(conn, "include", [hofer]).message == \
            "Included 1 transaction in spending and income."


def test_a_split_similar_row_is_not_filed_with_the_others(db, split_user) -> None:
    """A QIF split row may be a guess waiting for review: filing another row of its merchant
    neither files it with them nor offers it under "apply to all similar"."""
    user, hofer, _, cats = split_user
    with db.user_session(user) as conn:
        acc = conn.execute("select account_id from transactions where id = %s", [hofer]).fetchone()[0]
        qif, plain = (conn.execute(
            "insert into transactions (account_id, date, amount, description, merchant, dedupe_key,"
            " category_id, category_source, needs_review) values (%s, %s, -30, 'HOFER DANKT 9', 'HOFER',"
            " %s, %s, %s, %s) returning id", [acc, DAY, key, cat, source, source is not None]).fetchone()[0]
            for key, cat, source in (("qif", cats["Pharmacy"], "model"), ("plain", None, None)))
        conn.execute("insert into transaction_splits (transaction_id, category_id, amount, position)"
                     " values (%s, %s, -20, 0), (%s, %s, -10, 1)",
                     [qif, cats["Groceries"], qif, cats["Household"]])
        done = bulk_edit.set_category(conn, [plain], cats["Groceries"])
        assert similar_count(conn, plain, cats["Groceries"]) == 0
        assert apply_to_similar(conn, plain, cats["Groceries"]).rows == 0
    assert (done.changed, done.followed, done.split) == (1, 0, 0)
    assert _state(db, user, qif)[:2] == (cats["Pharmacy"], "model")


# --- 2. the filter totals -------------------------------------------------------------------------

def _money(db, user, **filters) -> list[tuple]:
    with db.user_session(user) as conn:
        page = search(conn, Filters(**filters))
    return [(t["n"], t["money_in"], t["money_out"]) for t in page.totals]


def test_totals_filtered_by_category_count_only_the_matching_parts(db, split_user) -> None:
    user, _, _, cats = split_user
    with db.user_session(user) as conn:
        food = conn.execute("select parent_id from categories where id = %s",
                            [cats["Groceries"]]).fetchone()[0]
    assert _money(db, user) == [(2, 0, Decimal("94.49"))]  # whole transactions without a category filter
    assert _money(db, user, text="hofer") == [(1, 0, Decimal("81.99"))]
    assert _money(db, user, category_ids=[cats["Groceries"]]) == [(1, 0, Decimal("60.00"))]
    assert _money(db, user, category_ids=[cats["Household"]]) == [(1, 0, Decimal("21.99"))]
    assert _money(db, user, category_ids=[food]) == [(1, 0, Decimal("60.00"))]  # a group: its leaves
    assert _money(db, user, category_ids=[cats["Groceries"], cats["Pharmacy"]]) == [
        (2, 0, Decimal("72.50"))]
    assert _money(db, user, category_ids=[cats["Groceries"], cats["Household"]]) == [
        (1, 0, Decimal("81.99"))]  # every part: the whole, once


def test_page_totals_and_caption_with_a_category_filter(open_page, split_user) -> None:
    user, *_ = split_user
    at = open_page(user, "transactions")
    assert "81.99" not in _metric(at, "Money out") and "94.49" in _metric(at, "Money out")
    assert "split transactions" not in " ".join(c.value for c in at.caption)
    at.multiselect(key="tx_categories").select("Food › Groceries").run()
    assert not at.exception, at.exception
    assert "60.00" in _metric(at, "Money out") and _metric(at, "Transactions") == "1"
    assert any(c.value.endswith("split transactions count only their Groceries parts.") for c in at.caption)


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


# --- 1. bulk actions on the page ------------------------------------------------------------------

def _said(elements) -> list[str]:
    """The messages of the Transactions tab (not the other tabs', e.g. "Nothing to review")."""
    return [e.value for e in elements if not e.value.startswith("Nothing to review")]


def _tick(at: AppTest, *descriptions: str) -> None:
    rows = list(at.dataframe[0].value["description"])
    version = at.session_state["tx_editor_version"]
    at.session_state[f"tx_editor_{version}"] = {
        "edited_rows": {rows.index(d): {"select": True} for d in descriptions},
        "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception


def test_page_bulk_actions_leave_split_rows_and_say_so(open_page, db, split_user) -> None:
    user, hofer, pharmacy, cats = split_user
    at = open_page(user, "transactions")
    _tick(at, "HOFER DANKT 4711", "APOTHEKE")
    at.selectbox(key="tx_bulk_action").select("category").run()
    at.selectbox(key="tx_bulk_category").select("Shopping › Household")
    at.button(key="tx_bulk_apply").click().run()
    assert not at.exception, at.exception
    assert _said(at.success) == ["Filed 1 transaction under Shopping › Household."]
    assert _said(at.warning) == [SKIPPED_ONE]
    assert _state(db, user, hofer)[:2] == (cats["Groceries"], "user")
    assert _state(db, user, pharmacy)[:2] == (cats["Household"], "user")
    # every row of the filter, after the confirmation
    at.button(key="tx_bulk_all_btn").click().run()
    at.selectbox(key="tx_bulk_action").select("clear").run()
    at.button(key="tx_bulk_apply").click().run()
    assert "Split transactions keep their split." in " ".join(w.value for w in at.warning)
    at.button(key="tx_bulk_confirm_yes").click().run()
    assert not at.exception, at.exception
    assert _said(at.warning) == [SKIPPED_ONE]
    assert _state(db, user, pharmacy)[:2] == (None, None)
    assert len(_parts(db, user, hofer)) == 2
    # tagging applies to the split row too, and says nothing about splits
    _tick(at, "HOFER DANKT 4711", "APOTHEKE")
    at.selectbox(key="tx_bulk_action").select("tag").run()
    at.text_input(key="tx_bulk_tag").input("trip")
    at.button(key="tx_bulk_apply").click().run()
    assert _said(at.success) == ["Tagged 2 transactions “trip”."] and not _said(at.warning)
    assert _state(db, user, hofer)[4] == ["trip"]


# --- 3. the split editor --------------------------------------------------------------------------

def test_split_balance_is_the_running_sum() -> None:
    nan = float("nan")
    done = split_balance(Decimal("-81.99"), [-60.0, nan, None, "", "abc", "-21,99", float("inf")])
    assert (done.amount, done.assigned, done.left) == (Decimal("-81.99"), Decimal("-81.99"), 0)
    left = split_balance(Decimal("-81.99"), [-50.0, -21.99])
    assert (left.assigned, left.left) == (Decimal("-71.99"), Decimal("-10.00"))


def _balance(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("Transaction **"))


def test_page_split_editor_shows_what_is_left_and_confirms_the_parts(open_page, db, split_user) -> None:
    user, hofer, _, cats = split_user
    at = open_page(user, "transactions")
    pick = at.selectbox(key="tx_pick")
    pick.select(next(o for o in pick.options if "HOFER" in o)).run()
    assert _balance(at) == "Transaction **-81.99** · parts **-81.99** · left to assign :green[**0.00**]"
    key = f"tx_split_{hofer}"
    at.session_state[key] = {"edited_rows": {0: {"amount": -50.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert _balance(at) == "Transaction **-81.99** · parts **-71.99** · left to assign :orange[**-10.00**]"
    at.button(key=f"tx_split_save_{hofer}").click().run()
    assert [e.value for e in at.error] == [
        "Split not saved: the parts add up to -71.99, but the transaction is -81.99; -10.00 "
        "left to assign."]
    assert not _said(at.success)
    at.session_state[key] = {"edited_rows": {0: {"amount": -50.0}, 1: {"amount": -31.99}},
                             "added_rows": [], "deleted_rows": []}
    at.button(key=f"tx_split_save_{hofer}").click().run()
    assert not at.exception and not at.error
    assert _said(at.success) == [
        "Saved the split of 2024-05-01 · HOFER DANKT 4711 · -81.99: Food › Groceries -50.00, "
        "Shopping › Household -31.99."]
    assert _balance(at).endswith(":green[**0.00**]")
    assert _parts(db, user, hofer) == [(cats["Groceries"], Decimal("-50.00")),
                                       (cats["Household"], Decimal("-31.99"))]
    at.run()  # said once
    assert not _said(at.success)

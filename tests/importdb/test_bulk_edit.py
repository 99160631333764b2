"""Bulk actions on the transactions table: in the service (``core.bulk_edit``: set category as
the user's corrections with the same effects as one edit, send back for review,
exclude/include, add a tag; another user's ids are ignored) and on the page through AppTest
(tick rows, "N selected", the action and its confirmation; "select all N matching the filter"
across pages, with a confirmation step)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core import bulk_edit
from core.corrections import CorrectionError, correct_and_follow
from core.transactions_search import Filters, matching_ids, search

HEADER = "Date,Details,Debit,Credit,Balance"


def _statement(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


@pytest.fixture
def shopper(make_user, import_bytes):
    """Five LIDL rows (merchant 'LIDL DANKT'), three SPAR rows, two bakery rows."""
    user = make_user(name="bulk").user
    rows = [f"0{d}/10/2017,LIDL DANKT {100 + d},{10 + d}.50,," for d in range(1, 6)]
    rows += [f"0{d}/10/2017,SPAR EXPRESS,{d}.20,," for d in range(1, 4)]
    rows += ["07/10/2017,CORNER BAKERY,2.40,,", "08/10/2017,CORNER BAKERY,2.60,,"]
    assert import_bytes(user, _statement(rows), "shop.csv", "Card").n_imported == 10
    return user


def _ids(conn, like: str) -> list:
    return [r[0] for r in conn.execute("select id from transactions where description like %s"
                                       " order by date, id", [like])]


def _cat(conn, name: str):
    return conn.execute("select id from categories where name = %s", [name]).fetchone()[0]


def _dirty(db, user) -> int:
    with db.owner_connection() as conn:
        row = conn.execute("select dirty_seq from pipeline.user_state where user_id = %s",
                           [str(user.id)]).fetchone()
    return row[0] if row else 0


# --- the service ----------------------------------------------------------------------------------

def test_set_category_is_one_correction_per_row_like_a_single_edit(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        groceries = _cat(conn, "Groceries")
        lidl, spar = _ids(conn, "LIDL%"), _ids(conn, "SPAR%")
        # one edit in the table, for comparison
        correct_and_follow(conn, spar[0], groceries)
    before = _dirty(db, shopper)
    with db.user_session(shopper) as conn:
        result = bulk_edit.set_category(conn, lidl[:3], groceries)
    assert (result.changed, result.unchanged, result.missing, result.followed) == (3, 0, 0, 2)
    assert result.message == ("Filed 3 transactions under Food › Groceries, and 2 similar uncategorized"
                              " transactions with them.")
    assert _dirty(db, shopper) > before  # the job refits the categorizer at its next poll
    with db.user_session(shopper) as conn:
        rows = dict(conn.execute(
            "select id, (category_id, category_source, category_confidence, category_explanation,"
            " needs_review)::text from transactions").fetchall())
        corrections = conn.execute(
            "select transaction_id, old_category_id, new_category_id, old_source, old_confidence, source,"
            " created_at from corrections order by created_at, transaction_id").fetchall()
    # the bulk rows are exactly what one edit makes of a row
    assert {rows[i] for i in lidl[:3]} == {rows[spar[0]]}
    assert {rows[i] for i in spar[1:]} == {rows[i] for i in lidl[3:]}  # followed alike ('history')
    single, *bulk = corrections
    assert single[:6] == (spar[0], None, groceries, None, None, "table")
    assert sorted(c[:6] for c in bulk) == sorted((i, None, groceries, None, None, "bulk") for i in lidl[:3])
    assert len({c[6] for c in bulk}) == 1  # one database transaction


def test_set_category_refuses_a_group_and_skips_rows_already_there(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        food, groceries = conn.execute("select p.id, c.id from categories c join categories p"
                                       " on p.id = c.parent_id where c.name = 'Groceries'").fetchone()
        spar = _ids(conn, "SPAR%")
        with pytest.raises(CorrectionError, match="Food"):
            bulk_edit.set_category(conn, spar, food)
        with pytest.raises(CorrectionError, match="choose a category"):
            bulk_edit.set_category(conn, spar, None)
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 0
        assert bulk_edit.set_category(conn, spar[:2], groceries).changed == 2
        again = bulk_edit.set_category(conn, spar, groceries)
    assert (again.changed, again.unchanged) == (1, 2)
    assert again.message == "Filed 1 transaction under Food › Groceries (2 already were there)."


def test_send_back_exclude_include_and_tag(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        lidl, bakery = _ids(conn, "LIDL%"), _ids(conn, "CORNER%")
        bulk_edit.set_category(conn, lidl[:2], _cat(conn, "Groceries"))
        sent = bulk_edit.send_back(conn, lidl[:4])  # two filed by hand, two of the three that followed
        assert sent.message == ("Sent 4 transactions back for review: the categorizer will suggest a"
                                " category at its next run (see Needs review).")
        assert bulk_edit.send_back(conn, lidl).message.startswith(
            "Sent 1 transaction back for review: the categorizer will suggest a category at its next run"
            " (see Needs review) (4 had no category).")
        assert bulk_edit.send_back(conn, lidl).message == "Nothing to change (5 had no category)."
        state = conn.execute("select count(*) filter (where category_id is null and category_source is null"
                             " and not needs_review) from transactions where id = any(%s)", [lidl]).fetchone()
        cleared = conn.execute("select count(*) from corrections where new_category_id is null").fetchone()
        assert state[0] == 5 and cleared[0] == 5
        assert bulk_edit.set_excluded(conn, bakery, True).message == \
            "Excluded 2 transactions from spending and income."
        assert bulk_edit.set_excluded(conn, bakery[:1], True).unchanged == 1
        assert bulk_edit.set_excluded(conn, bakery, False).message == \
            "Included 2 transactions in spending and income."
        conn.execute("update transactions set tags = '{mine}' where id = %s", [bakery[0]])
        conn.execute("update transactions set tags = %s where id = %s",
                     [[f"t{i}" for i in range(20)], lidl[0]])
        tagged = bulk_edit.add_tag(conn, [*bakery, lidl[0]], "  treats ")
        assert tagged.message == "Tagged 2 transactions “treats” (1 already had 20 tags)."
        assert bulk_edit.add_tag(conn, bakery, "treats").message == "Nothing to change (2 already had it)."
        tags = [r[0] for r in conn.execute("select tags from transactions where id = any(%s) order by date",
                                           [bakery])]
        assert tags == [["mine", "treats"], ["treats"]]
        for bad in ("", "   ", "x" * 41):
            with pytest.raises(CorrectionError, match="^Tag must have 1 to 40 characters$"):
                bulk_edit.add_tag(conn, bakery, bad)
        with pytest.raises(CorrectionError, match="unknown action"):
            bulk_edit.apply(conn, "delete", bakery)


def test_another_users_ids_are_ignored(db, make_user, import_bytes, shopper) -> None:
    other = make_user(name="bulk-other").user
    import_bytes(other, _statement(["01/10/2017,LIDL DANKT 9,1.00,,"]), "o.csv", "Card")
    with db.user_session(other) as conn:
        theirs = _ids(conn, "LIDL%")
        their_groceries = _cat(conn, "Groceries")
    with db.user_session(shopper) as conn:
        mine = _ids(conn, "SPAR%")[:1]
        groceries = _cat(conn, "Groceries")
        with pytest.raises(CorrectionError):  # their category is not one of mine
            bulk_edit.set_category(conn, mine, their_groceries)
        results = [bulk_edit.set_category(conn, [*theirs, *mine, "not-an-id"], groceries),
                   bulk_edit.send_back(conn, theirs), bulk_edit.set_excluded(conn, theirs, True),
                   bulk_edit.add_tag(conn, theirs, "x")]
        assert matching_ids(conn, Filters(text="lidl")) == _ids(conn, "LIDL%")[::-1]
    assert [(r.changed, r.missing) for r in results] == [(1, 1), (0, 1), (0, 1), (0, 1)]
    assert results[2].message == "Nothing to change (1 transaction no longer exist)."
    with db.user_session(other) as conn:
        assert conn.execute("select category_id, excluded, tags from transactions").fetchall() == [
            (None, False, [])]
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 0


def test_matching_ids_are_every_page_of_the_filter(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        page = search(conn, Filters(text="lidl"), limit=2)
        ids = matching_ids(conn, Filters(text="lidl"))
        assert page.total == len(ids) == 5 and list(page.rows["id"]) == ids[:2]
        assert len(matching_ids(conn, Filters())) == 10


# --- the page -------------------------------------------------------------------------------------

def _tick(at: AppTest, *rows: int) -> None:
    """What the table's data editor sends when the user ticks rows in the first column."""
    version = at.session_state["tx_editor_version"]
    at.session_state[f"tx_editor_{version}"] = {"edited_rows": {r: {"select": True} for r in rows},
                                                "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception


def _texts(elements) -> str:
    return " ".join(e.value for e in elements)


def test_page_ticked_rows_get_one_action(open_page, db, shopper) -> None:
    at = open_page(shopper, "transactions")
    table = at.dataframe[0]
    assert list(table.value["select"]) == [False] * 10
    assert "tx_bulk_apply" not in {b.key for b in at.button}
    at.text_input(key="tx_search").input("spar").run()
    _tick(at, 0, 2)
    assert "2 selected" in _texts(at.markdown)
    assert at.selectbox(key="tx_bulk_action").options == list(bulk_edit.ACTIONS.values())
    at.selectbox(key="tx_bulk_action").select("category").run()
    options = at.selectbox(key="tx_bulk_category").options
    assert "Food › Groceries" in options and "Food" not in options  # leaves only
    at.selectbox(key="tx_bulk_category").select("Food › Groceries")
    assert at.button(key="tx_bulk_apply").label == "Apply to 2"
    at.button(key="tx_bulk_apply").click().run()
    assert not at.exception, at.exception
    assert "Filed 2 transactions under Food › Groceries, and 1 similar uncategorized transaction with them." \
        in _texts(at.success)
    assert "selected" not in _texts(at.markdown)  # the selection is cleared
    with db.user_session(shopper) as conn:
        rows = conn.execute("select category_source, count(*) from transactions"
                            " where description like 'SPAR%%' group by 1 order by 1").fetchall()
        assert rows == [("history", 1), ("user", 2)]
        assert conn.execute("select count(*) from corrections where source = 'bulk'").fetchone()[0] == 2
    # tag, then exclude, two other rows
    at.text_input(key="tx_search").input("bakery").run()
    _tick(at, 0, 1)
    at.selectbox(key="tx_bulk_action").select("tag").run()
    at.button(key="tx_bulk_apply").click().run()
    assert "Type the tag to add first." in _texts(at.error)
    at.text_input(key="tx_bulk_tag").input("treats")
    at.button(key="tx_bulk_apply").click().run()
    assert "Tagged 2 transactions “treats”." in _texts(at.success)
    _tick(at, 1)
    at.selectbox(key="tx_bulk_action").select("exclude").run()
    at.button(key="tx_bulk_apply").click().run()
    assert "Excluded 1 transaction from spending and income." in _texts(at.success)
    assert list(at.dataframe[0].value["flags"]) == ["", "excluded"]
    assert list(at.dataframe[0].value["tags"].map(list)) == [["treats"], ["treats"]]


def test_page_ticks_are_dropped_when_the_rows_shown_change(open_page, shopper) -> None:
    at = open_page(shopper, "transactions")
    at.text_input(key="tx_search").input("101").run()
    _tick(at, 0)
    at.run()
    assert "1 selected" in _texts(at.markdown)  # the same rows: the tick stays
    at.text_input(key="tx_search").input("102").run()  # as many rows, other ones
    assert list(at.dataframe[0].value["description"]) == ["LIDL DANKT 102"]
    assert "selected" not in _texts(at.markdown)
    assert at.session_state[f"tx_editor_{at.session_state['tx_editor_version']}"]["edited_rows"] == {}


@pytest.fixture
def regular(make_user, import_bytes):
    """55 LIDL rows (more than one page of 50) and three SPAR rows."""
    user = make_user(name="bulk-all").user
    rows = [f"{1 + d % 28:02d}/{1 + d // 28:02d}/2017,LIDL DANKT {d},{d}.25,," for d in range(55)]
    rows += [f"0{d}/10/2017,SPAR EXPRESS,{d}.20,," for d in range(1, 4)]
    assert import_bytes(user, _statement(rows), "lidl.csv", "Card").n_imported == 58
    return user


def test_page_select_all_matching_the_filter_after_a_confirmation(open_page, db, regular) -> None:
    at = open_page(regular, "transactions")
    at.text_input(key="tx_search").input("lidl").run()
    assert len(at.dataframe[0].value) == 50
    _tick(at, 0)
    at.button(key="tx_bulk_all_btn").click().run()
    assert "All 55 transactions matching the filter selected" in _texts(at.markdown)
    at.selectbox(key="tx_bulk_action").select("category").run()
    at.selectbox(key="tx_bulk_category").select("Food › Groceries").run()  # a browser reruns here
    at.button(key="tx_bulk_apply").click().run()
    assert ("File all 55 transactions matching the filter under Food › Groceries?"
            in _texts(at.warning))
    with db.user_session(regular) as conn:  # nothing yet
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 0
    assert at.button(key="tx_bulk_apply").disabled  # locked while the question is open
    at.button(key="tx_bulk_confirm_no").click().run()  # cancel: still nothing
    assert not at.warning and "All 55 transactions" in _texts(at.markdown)
    assert at.selectbox(key="tx_bulk_category").value == "Food › Groceries"  # as chosen
    at.button(key="tx_bulk_apply").click().run()
    assert at.button(key="tx_bulk_confirm_yes").label == "Yes, all 55"
    at.button(key="tx_bulk_confirm_yes").click().run()
    assert not at.exception, at.exception
    assert "Filed 55 transactions under Food › Groceries." in _texts(at.success)
    with db.user_session(regular) as conn:
        by_source = conn.execute("select description like 'LIDL%%', category_source, count(*)"
                                 " from transactions group by 1, 2 order by 1, 2").fetchall()
        assert by_source == [(False, None, 3), (True, "user", 55)]  # page 2 too; SPAR untouched
        assert conn.execute("select count(*) from corrections where source = 'bulk'").fetchone()[0] == 55
    assert "All 55" not in _texts(at.markdown)


def test_page_a_new_filter_drops_the_whole_filter_selection(open_page, db, regular) -> None:
    at = open_page(regular, "transactions")
    at.text_input(key="tx_search").input("lidl").run()
    at.button(key="tx_bulk_all_btn").click().run()
    at.selectbox(key="tx_bulk_action").select("exclude").run()
    at.button(key="tx_bulk_apply").click().run()
    assert "Exclude all 55 transactions matching the filter from spending and income?" in _texts(at.warning)
    at.text_input(key="tx_search").input("spar").run()  # the question was about another filter
    assert not at.warning and "matching the filter selected" not in _texts(at.markdown)
    assert at.button(key="tx_bulk_all_btn").label == "Select all 3 matching the filter"
    with db.user_session(regular) as conn:
        assert conn.execute("select count(*) from transactions where excluded").fetchone()[0] == 0

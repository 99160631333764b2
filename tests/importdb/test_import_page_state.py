"""What the Transactions page keeps between reruns, through AppTest with real statements and
the real database: the Undo picker selects the import just made and never offers an import
that added nothing, the Import tab shows a finished import's summary instead of its preview
and Import button again (each warning once), and the open tab survives a decision that
changes the counts in the tab labels."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.import_flow import undo_choices

OFX = "ofxparse/tests/fixtures/checking.ofx"
QIF = "quiffen/tests/test_files/test.qif"
SCHWAB = "csv2ofx/data/test/schwab-checking.csv"
QIF_WARNING = "skipped the 'Opening Balance' record"



def _upload(at: AppTest, statements: Path, relative: str, account: str | None = None) -> None:
    """Drop a file into the (only) uploader, into a new account when ``account`` is given."""
    path = statements / relative
    if account:
        at.selectbox(key="imp_account").select("+ New account").run()
        at.text_input(key="imp_new_name").input(account)
    at.file_uploader[0].set_value((path.name, path.read_bytes(), "application/octet-stream"))
    at.run()
    assert not at.exception, at.exception


def _import(at: AppTest) -> None:
    at.button(key="imp_go").click().run()
    assert not at.exception, at.exception


def _batch_id(db, user, filename: str) -> str:
    with db.user_session(user) as conn:
        return str(conn.execute("select id from import_batches where filename = %s"
                                " order by created_at desc limit 1", [filename]).fetchone()[0])


def _summary_shown(at: AppTest) -> bool:
    return "Duplicates skipped" in {m.label for m in at.metric}


def _keys(at: AppTest, kind: str) -> list[str]:
    return [w.key for w in getattr(at, kind) if w.key]


def _texts(elements) -> list[str]:
    return [e.value for e in elements]


def _picked(at: AppTest) -> str | None:
    """The label of the import the Undo picker has selected."""
    pick = at.selectbox(key="imp_undo_pick")
    return None if pick.value is None else pick.format_func(pick.value)


def test_undo_picker_selects_the_import_just_made(open_page, db, make_user, statements) -> None:
    user = make_user(name="undopick").user
    at = open_page(user, "transactions")
    _upload(at, statements, OFX, account="Checking")
    _import(at)
    assert "checking.ofx" in _picked(at)
    # a second file, into another new account: the picker moves to it
    _upload(at, statements, QIF, account="Cash")
    _import(at)
    assert "test.qif" in _picked(at)
    assert _picked(at).startswith("test.qif · ") and _picked(at).endswith(" UTC · 6 rows · Cash")
    qif_batch, ofx_batch = _batch_id(db, user, "test.qif"), _batch_id(db, user, "checking.ofx")
    pick = at.selectbox(key="imp_undo_pick")
    assert pick.value == qif_batch and pick.format_func(ofx_batch).startswith("checking.ofx · ")
    # Undo right after the import removes that import, not the earlier one
    at.button(key="imp_undo").click().run()
    assert any("6 transaction(s) removed" in s for s in _texts(at.success))
    with db.user_session(user) as conn:
        status = dict(conn.execute("select filename, status from import_batches").fetchall())
        left = conn.execute("select count(*) from transactions").fetchone()[0]
    assert status == {"checking.ofx": "completed", "test.qif": "undone"} and left == 3
    # only the OFX import is left to undo, and nothing is picked for the user
    pick = at.selectbox(key="imp_undo_pick")
    assert pick.options == [pick.format_func(ofx_batch)] and pick.value is None
    assert at.button(key="imp_undo").disabled


def test_an_import_that_adds_nothing_is_listed_but_not_undoable(open_page, db, make_user, statements) -> None:
    user = make_user(name="zerorows").user
    at = open_page(user, "transactions")
    _upload(at, statements, SCHWAB, account="Schwab")
    _import(at)
    first = _batch_id(db, user, "schwab-checking.csv")
    # the same file dropped again, into the account it created: nothing new
    _upload(at, statements, SCHWAB)
    assert any("This file has been imported" in c for c in _texts(at.caption))
    _import(at)
    assert {m.label: m.value for m in at.metric}["Imported"] == "0"
    recent = next(d.value for d in at.dataframe if "Duplicates skipped" in d.value.columns)
    assert recent["Imported"].tolist() == [0, 4]  # Recent imports lists every batch
    pick = at.selectbox(key="imp_undo_pick")
    assert not [o for o in pick.options if "0 rows" in o]  # ... but Undo only those with rows
    assert pick.options == [pick.format_func(first)]
    assert pick.value is None  # the import just made has nothing to undo: nothing is picked
    assert at.button(key="imp_undo").disabled
    assert any("nothing to undo" in c for c in _texts(at.caption))


def test_undo_choices_leave_out_empty_and_undone_batches() -> None:
    when = datetime(2024, 5, 1, 9, 12, 3, tzinfo=UTC)

    def batch(n: int, imported: int, status: str = "completed", filename: str = "a.csv") -> dict:
        return {"id": f"{n:08d}-0000-0000-0000-000000000000", "created_at": when, "filename": filename,
                "account": "Main", "status": status, "imported": imported}

    choices = undo_choices([batch(1, 0), batch(2, 5, "undone"), batch(3, 1, filename="b.csv"),
                            batch(4, 1234), batch(5, 1234)])
    assert list(choices) == [batch(n, 0)["id"] for n in (3, 4, 5)]
    assert choices[batch(3, 0)["id"]] == "b.csv · 2024-05-01 09:12:03 UTC · 1 row · Main"
    assert choices[batch(4, 0)["id"]] == "a.csv · 2024-05-01 09:12:03 UTC · 1,234 rows · Main"
    assert choices[batch(5, 0)["id"]].endswith(" · batch 00000005")  # otherwise the same label
    assert undo_choices([batch(1, 0)]) == {}


def test_after_an_import_the_summary_replaces_the_preview(open_page, db, make_user, statements) -> None:
    user = make_user(name="summary").user
    at = open_page(user, "transactions")
    _upload(at, statements, QIF, account="Cash")
    assert _texts(at.warning).count(f"{QIF_WARNING} (a starting balance, not a transaction)") == 1
    assert at.button(key="imp_go").label == "Import 6 transactions"
    _import(at)
    assert {m.label: m.value for m in at.metric}["Imported"] == "6"
    assert any("Imported 6 transaction(s) from test.qif." in s for s in _texts(at.success))
    # no stale preview or Import button (a second click would import again), one warning
    assert "imp_go" not in _keys(at, "button")
    assert not any("external_id" in d.value.columns for d in at.dataframe)
    assert sum(QIF_WARNING in w for w in _texts(at.warning)) == 1
    # a rerun (any other widget) keeps it that way
    at.run()
    assert "imp_go" not in _keys(at, "button") and sum(QIF_WARNING in w for w in _texts(at.warning)) == 1
    # Import another file: an empty uploader, no summary; the next file gets its preview
    at.button(key="imp_another").click().run()
    assert at.file_uploader[0].value is None
    assert not _summary_shown(at) and "imp_go" not in _keys(at, "button")
    _upload(at, statements, OFX, account="Checking")
    assert at.button(key="imp_go").label == "Import 3 transactions"
    assert any("external_id" in d.value.columns for d in at.dataframe)


def test_dropping_another_file_after_an_import_shows_its_preview(open_page, db, make_user,
                                                                statements) -> None:
    user = make_user(name="nextfile").user
    at = open_page(user, "transactions")
    _upload(at, statements, QIF, account="Cash")
    _import(at)
    _upload(at, statements, OFX, account="Checking")  # straight into the uploader
    assert not _summary_shown(at)
    assert at.button(key="imp_go").label == "Import 3 transactions"


def _tab_container(at: AppTest):
    """The ``st.tabs`` block (AppTest lists its tabs, not which one the page opens)."""
    return next(node.proto.tab_container for node in at._tree
                if type(node).__name__ == "Block" and node.proto is not None
                and node.proto.WhichOneof("type") == "tab_container")


def _open_label(at: AppTest) -> str:
    return [t.label for t in at.tabs][_tab_container(at).default_tab_index]


def test_the_open_tab_survives_a_decision_that_changes_its_count(open_page, db, make_user,
                                                                 boi_twice) -> None:
    user = make_user(name="tabs").user
    boi_twice(user)
    with db.user_session(user) as conn:
        conn.execute("update transactions set needs_review = true where description in"
                     " ('CTO', 'POS20SEP BV')")
    at = open_page(user, "transactions")
    assert [t.label for t in at.tabs] == ["Transactions", "Needs review (5)", "Import",
                                          "Possible duplicates (2)", "Rules", "Merchants"]
    assert _open_label(at) == "Transactions"
    # the user opens Possible duplicates (what the browser sends) and keeps both of one pair
    at.session_state["tx_tabs"] = "Possible duplicates (2)"
    at.run()
    assert _open_label(at) == "Possible duplicates (2)"
    at.button(key=next(k for k in _keys(at, "button") if k.startswith("dup_keep_"))).click().run()
    assert not at.exception, at.exception
    assert _open_label(at) == "Possible duplicates (1)"
    at.button(key=next(k for k in _keys(at, "button") if k.startswith("dup_delete_"))).click().run()
    assert _open_label(at) == "Possible duplicates (0)"
    # the same in Needs review: a decision files the merchant's rows, the count drops
    at.session_state["tx_tabs"] = "Needs review (5)"
    at.run()
    other = next(k for k in _keys(at, "selectbox") if k.startswith("rv-other-"))
    at.selectbox(key=other).select("Groceries").run()
    assert not at.exception, at.exception
    labels = [t.label for t in at.tabs]
    assert labels[1] != "Needs review (5)" and _open_label(at) == labels[1]
    # and back to the first tab when the user picks it
    at.session_state["tx_tabs"] = "Transactions"
    at.run()
    assert _open_label(at) == "Transactions"


def test_a_stale_duplicate_button_says_so(open_page, db, make_user, boi_twice) -> None:
    """The pair was shown, then its new row went (resolved in another tab, or its import
    undone): the click says so instead of failing."""
    user = make_user(name="dupstale").user
    boi_twice(user)
    at = open_page(user, "transactions")
    at.session_state["tx_tabs"] = "Possible duplicates (2)"
    at.run()
    key = next(k for k in _keys(at, "button") if k.startswith("dup_keep_"))
    with db.user_session(user) as conn:
        conn.execute("delete from transactions where id = %s", [key.removeprefix("dup_keep_")])
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.toast][-1] == "Nothing changed: this transaction no longer exists."


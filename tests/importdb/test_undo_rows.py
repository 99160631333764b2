"""Undo of a row's own fields (``core.undo`` kinds ``fields`` and ``split``): a note edited in
the table, tags and exclusion saved in Row details, a split saved, replaced or removed each go
back as they were; a row changed since keeps its newer state until that newer change is undone
first; a split whose earlier category was deleted since stays as it is. On the page, the
table's Undo takes them back newest first, and Row details then shows the row as it is again."""

from __future__ import annotations

from decimal import Decimal

from core import table_edits, undo
from core.corrections import correct_category, remove_split, split_transaction
from core.transaction_rows import cipher_for, read_notes, save_details, set_notes
from tests.importdb.test_bulk_edit import _cat, _ids
from tests.importdb.test_table_follow_up import _edit
from tests.importdb.test_undo import STATE, shopper  # noqa: F401  (the fixture)

SPLITS = "select transaction_id, category_id, amount, memo, position from transaction_splits order by 1, 5"


def _shown(conn, tx_id, notes: str = "") -> table_edits.Shown:
    date, description, category_id = conn.execute(
        "select date, description, category_id from transactions where id = %s", [tx_id]).fetchone()
    return table_edits.Shown(tx_id, date, description, category_id, notes=notes)


def _note_edit(conn, user, tx_id, seen: str, text: str) -> table_edits.EditResult:
    cipher = cipher_for(conn, user.id)
    return table_edits.apply_edits(conn, [table_edits.CellEdit(_shown(conn, tx_id, seen), "notes", text)],
                                   cipher=cipher, user_id=user.id)


def test_a_note_edit_is_undone_and_a_newer_note_is_kept(db, shopper) -> None:  # noqa: F811
    with db.user_session(shopper) as conn:
        bakery = _ids(conn, "CORNER%")[0]
        cipher = cipher_for(conn, shopper.id)
        set_notes(conn, cipher, shopper.id, bakery, "birthday cake")
        first = _note_edit(conn, shopper, bakery, "birthday cake", "cake for Ann")
        assert [c.kind for c in first.changes] == ["fields"] and first.changes[0].rows == 1
        assert undo.undo(conn, first.changes) == 1
        assert read_notes(conn, cipher, bakery) == "birthday cake"
        # the search index follows the note back: the old words find it, the new ones do not
        terms = conn.execute("select notes_terms from transactions where id = %s", [bakery]).fetchone()[0]
        set_notes(conn, cipher, shopper.id, bakery, "birthday cake")
        assert conn.execute("select notes_terms from transactions where id = %s",
                            [bakery]).fetchone()[0] == terms
        second = _note_edit(conn, shopper, bakery, "birthday cake", "cake for Ann")
        set_notes(conn, cipher, shopper.id, bakery, "cake for Ann and Bob")  # edited again since
        assert undo.undo(conn, second.changes) == 0
        assert read_notes(conn, cipher, bakery) == "cake for Ann and Bob"
        # a note saved as it already was changes nothing, and offers nothing to undo
        same = _note_edit(conn, shopper, bakery, "cake for Ann and Bob", "cake for Ann and Bob")
        assert len(same.applied) == 1 and same.changes == []


def test_tags_and_exclusion_are_undone_after_a_newer_bulk_tag(db, shopper) -> None:  # noqa: F811
    from core import bulk_edit

    with db.user_session(shopper) as conn:
        before = conn.execute(STATE).fetchall()
        bakery = _ids(conn, "CORNER%")[0]
        details = save_details(conn, bakery, ["coffee ", "", "coffee", "treat"], True)
        assert details is not None and details.columns == ("tags", "excluded")
        assert save_details(conn, bakery, ["coffee", "treat"], True) is None  # as saved already
        tagged = bulk_edit.add_tag(conn, [bakery], "trip")
        assert undo.undo(conn, [details]) == 0  # the tags changed since
        assert conn.execute("select tags, excluded from transactions where id = %s",
                            [bakery]).fetchone() == (["coffee", "treat", "trip"], True)
        assert undo.undo(conn, [tagged.change]) == 1  # newest first: the tag, then the save
        assert undo.undo(conn, [details]) == 1
        assert conn.execute(STATE).fetchall() == before


def test_a_split_saved_replaced_and_removed_is_undone_step_by_step(db, shopper) -> None:  # noqa: F811
    with db.user_session(shopper) as conn:
        before = conn.execute(STATE).fetchall()
        lidl = _ids(conn, "LIDL%")[0]  # in review: the model's 40% guess
        fuel, groceries, household = _cat(conn, "Fuel"), _cat(conn, "Groceries"), _cat(conn, "Household")
        amount = conn.execute("select amount from transactions where id = %s", [lidl]).fetchone()[0]
        steps = []
        for parts in ([(groceries, amount + 1, "food"), (household, Decimal("-1.00"), "")],
                      [(groceries, amount + 2, ""), (fuel, Decimal("-2.00"), "gas")]):
            n, change = undo.tracked_split(conn, lidl, lambda p=parts: split_transaction(conn, lidl, p))
            assert n == 2 and change is not None and change.kind == "split"
            steps.append((conn.execute(STATE).fetchall(), conn.execute(SPLITS).fetchall(), change))
        _, removed = undo.tracked_split(conn, lidl, lambda: remove_split(conn, lidl))
        assert conn.execute(SPLITS).fetchall() == []
        assert undo.undo(conn, [removed]) == 1  # the second split is back
        assert conn.execute(SPLITS).fetchall() == steps[1][1]
        assert conn.execute(STATE).fetchall() == steps[1][0]
        assert undo.undo(conn, [steps[1][2]]) == 1  # the first split
        assert conn.execute(SPLITS).fetchall() == steps[0][1]
        assert undo.undo(conn, [steps[0][2]]) == 1  # no split, back in review with its guess
        assert conn.execute(SPLITS).fetchall() == []
        assert conn.execute(STATE).fetchall() == before
        assert undo.undo(conn, [steps[0][2]]) == 0  # twice changes nothing
        _, nothing = undo.tracked_split(conn, lidl, lambda: remove_split(conn, lidl))
        assert nothing is None  # no split to remove: nothing to undo


def test_a_split_changed_since_or_whose_category_went_stays(db, shopper) -> None:  # noqa: F811
    from core.category_admin import delete

    with db.user_session(shopper) as conn:
        spar, other = _ids(conn, "SPAR%")  # the model's Household guesses
        groceries, fuel = _cat(conn, "Groceries"), _cat(conn, "Fuel")
        _, split = undo.tracked_split(conn, spar, lambda: split_transaction(
            conn, spar, [(groceries, "-2.00", ""), (fuel, "-1.20", "")]))
        conn.execute("update transaction_splits set memo = 'edited' where position = 0")
        assert undo.undo(conn, [split]) == 0  # the parts changed since
        conn.execute("update transaction_splits set memo = '' where position = 0")
        correct_category(conn, other, groceries)
        delete(conn, shopper, _cat(conn, "Household"))  # the row's category before the split
        assert undo.undo(conn, [split]) == 0
        assert len(conn.execute(SPLITS).fetchall()) == 2  # left whole, not half-undone


def test_page_undoes_a_note_tags_and_a_split_newest_first(open_page, db, shopper) -> None:  # noqa: F811
    with db.user_session(shopper) as conn:
        before = conn.execute(STATE).fetchall()
        bakery = _ids(conn, "CORNER%")[0]
    at = open_page(shopper, "transactions")
    at.text_input(key="tx_search").input("bakery").run()
    _edit(at, 0, notes="for the office")
    assert any(c.value == "Last change: the note of 2017-10-06 · CORNER BAKERY edited."
               for c in at.caption), [c.value for c in at.caption]
    pick = at.selectbox(key="tx_pick")
    pick.select(next(o for o in pick.options if "CORNER BAKERY" in o)).run()
    at.text_input(key=f"tx_tags_{bakery}").input("office")
    at.toggle(key=f"tx_excl_{bakery}").set_value(True)
    at.button(key=f"tx_save_tags_{bakery}").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Saved the tags and exclusion of 2017-10-06 · CORNER BAKERY")
               for s in at.success), [s.value for s in at.success]
    at.session_state[f"tx_split_{bakery}"] = {
        "edited_rows": {0: {"category": "Food › Groceries", "amount": -2.0},
                        1: {"category": "Shopping › Household", "amount": -0.4}},
        "added_rows": [], "deleted_rows": []}
    at.button(key=f"tx_split_save_{bakery}").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Last change: saved the split of 2017-10-06 · CORNER BAKERY")
               and c.endswith("(2 earlier can be undone after it, newest first.)")
               for c in captions), captions
    for _ in range(3):
        at.button(key="tx_undo").click().run()
        assert not at.exception, at.exception
        assert any(s.value == "Undone: 1 transaction put back as before." for s in at.success)
    assert "tx_undo" not in {b.key for b in at.button}
    # Row details shows the row as it is now, not the tags typed before the undo
    assert at.text_input(key=f"tx_tags_{bakery}").value == ""
    assert at.toggle(key=f"tx_excl_{bakery}").value is False
    with db.user_session(shopper) as conn:
        assert conn.execute(STATE).fetchall() == before
        assert read_notes(conn, cipher_for(conn, shopper.id), bakery) == ""
        assert conn.execute(SPLITS).fetchall() == []


def test_saving_unchanged_tags_says_so_and_offers_no_undo(open_page, db, shopper) -> None:  # noqa: F811
    with db.user_session(shopper) as conn:
        bakery = _ids(conn, "CORNER%")[0]
    at = open_page(shopper, "transactions")
    pick = at.selectbox(key="tx_pick")
    pick.select(next(o for o in pick.options if "CORNER BAKERY" in o)).run()
    at.button(key=f"tx_save_tags_{bakery}").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Nothing to save: the tags and exclusion of") for s in at.success)
    assert "tx_undo" not in {b.key for b in at.button}

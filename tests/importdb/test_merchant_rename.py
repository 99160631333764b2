"""Renaming a merchant (``core.merchant_rename``) on the real Bank of Ireland export in a real
database with RLS: every row of the merchant gets the name, a rule gives it to the next import,
renaming again updates that rule and the rules that named the old name, and one Undo takes it
all back (rows changed since keep their newer name). On the page, Row details renames and the
table's Undo takes it back."""

from __future__ import annotations

import pytest

from core import merchant_rename as mr
from core import undo
from core.rules_store import list_rules

BOI = "bank2ynab/test/test-data/test_BOI_TransactionExport.csv"
HEADER = "Date,Details,Debit,Credit,Balance\n"


def _merchants(conn, like: str) -> list[str]:
    return [r[0] for r in conn.execute("select coalesce(merchant, '') from transactions"
                                       " where description like %s order by date, id", [like])]


def _first(conn, like: str):
    return conn.execute("select id from transactions where description like %s order by date, id"
                        " limit 1", [like]).fetchone()[0]


@pytest.fixture
def boi_user(make_user, import_file):
    user = make_user(name="rename").user
    assert import_file(user, BOI, "BOI").n_imported == 27
    return user


def test_every_row_future_imports_and_undo(db, boi_user, import_bytes) -> None:
    with db.user_session(boi_user) as conn:
        assert _merchants(conn, "%CTO") == ["CTO"] * 4
        done = mr.rename_merchant(conn, _first(conn, "%CTO"), "  Acme   payroll ")
        assert (done.old, done.new, done.rows, done.rule_action) == ("CTO", "Acme payroll", 4, "added")
        assert done.message == ("Renamed CTO to Acme payroll on 4 transactions. Rule “Rename CTO → "
                                "Acme payroll” added: future imports get the new name.")
        assert _merchants(conn, "%CTO") == ["Acme payroll"] * 4
        rule = next(r for r in list_rules(conn) if r.name == done.rule)
        assert rule.priority == mr.PRIORITY
        assert rule.conditions == [{"field": "merchant", "op": "equals", "value": "CTO"}]
        # the same name again: nothing to do, nothing to undo
        again = mr.rename_merchant(conn, _first(conn, "%CTO"), "Acme payroll")
        assert again.rows == 0 and again.change is None
        assert again.message.startswith("Nothing to rename")
    # the next statement's salary line arrives under the new name
    line = "05/10/2017,               CTO,,845.92,100\n"
    import_bytes(boi_user, (HEADER + line).encode(), "oct.csv", "BOI")
    with db.user_session(boi_user) as conn:
        assert _merchants(conn, "%CTO") == ["Acme payroll"] * 5
        conn.execute("update transactions set merchant = 'ACME Ltd' where date = '2017-09-28'"
                     " and description like '%%CTO'")  # renamed by hand since
        assert undo.undo(conn, [done.change]) == 3
        # the imported row was not part of the rename; the row renamed since keeps its name
        assert _merchants(conn, "%CTO") == ["CTO", "CTO", "CTO", "ACME Ltd", "Acme payroll"]
        assert all(r.name != done.rule for r in list_rules(conn))


def test_renaming_again_updates_the_rules_and_undo_restores_them(db, boi_user, import_bytes) -> None:
    with db.user_session(boi_user) as conn:
        atm = dict(conn.execute("select description, merchant from transactions"
                                " where description like 'ATM%%'").fetchall())
        assert set(atm.values()) == {"ATM", "ATMD"}, atm  # one cash machine, two names
        first = mr.rename_merchant(conn, _first(conn, "ATMD%"), "Cash machine")
        second = mr.rename_merchant(conn, _first(conn, "ATM08SEP%"), "Cash machine")
        assert (first.rows, second.rows) == (2, 1)
        assert _merchants(conn, "ATM%") == ["Cash machine"] * 3  # one merchant now
        third = mr.rename_merchant(conn, _first(conn, "ATM08SEP%"), "ATM cash")
        assert (third.rows, third.rule_action, third.redirected) == (3, "added", 2)
        assert "2 other rules that named merchants Cash machine now name them ATM cash." in third.message
        names = sorted(a["value"] for r in list_rules(conn) for a in r.actions)
        assert names == ["ATM cash"] * 3
    # rules read the line as imported: the next ATMD line gets the latest name
    import_bytes(boi_user, (HEADER + "02/10/2017,ATMD 01OCT BOI ,40.0,,\n").encode(), "oct.csv", "BOI")
    with db.user_session(boi_user) as conn:
        assert _merchants(conn, "ATMD 01OCT%") == ["ATM cash"]
        assert undo.undo(conn, [third.change]) == 3
        assert _merchants(conn, "ATM_%SEP%") == ["Cash machine"] * 3
        assert sorted(a["value"] for r in list_rules(conn) for a in r.actions) == ["Cash machine"] * 2
        assert undo.undo(conn, [second.change]) == 1 and undo.undo(conn, [first.change]) == 2
        assert sorted(_merchants(conn, "ATM_%SEP%")) == ["ATM", "ATMD", "ATMD"]
        assert list_rules(conn) == []


def test_one_row_a_line_without_merchant_and_bad_names(db, boi_user, make_user) -> None:
    with db.user_session(boi_user) as conn:
        statoil = _first(conn, "POS01SEP STATOIL%")
        one = mr.rename_merchant(conn, statoil, "Circle K", every=False)
        assert (one.rows, one.rule_action) == (1, "")
        assert sorted(_merchants(conn, "%STATOIL%")) == ["Circle K", "STATOIL"]
        # a line the importer could not name: the merchant is its description, so is the rule's
        media = _first(conn, "Media%")
        conn.execute("update transactions set merchant = null where id = %s", [media])
        assert mr.merchant_of(conn, media) == ("Media  SEPA DD", False)
        done = mr.rename_merchant(conn, media, "Spotify")
        rule = next(r for r in list_rules(conn) if r.name == done.rule)
        assert rule.conditions == [{"field": "description", "op": "equals", "value": "Media  SEPA DD"}]
        with pytest.raises(mr.RenameError, match="type the merchant's new name"):
            mr.rename_merchant(conn, media, "   ")
        with pytest.raises(mr.RenameError, match="at most 120 characters"):
            mr.rename_merchant(conn, media, "x" * 121)
    other = make_user(name="rename-other").user
    with db.user_session(other) as conn, pytest.raises(mr.RenameError, match="no longer exists"):
        mr.rename_merchant(conn, statoil, "Mine now")  # RLS: another user's row is not found
    with db.user_session(boi_user) as conn:
        assert sorted(_merchants(conn, "%STATOIL%")) == ["Circle K", "STATOIL"]


def test_page_renames_in_row_details_and_undoes(open_page, db, boi_user) -> None:
    with db.user_session(boi_user) as conn:
        tr = _first(conn, "POS21SEP Tr%")
    at = open_page(boi_user, "transactions")
    at.text_input(key="tx_search").input("POS21SEP").run()
    pick = at.selectbox(key="tx_pick")
    pick.select(next(o for o in pick.options if "POS21SEP Tr" in o)).run()
    assert at.text_input(key=f"tx_merchant_{tr}").value == "TR"
    assert any(c.value == "Only this transaction is named TR so far." for c in at.caption)
    at.text_input(key=f"tx_merchant_{tr}").input("Tram ticket")
    at.button(key=f"tx_merchant_save_{tr}").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    assert any(s.value.startswith("Renamed TR to Tram ticket on 1 transaction. Rule")
               for s in at.success), [s.value for s in at.success]
    assert any(c.value.startswith("Last change: renamed TR to Tram ticket.") for c in at.caption)
    at.button(key="tx_undo").click().run()
    assert not at.exception, at.exception
    assert at.text_input(key=f"tx_merchant_{tr}").value == "TR"  # the box follows the undo
    with db.user_session(boi_user) as conn:
        assert _merchants(conn, "POS21SEP%") == ["TR"] and list_rules(conn) == []
    at.text_input(key=f"tx_merchant_{tr}").input(" ")
    at.button(key=f"tx_merchant_save_{tr}").click().run()
    assert [e.value for e in at.error] == ["Not renamed: type the merchant's new name."]


def test_a_review_card_renames_its_merchant_and_undo_takes_it_back(open_page, db, boi_user) -> None:
    with db.user_session(boi_user) as conn:
        conn.execute("update transactions set needs_review = true, category_confidence = 0.1,"
                     " category_explanation = 'Built-in guess' where description like 'POS21SEP%%'")
        tr = _first(conn, "POS21SEP Tr%")
    at = open_page(boi_user, "transactions")
    assert at.text_input(key=f"rv-name-{tr}").value == "TR"
    at.text_input(key=f"rv-name-{tr}").input("Tram ticket")
    at.checkbox(key=f"rv-name-rule-{tr}").uncheck()
    at.button(key=f"rv-rename-{tr}").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.toast] == ["Renamed TR to Tram ticket on 1 transaction."]
    assert any(c.value == "Last decision: renamed TR to Tram ticket." for c in at.caption)
    assert any(m.value.startswith("**Tram ticket** · 1 transaction") for m in at.markdown)
    with db.user_session(boi_user) as conn:
        assert _merchants(conn, "POS21SEP%") == ["Tram ticket"] and list_rules(conn) == []
    at.button(key="rv_undo").click().run()
    assert not at.exception, at.exception
    with db.user_session(boi_user) as conn:
        assert _merchants(conn, "POS21SEP%") == ["TR"]
    assert any(m.value.startswith("**TR** · 1 transaction") for m in at.markdown)


def test_a_name_another_merchant_has_in_other_case_takes_its_spelling(db, boi_user) -> None:
    with db.user_session(boi_user) as conn:
        done = mr.rename_merchant(conn, _first(conn, "ATMD%"), "atm", remember=False)
        assert (done.new, done.rows) == ("ATM", 2)  # a merge: one spelling, one review card
        assert _merchants(conn, "ATM%") == ["ATM"] * 3
        # a merchant's own case can still change: no other merchant has the name
        again = mr.rename_merchant(conn, _first(conn, "ATM%"), "Atm", remember=False)
        assert (again.new, again.rows) == ("Atm", 3)
        assert mr.rename_merchant(conn, _first(conn, "ATM%"), "Atm").rows == 0  # as it is

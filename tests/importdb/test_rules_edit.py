"""Rules can be turned off and on, edited as the same rule, and reordered: in the service
(``core.rules_edit``, ``core.rules_store``, ``core.rules_apply``) under RLS, and on the Rules tab
through AppTest (the Enabled and Priority cells of the list, Edit + Preview + Save, Move up /
Move down), including a rule made by "Always do this"."""

from __future__ import annotations

from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from core.correction_rules import rule_from_correction
from core.rules import MAX_PRIORITY, Rule, RuleError
from core.rules_apply import apply_all_rules, apply_rule, preview_rule
from core.rules_edit import move_rule, set_enabled, set_priority
from core.rules_store import list_rules, save_rule

HEADER = "Date,Details,Debit,Credit,Balance"
LIDL = [{"field": "description", "op": "contains", "value": "LIDL"}]


def _statement(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def _cat(conn, name: str):
    return conn.execute("select id from categories where name = %s and parent_id is not null",
                        [name]).fetchone()[0]


def _files(category_id) -> list[dict]:
    return [{"type": "set_category", "category_id": str(category_id)}]


@pytest.fixture
def shopper(make_user, import_bytes):
    user = make_user(name="rules-edit").user
    rows = [f"0{d}/10/2017,LIDL DANKT {100 + d},{10 + d}.50,," for d in range(1, 4)]
    rows += ["05/10/2017,CORNER BAKERY,2.40,,"]
    assert import_bytes(user, _statement(rows), "shop.csv", "Card").n_imported == 4
    return user


def _rules(db, user) -> list[tuple[str, int, bool]]:
    with db.user_session(user) as conn:
        return [(r.name, r.priority, r.enabled) for r in list_rules(conn)]


# --- the service ----------------------------------------------------------------------------------

def test_a_disabled_rule_is_not_applied_on_import_nor_by_apply(db, shopper, import_bytes) -> None:
    with db.user_session(shopper) as conn:
        rule_id = save_rule(conn, Rule(name="Lidl", conditions=LIDL, actions=_files(_cat(conn, "Groceries"))))
        set_enabled(conn, rule_id, False)
        with pytest.raises(RuleError, match="it is disabled; enable it first"):
            apply_rule(conn, rule_id)
        assert apply_all_rules(conn) == 0
        # a preview still says what it would do (the builder previews a rule being edited)
        assert preview_rule(conn, next(r for r in list_rules(conn))).changed == 3
    summary = import_bytes(shopper, _statement(["06/10/2017,LIDL DANKT 777,3.00,,"]), "a.csv", "Card")
    assert summary.n_rule_matches == 0
    with db.user_session(shopper) as conn:
        assert conn.execute("select count(*) from transactions where category_source = 'rule'"
                            ).fetchone()[0] == 0
        set_enabled(conn, rule_id, True)
    summary = import_bytes(shopper, _statement(["07/10/2017,LIDL DANKT 778,4.00,,"]), "b.csv", "Card")
    assert summary.n_rule_matches == 1
    with db.user_session(shopper) as conn:
        assert apply_rule(conn, rule_id) == 4  # the three old ones and the one imported while off


def test_priority_is_validated_and_another_users_rule_is_refused(db, make_user, shopper) -> None:
    other = make_user(name="rules-edit-other").user
    with db.user_session(other) as conn:
        theirs = save_rule(conn, Rule(name="Theirs", conditions=LIDL, actions=[{"type": "exclude"}]))
    with db.user_session(shopper) as conn:
        mine = save_rule(conn, Rule(name="Mine", conditions=LIDL, actions=[{"type": "exclude"}]))
        assert set_priority(conn, mine, "20") == 20
        for bad in (-1, MAX_PRIORITY + 1, 2.5, None):
            with pytest.raises(RuleError, match="^Priority must be a whole number from 0 to 1,000,000"):
                set_priority(conn, mine, bad)
        for change in (lambda: set_priority(conn, theirs, 1), lambda: set_enabled(conn, theirs, False),
                       lambda: move_rule(conn, theirs, -1), lambda: set_enabled(conn, "not-an-id", False)):
            with pytest.raises(RuleError, match="this rule no longer exists"):
                change()
        with pytest.raises(RuleError, match="this rule no longer exists"):  # editing it, too
            save_rule(conn, Rule(name="Theirs", conditions=LIDL, actions=[{"type": "exclude"}], id=theirs))
    assert _rules(db, shopper) == [("Mine", 20, True)]
    assert _rules(db, other) == [("Theirs", 100, True)]


def test_move_up_and_down_between_neighbours_or_renumbered(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        ids = {name: save_rule(conn, Rule(name=name, conditions=LIDL, actions=[{"type": "exclude"}],
                                          priority=p)) for name, p in (("A", 10), ("B", 20), ("C", 30))}
        assert move_rule(conn, ids["C"], -1) == 19  # just before B, which keeps its priority
        assert move_rule(conn, ids["C"], -1) == 9
        assert move_rule(conn, ids["C"], -1) is None  # already first
        assert move_rule(conn, ids["C"], 1) == 11  # just after A
        assert move_rule(conn, ids["B"], 1) is None  # already last
    assert _rules(db, shopper) == [("A", 10, True), ("C", 11, True), ("B", 20, True)]
    with db.user_session(shopper) as conn:  # equal priorities: renumbered in the new order
        for rule_id in ids.values():
            set_priority(conn, rule_id, 0)
        assert move_rule(conn, ids["C"], -1) == 20
    assert _rules(db, shopper) == [("A", 10, True), ("C", 20, True), ("B", 30, True)]


def test_editing_keeps_the_id_and_allows_its_own_name(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        groceries, household = _cat(conn, "Groceries"), _cat(conn, "Household")
        rule_id = save_rule(conn, Rule(name="Lidl", conditions=LIDL, actions=_files(groceries)))
        save_rule(conn, Rule(name="Bakery", conditions=LIDL, actions=[{"type": "exclude"}]))
        edited = replace(next(r for r in list_rules(conn) if r.id == rule_id),
                         name=" lidl ", actions=_files(household))
        assert save_rule(conn, edited) == rule_id
        with pytest.raises(RuleError, match="you already have a rule named 'Bakery'"):
            save_rule(conn, replace(edited, name="BAKERY"))
        stored = [(r.id, r.name, r.actions) for r in list_rules(conn) if r.id == rule_id]
    assert stored == [(rule_id, "lidl", _files(household))]


def test_an_always_do_this_rule_can_be_edited_and_disabled(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        tx = conn.execute("select id from transactions where description like 'LIDL%%' limit 1").fetchone()[0]
        made = rule_from_correction(conn, tx, _cat(conn, "Groceries"), "Food › Groceries")
        rule = next(r for r in list_rules(conn) if r.id == made.id)
        rule.actions.append({"type": "add_tag", "value": "weekly shop"})
        assert save_rule(conn, rule) == made.id
        set_enabled(conn, made.id, False)
        assert [(r.id, r.enabled, r.actions[-1]) for r in list_rules(conn)] == [
            (made.id, False, {"type": "add_tag", "value": "weekly shop"})]


# --- the Rules tab --------------------------------------------------------------------------------

def _table(at: AppTest):
    return next(d for d in at.dataframe if "rule" in d.value.columns)


def _edit_list(at: AppTest, row: int, **change) -> None:
    """What the list's data editor sends when the user changes a cell of ``row``."""
    version = at.session_state["rules_table_version"]
    at.session_state[f"rules_table_{version}"] = {"edited_rows": {row: change}, "added_rows": [],
                                                  "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception


def _texts(elements) -> str:
    return " ".join(e.value for e in elements)


def test_rules_tab_toggle_and_priority_cells(open_page, db, shopper) -> None:
    with db.user_session(shopper) as conn:
        groceries = _cat(conn, "Groceries")
        save_rule(conn, Rule(name="Lidl", conditions=LIDL, actions=_files(groceries), priority=50))
        save_rule(conn, Rule(name="Tag", conditions=LIDL, actions=[{"type": "add_tag", "value": "x"}]))
    at = open_page(shopper, "transactions")
    table = _table(at)
    assert list(table.value["name"]) == ["Lidl", "Tag"] and list(table.value["enabled"]) == [True, True]
    _edit_list(at, 0, enabled=False)
    assert "Rule “Lidl” disabled" in _texts(at.success)
    assert _rules(db, shopper) == [("Lidl", 50, False), ("Tag", 100, True)]
    assert list(_table(at).value["enabled"]) == [False, True]
    assert "50 · Lidl (disabled)" in at.selectbox(key="rule_pick").options
    at.selectbox(key="rule_pick").select("50 · Lidl (disabled)")
    at.button(key="rule_apply").click().run()
    assert "This rule cannot be applied: it is disabled; enable it first" in _texts(at.error)
    # a new priority reorders the list
    _edit_list(at, 0, priority=500)
    assert "Rule “Lidl” now has priority 500." in _texts(at.success)
    assert list(_table(at).value["name"]) == ["Tag", "Lidl"]
    _edit_list(at, 0, priority=MAX_PRIORITY + 1)  # beyond the cell's bounds: refused with a message
    assert "Rule “Tag” was not changed: Priority must be a whole number" in _texts(at.error)
    _edit_list(at, 1, enabled=True)
    assert _rules(db, shopper) == [("Tag", 100, True), ("Lidl", 500, True)]


def test_rules_tab_move_up_and_down(open_page, db, shopper) -> None:
    with db.user_session(shopper) as conn:
        for name, priority in (("A", 10), ("B", 20), ("C", 30)):
            save_rule(conn, Rule(name=name, conditions=LIDL, actions=[{"type": "exclude"}],
                                 priority=priority))
    at = open_page(shopper, "transactions")
    at.selectbox(key="rule_pick").select("30 · C")
    at.button(key="rule_up").click().run()
    assert not at.exception, at.exception
    assert "Moved rule “C” up: it now has priority 19." in _texts(at.success)
    assert list(_table(at).value["name"]) == ["A", "C", "B"]
    assert at.selectbox(key="rule_pick").value == "19 · C"  # still picked, to move it again
    at.button(key="rule_up").click().run()
    at.button(key="rule_up").click().run()
    assert "Rule “C” already runs first." in _texts(at.success)
    at.button(key="rule_down").click().run()
    assert [r[0] for r in _rules(db, shopper)] == ["A", "C", "B"]


def test_rules_tab_edit_preview_and_save_as_the_same_rule(open_page, db, shopper) -> None:
    with db.user_session(shopper) as conn:
        groceries = _cat(conn, "Groceries")
        rule_id = save_rule(conn, Rule(name="Lidl", conditions=LIDL, actions=_files(groceries),
                                       priority=40))
        save_rule(conn, Rule(name="Other", conditions=LIDL, actions=[{"type": "exclude"}], priority=60))
    at = open_page(shopper, "transactions")
    at.selectbox(key="rule_pick").select("40 · Lidl")
    at.button(key="rule_edit").click().run()
    assert not at.exception, at.exception
    assert "Edit rule “Lidl”" in _texts(at.subheader)
    assert at.text_input(key="rule_name").value == "Lidl"
    assert at.number_input(key="rule_priority").value == 40
    assert at.selectbox(key="rule_field_1").value == "description"
    assert at.selectbox(key="rule_op_1").value == "contains"
    assert at.text_input(key="rule_value_1").value == "LIDL"
    assert at.selectbox(key="rule_category").value == "Food › Groceries"
    assert at.button(key="rule_save").label == "Save changes"
    at.selectbox(key="rule_category").select("Shopping › Household")
    at.text_input(key="rule_tag").input("weekly")
    at.button(key="rule_preview").click().run()
    assert "This rule matches 3 transaction(s) and would change 3." in _texts(at.info)
    at.text_input(key="rule_name").input("Other")  # another rule's name is refused
    at.button(key="rule_save").click().run()
    assert "you already have a rule named 'Other'" in _texts(at.error)
    at.text_input(key="rule_name").input("Lidl")  # its own name is fine
    at.checkbox(key="rule_apply_now").uncheck()
    at.button(key="rule_save").click().run()
    assert not at.exception, at.exception
    assert "Rule “Lidl” updated." in _texts(at.success)
    with db.user_session(shopper) as conn:
        household = _cat(conn, "Household")
        rules = [(r.id, r.name, r.priority, r.actions) for r in list_rules(conn)]
    assert rules[0] == (rule_id, "Lidl", 40, [*_files(household), {"type": "add_tag", "value": "weekly"}])
    assert len(rules) == 2
    # the builder is a new rule's again
    assert "New rule" in _texts(at.subheader) and at.text_input(key="rule_name").value == ""


def test_rules_tab_edits_an_always_do_this_rule_and_keeps_it_disabled(open_page, db, shopper) -> None:
    with db.user_session(shopper) as conn:
        tx = conn.execute("select id from transactions where description like 'LIDL%%' limit 1").fetchone()[0]
        made = rule_from_correction(conn, tx, _cat(conn, "Groceries"), "Food › Groceries")
        set_enabled(conn, made.id, False)
    at = open_page(shopper, "transactions")
    at.button(key="rule_edit").click().run()
    assert at.selectbox(key="rule_field_1").value == "merchant"
    assert at.selectbox(key="rule_op_1").value == "equals"
    assert at.text_input(key="rule_value_1").value == "LIDL DANKT"
    assert "it stays disabled" in " ".join(c.value for c in at.caption)
    at.selectbox(key="rule_category").select("Shopping › Household")
    at.button(key="rule_save").click().run()  # "also apply" is ticked, but the rule is off
    assert "Rule “LIDL DANKT → Food › Groceries” updated; it is disabled, so it was not applied." \
        in _texts(at.success)
    with db.user_session(shopper) as conn:
        household = _cat(conn, "Household")
        assert [(r.id, r.enabled, r.actions) for r in list_rules(conn)] == [
            (made.id, False, _files(household))]
        assert conn.execute("select count(*) from transactions where category_id = %s",
                            [household]).fetchone()[0] == 0


def test_rules_tab_cancel_editing_and_a_rule_the_builder_cannot_hold(open_page, db, shopper) -> None:
    with db.user_session(shopper) as conn:
        save_rule(conn, Rule(name="Many", conditions=LIDL * 4, actions=[{"type": "exclude"}]))
        save_rule(conn, Rule(name="Lidl", conditions=LIDL, actions=[{"type": "exclude"}], priority=5))
    at = open_page(shopper, "transactions")
    at.selectbox(key="rule_pick").select("100 · Many")
    at.button(key="rule_edit").click().run()
    assert "Rule “Many” cannot be edited here: it has 4 conditions; the builder holds 3." in _texts(at.error)
    assert "New rule" in _texts(at.subheader)
    at.selectbox(key="rule_pick").select("5 · Lidl")
    at.button(key="rule_edit").click().run()
    assert at.checkbox(key="rule_exclude").value is True
    at.button(key="rule_cancel_edit").click().run()
    assert "New rule" in _texts(at.subheader) and at.text_input(key="rule_name").value == ""
    assert at.checkbox(key="rule_exclude").value is False


def test_rules_tab_a_cell_changes_the_rule_the_user_saw(open_page, db, shopper) -> None:
    """Rules changed meanwhile (in another browser tab) move the rows; the change made in the
    list still goes to the rule that was on that row, and a rule deleted meanwhile is said so."""
    with db.user_session(shopper) as conn:
        save_rule(conn, Rule(name="A", conditions=LIDL, actions=[{"type": "exclude"}], priority=10))
        b = save_rule(conn, Rule(name="B", conditions=LIDL, actions=[{"type": "exclude"}], priority=20))
    at = open_page(shopper, "transactions")
    with db.user_session(shopper) as conn:
        set_priority(conn, b, 5)  # B is now on the first row
    _edit_list(at, 0, enabled=False)  # the user saw A there
    assert "Rule “A” disabled" in _texts(at.success)
    assert _rules(db, shopper) == [("B", 5, True), ("A", 10, False)]
    with db.user_session(shopper) as conn:  # B goes, C comes: as many rows as the user sees
        conn.execute("delete from rules where id = %s", [b])
        save_rule(conn, Rule(name="C", conditions=LIDL, actions=[{"type": "exclude"}], priority=30))
    _edit_list(at, 0, priority=50)  # the user saw B there
    assert "A rule you changed no longer exists." in _texts(at.error)
    assert _rules(db, shopper) == [("A", 10, False), ("C", 30, True)]


def test_rules_tab_edit_round_trips_amount_date_and_account(open_page, db, shopper) -> None:
    with db.user_session(shopper) as conn:
        account = conn.execute("select id from accounts where name = 'Card'").fetchone()[0]
        conditions = [{"field": "amount", "op": "between", "value": {"min": "-13", "max": "-11"}},
                      {"field": "date", "op": "between", "value": {"from": "2017-10-01", "to": "2017-10-02"}},
                      {"field": "account", "op": "is", "value": [str(account)]}]
        rule_id = save_rule(conn, Rule(name="Two", conditions=conditions, actions=[
            {"type": "mark_transfer"}, {"type": "set_merchant", "value": "Lidl"}], match_mode="any"))
        before = preview_rule(conn, next(iter(list_rules(conn))))
    at = open_page(shopper, "transactions")
    at.button(key="rule_edit").click().run()
    assert at.radio(key="rule_mode").value == "any"
    assert (at.number_input(key="rule_min_1").value, at.number_input(key="rule_max_1").value) == (-13, -11)
    assert str(at.date_input(key="rule_from_2").value) == "2017-10-01"
    assert at.selectbox(key="rule_account_3").value == "Card"
    assert at.checkbox(key="rule_transfer").value is True
    assert at.text_input(key="rule_merchant").value == "Lidl"
    at.radio(key="rule_mode").set_value("all")
    at.checkbox(key="rule_apply_now").uncheck()
    at.button(key="rule_save").click().run()
    assert "Rule “Two” updated." in _texts(at.success)
    with db.user_session(shopper) as conn:
        (rule,) = list_rules(conn)
        after = preview_rule(conn, replace(rule, match_mode="any"))
    assert rule.id == rule_id and rule.match_mode == "all"
    assert rule.conditions == [
        {"field": "amount", "op": "between", "value": {"min": "-13.0", "max": "-11.0"}},
        {"field": "date", "op": "between", "value": {"from": "2017-10-01", "to": "2017-10-02"}},
        {"field": "account", "op": "is", "value": str(account)}]
    assert (after.matched, after.changed) == (before.matched, before.changed) == (4, 4)

"""Rule validation found in QA: the priority range, preview without a name, unique rule names
(case-insensitive, per user, under RLS), unique picker labels, and the Rules tab showing a
message (never a traceback) with both Preview and Save always on screen."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from core.rules import MAX_PRIORITY, MIN_PRIORITY, Rule, RuleError, check_priority, pick_labels
from core.rules_apply import preview_rule
from core.rules_store import delete_rule, list_rules, save_rule

BOI = "bank2ynab/test/test-data/test_BOI_TransactionExport.csv"
NETFLIX = [{"field": "description", "op": "contains", "value": "netflix"}]
TAG = [{"type": "add_tag", "value": "tv"}]


def _rule(name: str = "Netflix", **kw) -> Rule:
    return Rule(name=name, conditions=kw.pop("conditions", NETFLIX), actions=kw.pop("actions", TAG), **kw)


# --- bug 1: priority ---------------------------------------------------------------------------

@pytest.mark.parametrize("value", [MIN_PRIORITY, 100, MAX_PRIORITY, 50.0, "20"])
def test_priority_in_range_is_accepted(value) -> None:
    assert check_priority(value) == int(value)


@pytest.mark.parametrize(("value", "message"), [
    (99999999999, "Priority must be a whole number from 0 to 1,000,000; got 99999999999"),
    (MAX_PRIORITY + 1, "from 0 to 1,000,000; got 1000001"),
    (-1, "from 0 to 1,000,000; got -1"),
    (2.5, "got 2.5"),
    ("high", "got 'high'"),
    (None, "got None"),
    (True, "got True"),
    (float("nan"), "got nan"),
])
def test_priority_out_of_range_or_not_a_whole_number(value, message: str) -> None:
    with pytest.raises(RuleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_priority(value)


def test_save_rule_refuses_a_huge_priority_with_a_message(db, make_user) -> None:
    user = make_user(name="rules-prio").user
    with db.user_session(user) as conn:
        with pytest.raises(RuleError, match="^Priority must be "):
            save_rule(conn, _rule(priority=99999999999))
        with pytest.raises(RuleError, match="^Priority must be "):
            preview_rule(conn, _rule(priority=-5))
        # the transaction is still usable: nothing reached the database
        rule_id = save_rule(conn, _rule(priority=MAX_PRIORITY))
        assert [(r.id, r.priority) for r in list_rules(conn)] == [(rule_id, MAX_PRIORITY)]


def test_stored_rules_with_an_old_negative_priority_still_run(db, make_user) -> None:
    """The range is checked on save only: a rule saved before it existed keeps working."""
    from core.rules import compile_rules

    user = make_user(name="rules-legacy-prio").user
    with db.user_session(user) as conn:
        conn.execute("insert into public.rules (name, priority, conditions, actions) values"
                     " ('old', -10, %s, %s)", [json.dumps(NETFLIX), json.dumps(TAG)])
        assert [c.rule.priority for c in compile_rules(list_rules(conn))] == [-10]


# --- bug 2: preview without a name ---------------------------------------------------------------

def test_preview_needs_no_name_but_save_does(db, make_user, import_file) -> None:
    user = make_user(name="rules-noname").user
    import_file(user, BOI, "BOI")
    with db.user_session(user) as conn:
        preview = preview_rule(conn, _rule(name=""))
        assert (preview.matched, preview.changed) == (1, 1)
        with pytest.raises(RuleError, match="condition 1: invalid regular expression"):
            preview_rule(conn, _rule(name="", conditions=[
                {"field": "description", "op": "regex", "value": "[unclosed"}]))
        with pytest.raises(RuleError, match="^Rule name can't be empty$"):
            save_rule(conn, _rule(name="  "))
        with pytest.raises(RuleError, match=r"^Rule name can't be longer than 120 characters \(121 given\)$"):
            save_rule(conn, _rule(name="x" * 121))


# --- bug 3: unique names, unique picker labels ----------------------------------------------------

def test_a_second_rule_with_the_same_name_is_refused(db, make_user) -> None:
    user, other = make_user(name="rules-dup").user, make_user(name="rules-dup2").user
    with db.user_session(user) as conn:
        first = save_rule(conn, _rule("Netflix"))
        for name in ("Netflix", " netflix ", "NETFLIX"):
            with pytest.raises(RuleError, match=f"^Rule name '{name.strip()}' is taken: you already have a"
                                                " rule named 'Netflix'; choose another name"):
                save_rule(conn, _rule(name))
        assert [r.id for r in list_rules(conn)] == [first]
        # editing the rule itself keeps its name; renaming onto another rule's name is refused
        assert save_rule(conn, _rule("netflix", id=first, priority=5)) == first
        second = save_rule(conn, _rule("Spotify"))
        with pytest.raises(RuleError, match="already have a rule named 'netflix'"):
            save_rule(conn, _rule("NetFlix", id=second))
        # after deleting, the name is free again
        assert delete_rule(conn, first)
        save_rule(conn, _rule("Netflix"))
    with db.user_session(other) as conn:  # another user's names do not count (RLS)
        save_rule(conn, _rule("Netflix"))
        assert [r.name for r in list_rules(conn)] == ["Netflix"]


def test_pick_labels_are_unique_even_for_identical_rules() -> None:
    import uuid

    a, b, c = (_rule("Same", id=uuid.uuid4()) for _ in range(3))
    d = _rule("Other", id=uuid.uuid4(), priority=5)
    labels = pick_labels([d, a, b, c])
    assert len(labels) == 4 and list(labels.values()) == [d, a, b, c]
    assert next(iter(labels)) == "5 · Other"
    assert all(label.startswith("100 · Same · #") for label in list(labels)[1:])


# --- the Rules tab through AppTest ------------------------------------------------------------------


def _fill(at: AppTest, name: str, pattern: str = "NETFLIX") -> None:
    at.text_input(key="rule_name").input(name)
    at.selectbox(key="rule_field_1").select("description").run()
    at.selectbox(key="rule_op_1").select("regex")
    at.text_input(key="rule_value_1").input(pattern)
    at.text_input(key="rule_tag").input("tv")


def _keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


def _rule_names(db, user) -> list[str]:
    with db.user_session(user) as conn:
        return [r.name for r in list_rules(conn)]


def test_page_huge_priority_never_reaches_the_database(open_page, db, make_user) -> None:
    """The widget is bounded (the browser refuses 99999999999; a value outside the bounds that
    reaches the server anyway falls back to the default), and core refuses it with a message
    (see test_save_rule_refuses_a_huge_priority_with_a_message): no traceback either way."""
    user = make_user(name="rules-page-prio").user
    at = open_page(user, "transactions")
    widget = at.number_input(key="rule_priority")
    assert (widget.min, widget.max) == (MIN_PRIORITY, MAX_PRIORITY)
    _fill(at, "Big")
    at.number_input(key="rule_priority").set_value(99999999999)
    at.button(key="rule_save").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    with db.user_session(user) as conn:
        assert [(r.name, r.priority) for r in list_rules(conn)] == [("Big", 100)]
    at.number_input(key="rule_priority").set_value(MAX_PRIORITY)
    at.text_input(key="rule_name").input("Last")
    at.button(key="rule_save").click().run()
    assert not at.exception and not at.error
    with db.user_session(user) as conn:
        assert [(r.name, r.priority) for r in list_rules(conn)] == [("Big", 100), ("Last", MAX_PRIORITY)]


def test_page_failed_preview_keeps_both_buttons_and_says_previewed(open_page, db, make_user,
                                                                   import_file) -> None:
    user = make_user(name="rules-page-preview").user
    import_file(user, BOI, "BOI")
    at = open_page(user, "transactions")
    _fill(at, "", "[unclosed")  # no name: preview must not ask for one
    at.button(key="rule_preview").click().run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert any(e.startswith("This rule cannot be previewed: condition 1: invalid regular expression")
               for e in errors), errors
    assert not any("cannot be saved" in e for e in errors)
    assert {"rule_preview", "rule_save"} <= _keys(at)
    at.text_input(key="rule_value_1").input("NETFLIX")
    at.button(key="rule_preview").click().run()
    assert not at.error and any("matches 1 transaction(s) and would change 1" in i.value for i in at.info)
    assert {"rule_preview", "rule_save"} <= _keys(at)
    at.button(key="rule_save").click().run()
    assert "This rule cannot be saved: Rule name can't be empty" in [e.value for e in at.error]


def test_page_saving_twice_is_refused_and_every_rule_can_be_picked(open_page, db, make_user) -> None:
    user = make_user(name="rules-page-dup").user
    at = open_page(user, "transactions")
    _fill(at, "Netflix")
    at.checkbox(key="rule_apply_now").uncheck()
    at.button(key="rule_save").click().run()
    assert any("Rule “Netflix” saved" in s.value for s in at.success)
    at.button(key="rule_save").click().run()  # the builder still holds the same rule
    assert not at.exception, at.exception
    assert any("cannot be saved: Rule name 'Netflix' is taken: you already have a rule named 'Netflix'"
               in e.value for e in at.error)
    assert _rule_names(db, user) == ["Netflix"]
    with db.user_session(user) as conn:  # identical rules saved before names were checked
        for _ in range(2):
            conn.execute("insert into public.rules (name, conditions, actions) values ('Netflix', %s, %s)",
                         [json.dumps(NETFLIX), json.dumps(TAG)])
    at.run()
    options = at.selectbox(key="rule_pick").options
    assert len(options) == len(set(options)) == 3
    for left in (2, 1, 0):  # the last one each time: each can be picked and deleted
        label = at.selectbox(key="rule_pick").options[-1]
        at.selectbox(key="rule_pick").select(label)
        at.button(key="rule_delete").click().run()
        assert not at.exception, at.exception
        with db.user_session(user) as conn:
            ids = [str(r.id) for r in list_rules(conn)]
        assert len(ids) == left
        if "#" in label:
            assert not any(i.startswith(label.rsplit("#", 1)[1]) for i in ids)

"""Rules: every condition and action, priorities, bad regexes, and rules in the database
(run on import, preview count, retroactive apply that never overrides the user)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from core.corrections import correct_category
from core.rules import RowView, Rule, RuleError, check_regex, compile_rule, compile_rules, evaluate
from core.rules_apply import apply_all_rules, apply_rule, preview_rule
from core.rules_store import list_rules, save_rule

BOI = "bank2ynab/test/test-data/test_BOI_TransactionExport.csv"
ROW = RowView("POS18SEP NETFLIX.COM", "NETFLIX.COM", "Netflix International", Decimal("-9.99"), "acc-1",
              dt.date(2017, 9, 20))


def _rule(conditions, actions=None, **kw) -> Rule:
    return Rule(name=kw.pop("name", "r"), conditions=conditions,
                actions=actions or [{"type": "add_tag", "value": "t"}], **kw)


def _matches(cond: dict) -> bool:
    return bool(evaluate([compile_rule(_rule([cond]))], ROW).matched)


@pytest.mark.parametrize(("cond", "expected"), [
    ({"field": "description", "op": "contains", "value": "netflix"}, True),
    ({"field": "description", "op": "contains", "value": "spotify"}, False),
    ({"field": "description", "op": "equals", "value": "pos18sep netflix.com"}, True),
    ({"field": "description", "op": "equals", "value": "netflix.com"}, False),
    ({"field": "description", "op": "regex", "value": r"^POS\d{2}[A-Z]{3} NETFLIX"}, True),
    ({"field": "description", "op": "regex", "value": r"^NETFLIX"}, False),
    ({"field": "merchant", "op": "contains", "value": "flix"}, True),
    ({"field": "merchant", "op": "equals", "value": "netflix international"}, True),  # the payee
    ({"field": "merchant", "op": "equals", "value": "netflix"}, False),
    ({"field": "merchant", "op": "regex", "value": r"\.com$"}, True),
    ({"field": "amount", "op": "between", "value": {"min": "-10", "max": "-9"}}, True),
    ({"field": "amount", "op": "between", "value": {"min": "0"}}, False),
    ({"field": "amount", "op": "between", "value": {"max": "-9.99"}}, True),
    ({"field": "account", "op": "is", "value": "acc-1"}, True),
    ({"field": "account", "op": "is", "value": ["acc-2", "acc-3"]}, False),
    ({"field": "date", "op": "between", "value": {"from": "2017-09-01", "to": "2017-09-30"}}, True),
    ({"field": "date", "op": "between", "value": {"to": "2017-09-19"}}, False),
])
def test_each_condition(cond: dict, expected: bool) -> None:
    assert _matches(cond) is expected


def test_all_and_any() -> None:
    hit = {"field": "description", "op": "contains", "value": "netflix"}
    miss = {"field": "amount", "op": "between", "value": {"min": "0"}}
    assert not evaluate([compile_rule(_rule([hit, miss], match_mode="all"))], ROW).matched
    assert evaluate([compile_rule(_rule([hit, miss], match_mode="any"))], ROW).matched


def test_each_action_and_priority_order() -> None:
    cond = [{"field": "description", "op": "contains", "value": "netflix"}]
    rules = compile_rules([
        _rule(cond, [{"type": "set_category", "category_id": "late"}, {"type": "add_tag", "value": "b"},
                     {"type": "exclude"}], name="late", priority=200),
        _rule(cond, [{"type": "set_category", "category_id": "early"},
                     {"type": "set_merchant", "value": "Netflix"}, {"type": "add_tag", "value": "a"},
                     {"type": "mark_transfer"}], name="early", priority=10),
        _rule(cond, [{"type": "set_category", "category_id": "off"}], name="off", priority=1, enabled=False),
    ])
    out = evaluate(rules, ROW)
    assert out.category_id == "early" and out.category_by.rule.name == "early"
    assert out.merchant == "Netflix"
    assert [t for t, _ in out.tags] == ["a", "b"]
    assert out.transfer_by and out.exclude_by and len(out.matched) == 2


@pytest.mark.parametrize(("pattern", "message"), [
    ("NETFLIX(", "invalid regular expression 'NETFLIX(': missing ), unterminated subpattern at position 7"),
    ("[a-", "invalid regular expression '[a-': unterminated character set at position 0"),
    ("(a+)+$", "repeats a repetition"),
    (r"(\w*\s?)*x", "repeats a repetition"),
    ("x" * 201, "too long (201 characters, at most 200)"),
    ("", "is empty"),
])
def test_bad_regex_is_rejected_with_a_message(pattern: str, message: str) -> None:
    with pytest.raises(RuleError) as exc:
        compile_rule(_rule([{"field": "description", "op": "regex", "value": pattern}]))
    assert message in str(exc.value)


@pytest.mark.parametrize(("pattern", "text"), [
    (r"(?:ab|cd)*x", "abcdx"), (r"\d{3,}", "ref 1234"), (r"^(POS|ATM)\d{2}", "atm08sep"),
    (r"(ab){2,5}", "xababx"),
])
def test_good_regexes_pass(pattern: str, text: str) -> None:
    assert check_regex(pattern).search(text) is not None


@pytest.mark.parametrize(("rule", "message"), [
    (Rule(name="", conditions=[{"field": "description", "op": "contains", "value": "x"}],
          actions=[{"type": "exclude"}]), "Rule name can't be empty"),
    (Rule(name="r", conditions=[], actions=[{"type": "exclude"}]), "at least one condition"),
    (Rule(name="r", conditions=[{"field": "description", "op": "contains", "value": "x"}], actions=[]),
     "at least one action"),
    (_rule([{"field": "payee", "op": "contains", "value": "x"}]), "unknown field 'payee'"),
    (_rule([{"field": "amount", "op": "contains", "value": "x"}]), "amount supports between"),
    (_rule([{"field": "amount", "op": "between", "value": {"min": "abc"}}]), "expected a number"),
    (_rule([{"field": "amount", "op": "between", "value": {"min": "5", "max": "1"}}]), "above the maximum"),
    (_rule([{"field": "date", "op": "between", "value": {"from": "31/12/2024"}}]), "expected a date"),
    (_rule([{"field": "description", "op": "contains", "value": "x"}], [{"type": "explode"}]),
     "unknown action"),
    (_rule([{"field": "description", "op": "contains", "value": "x"}], [{"type": "set_category"}]),
     "choose a category"),
])
def test_invalid_rules_say_what_to_fix(rule: Rule, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        compile_rule(rule)


def _category(conn, name: str):
    return conn.execute("select id from categories where name = %s", [name]).fetchone()[0]


def test_rules_run_on_import_and_others_stay_for_the_categorizer(db, make_user, import_file) -> None:
    user = make_user(name="rules-import").user
    with db.user_session(user) as conn:
        streaming = _category(conn, "Streaming")
        save_rule(conn, Rule(name="Netflix", conditions=[
            {"field": "description", "op": "contains", "value": "netflix"}], actions=[
            {"type": "set_category", "category_id": str(streaming)},
            {"type": "add_tag", "value": "subscription"}, {"type": "set_merchant", "value": "Netflix"}]))
        with pytest.raises(RuleError, match="invalid regular expression"):
            save_rule(conn, _rule([{"field": "description", "op": "regex", "value": "(unclosed"}]))
        assert len(list_rules(conn)) == 1
    summary = import_file(user, BOI, "BOI")
    assert summary.n_rule_matches == 1
    with db.user_session(user) as conn:
        rows = conn.execute("select description, category_id, category_source, category_explanation, tags,"
                            " merchant, needs_review from transactions").fetchall()
    netflix = [r for r in rows if "NETFLIX" in r[0]]
    assert netflix == [("POS18SEP NETFLIX.COM", streaming, "rule", "Rule: Netflix", ["subscription"],
                        "Netflix", False)]
    others = [r for r in rows if "NETFLIX" not in r[0]]
    assert len(others) == 26 and all(r[1] is None and r[2] is None and not r[6] for r in others)


def test_preview_count_equals_retroactive_apply_and_respects_the_user(db, make_user, import_file,
                                                                       statements) -> None:
    user = make_user(name="rules-retro").user
    import_file(user, BOI, "BOI")
    rows = list(csv.reader(io.StringIO((statements / BOI).read_text("utf-8"))))[1:]
    expected = sum("pos" in r[1].lower() for r in rows)
    assert expected == 12
    with db.user_session(user) as conn:
        groceries, fuel = _category(conn, "Groceries"), _category(conn, "Fuel")
        rule = Rule(name="Card payments",
                    conditions=[{"field": "description", "op": "contains", "value": "POS"}],
                    actions=[{"type": "set_category", "category_id": str(groceries)},
                             {"type": "add_tag", "value": "card"}])
        preview = preview_rule(conn, rule)  # not saved yet
        assert (preview.matched, preview.changed) == (expected, expected)
        statoil = conn.execute("select id from transactions"
                               " where description like 'POS01SEP STATOIL%%'").fetchone()[0]
        correct_category(conn, statoil, fuel)
        rule.id = save_rule(conn, rule)
        assert preview_rule(conn, rule).changed == expected  # the tag still changes the user's row
        assert apply_rule(conn, rule.id) == expected
        assert preview_rule(conn, rule).changed == 0
        cats = dict(conn.execute("select description, category_id from transactions"
                                 " where description like 'POS%%'").fetchall())
        tagged = conn.execute("select count(*) from transactions where 'card' = any(tags)").fetchone()[0]
    assert cats.pop("POS01SEP STATOIL") == fuel  # the user's correction wins over the rule
    assert set(cats.values()) == {groceries} and tagged == expected


def test_retroactive_exclude_and_transfer_actions(db, make_user, import_file) -> None:
    user = make_user(name="rules-flags").user
    import_file(user, BOI, "BOI")
    with db.user_session(user) as conn:
        save_rule(conn, _rule([{"field": "description", "op": "regex", "value": r"^\s*CTO$"}],
                              [{"type": "mark_transfer"}], name="CTO", priority=5))
        save_rule(conn, _rule([{"field": "amount", "op": "between", "value": {"min": "-1", "max": "0"}}],
                              [{"type": "exclude"}], name="tiny"))
        assert apply_all_rules(conn) == 5
        flags = conn.execute("select description, amount, is_transfer, excluded from transactions"
                             " where is_transfer or excluded order by amount").fetchall()
    assert [(f[1], f[2], f[3]) for f in flags] == [
        (Decimal("-0.08"), False, True), (Decimal("845.92"), True, False), (Decimal("845.92"), True, False),
        (Decimal("845.92"), True, False), (Decimal("845.93"), True, False)]

"""A transaction is filed, split or set by a rule under a leaf category only ("Housing ›
Utilities", never "Housing"): the categorizer learns and predicts leaves, so a row filed under
a group would be re-predicted at its next run. The pickers offer leaves (the table's filter
still offers groups, which include their leaves) and core refuses a group on every path."""

from __future__ import annotations

import json

import pytest

from core import review
from core.categories import category_options, leaf_options
from core.correction_rules import rule_from_correction
from core.corrections import CorrectionError, apply_to_similar, correct_category, split_transaction
from core.rules import Rule, RuleError
from core.rules_apply import preview_rule
from core.rules_store import save_rule

GROUP = r"'Housing' is a group of categories; choose one of its categories, such as Housing › Home Insurance"


@pytest.fixture
def renter(make_user, import_bytes):
    user = make_user(name="leaves").user
    rows = [f"0{d}/10/2017,CITY WATER WORKS,{20 + d}.00,," for d in range(1, 4)]
    data = ("\n".join(["Date,Details,Debit,Credit,Balance", *rows]) + "\n").encode()
    assert import_bytes(user, data, "water.csv", "Giro").n_imported == 3
    return user


def _ids(conn) -> tuple[list, object, object]:
    txs = [r[0] for r in conn.execute("select id from transactions order by date")]
    housing = conn.execute("select id from categories where name = 'Housing' and parent_id is null"
                           ).fetchone()[0]
    utilities = conn.execute("select id from categories where name = 'Utilities'").fetchone()[0]
    return txs, housing, utilities


def test_core_refuses_a_group_on_every_path(db, renter) -> None:
    with db.user_session(renter) as conn:
        txs, housing, utilities = _ids(conn)
        with pytest.raises(CorrectionError, match=GROUP):
            correct_category(conn, txs[0], housing)
        with pytest.raises(CorrectionError, match=GROUP):
            apply_to_similar(conn, txs[0], housing)
        with pytest.raises(CorrectionError, match="^part 1: " + GROUP):
            split_transaction(conn, txs[0], [(housing, "-11.00", ""), (utilities, "-10.00", "")])
        with pytest.raises(CorrectionError, match=GROUP):
            rule_from_correction(conn, txs[0], housing, "Housing")
        rule = Rule(name="Water", actions=[{"type": "set_category", "category_id": str(housing)}],
                    conditions=[{"field": "description", "op": "contains", "value": "WATER"}])
        with pytest.raises(RuleError, match=GROUP):
            save_rule(conn, rule)
        with pytest.raises(RuleError, match=GROUP):
            preview_rule(conn, rule)
        with pytest.raises(LookupError):
            review.decide(conn, txs[0], "Housing")
        stored = conn.execute("select count(*) from transactions where category_id = %s",
                              [housing]).fetchone()[0]
        rules = conn.execute("select count(*) from rules").fetchone()[0]
        # a leaf is fine everywhere
        assert correct_category(conn, txs[0], utilities).category_id == utilities
        assert save_rule(conn, Rule(name="Water", conditions=rule.conditions, actions=[
            {"type": "set_category", "category_id": str(utilities)}]))
        groups = {label for _, label in category_options(conn)} - {label for _, label in leaf_options(conn)}
        leaves = [label for _, label in leaf_options(conn)]
    assert (stored, rules) == (0, 0)
    assert "Housing" in groups and "Food" in groups and all(" › " in label for label in leaves)
    assert "Housing › Utilities" in leaves and "Housing" not in leaves


def test_pickers_offer_only_leaves_and_the_filter_offers_groups(open_page, db, renter) -> None:
    at = open_page(renter, "transactions")
    editor = json.loads(at.dataframe[0].proto.columns)["category"]["type_config"]["options"]
    assert "Housing › Utilities" in editor and "—" in editor
    assert not {"Housing", "Food", "Income"} & set(editor)
    rule_options = at.selectbox(key="rule_category").options
    assert "Housing › Utilities" in rule_options and "Housing" not in rule_options
    assert "Housing" in at.multiselect(key="tx_categories").options  # a group filters its leaves
    # the Row details split editor too
    pick = at.selectbox(key="tx_pick")
    pick.select(next(o for o in pick.options if "CITY WATER" in o)).run()
    split = next(d for d in at.dataframe if "memo" in d.value.columns)
    options = json.loads(split.proto.columns)["category"]["type_config"]["options"]
    assert "Housing › Utilities" in options and "Housing" not in options


def test_a_group_sent_by_the_editor_is_refused_with_a_message(open_page, db, renter) -> None:
    at = open_page(renter, "transactions")
    at.session_state["tx_editor_0"] = {"edited_rows": {0: {"category": "Housing",
                                                           "notes": "water bill"}},
                                       "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception
    assert any("'Housing' is a group of categories" in e.value for e in at.error)
    with db.user_session(renter) as conn:
        filed = conn.execute("select count(*) from transactions where category_source = 'user'"
                             ).fetchone()[0]
    assert filed == 0
    assert "water bill" in list(at.dataframe[0].value["notes"])  # the note was still saved

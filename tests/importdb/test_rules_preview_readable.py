"""The rule Preview's sample is readable: date, description, amount, then for each thing the
rule does the current and the new value (categories as "Group › Leaf"), never raw ids or
columns of None for what the rule does not touch. In the service and on the Rules tab."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from core.rules import Rule
from core.rules_apply import preview_rule

BOI = "bank2ynab/test/test-data/test_BOI_TransactionExport.csv"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
POS = [{"field": "description", "op": "regex", "value": r"^POS\d{2}"}]


@pytest.fixture(scope="module")
def boi_user(make_user, import_file, db):
    user = make_user(name="preview").user
    import_file(user, BOI, "BOI")
    with db.user_session(user) as conn:  # one row the model filed elsewhere, one the user filed
        conn.execute("update transactions set category_id = (select id from categories where name ="
                     " 'Restaurants'), category_source = 'model'"
                     " where description = 'POS10SEP DOMINO''S PIZ'")
        conn.execute("update transactions set category_id = (select id from categories where name ="
                     " 'Pharmacy'), category_source = 'user' where description = 'POS23SEP MEDIC'")
    return user


def _groceries(conn) -> str:
    return str(conn.execute("select id from categories where name = 'Groceries'").fetchone()[0])


def test_a_category_rule_previews_current_and_new_category(db, boi_user) -> None:
    with db.user_session(boi_user) as conn:
        rule = Rule(name="", conditions=POS, actions=[
            {"type": "set_category", "category_id": _groceries(conn)}])
        preview = preview_rule(conn, rule, sample=50)
    assert preview.changed == len(preview.sample) == 10  # 11 card payments, one filed by the user
    assert all(list(r) == ["date", "description", "amount", "category", "new category"]
               for r in preview.sample)
    domino = next(r for r in preview.sample if r["description"] == "POS10SEP DOMINO'S PIZ")
    assert domino == {"date": dt.date(2017, 9, 12), "description": "POS10SEP DOMINO'S PIZ",
                      "amount": Decimal("-31.00"), "category": "Food › Restaurants",
                      "new category": "Food › Groceries"}
    assert {r["category"] for r in preview.sample} == {"—", "Food › Restaurants"}
    assert not any(UUID.search(str(v)) for r in preview.sample for v in r.values())


def test_other_actions_preview_only_what_they_change(db, boi_user) -> None:
    with db.user_session(boi_user) as conn:
        rule = Rule(name="", conditions=POS, actions=[
            {"type": "set_category", "category_id": _groceries(conn)},
            {"type": "add_tag", "value": "card"}, {"type": "exclude"}])
        sample = preview_rule(conn, rule, sample=50).sample
        tags_only = preview_rule(conn, Rule(name="", conditions=POS, actions=[
            {"type": "add_tag", "value": "card"}])).sample
    assert list(sample[0]) == ["date", "description", "amount", "category", "new category", "tags",
                               "new tags", "excluded"]
    medic = next(r for r in sample if r["description"] == "POS23SEP MEDIC")
    # the user's own category is kept; the tag and the exclusion still apply
    assert (medic["category"], medic["new category"]) == ("Health › Pharmacy", "(no change)")
    assert (medic["tags"], medic["new tags"], medic["excluded"]) == ("—", "card", "yes")
    assert list(tags_only[0]) == ["date", "description", "amount", "tags", "new tags"]


def test_rules_tab_preview_table_is_readable(open_page, db, boi_user) -> None:
    at = open_page(boi_user, "transactions")
    at.selectbox(key="rule_field_1").select("description").run()
    at.selectbox(key="rule_op_1").select("regex")
    at.text_input(key="rule_value_1").input(r"^POS\d{2}")
    at.selectbox(key="rule_category").select("Food › Groceries")
    at.button(key="rule_preview").click().run()
    assert not at.exception, at.exception
    assert any("would change 10" in i.value for i in at.info)
    table = next(d.value for d in at.dataframe if "new category" in d.value.columns)
    assert list(table.columns) == ["date", "description", "amount", "category", "new category"]
    assert set(table["new category"]) == {"Food › Groceries"}
    assert not table.astype(str).apply(lambda c: c.str.contains(UUID)).any().any()

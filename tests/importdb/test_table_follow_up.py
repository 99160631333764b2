"""QA findings on the transactions table's corrections, through AppTest on the real page and
in the service: "Always do this" twice for one merchant keeps one rule (the latest category);
clearing a category sends the row back to the categorizer instead of storing a decision; the
"apply to all similar" count is read from the database at each render; rows waiting for
review show the suggested category, with Category, Confidence and Why next to the amount."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from core.correction_rules import rule_from_correction
from core.corrections import CorrectionError, apply_to_similar, correct_and_follow
from core.transactions_search import Filters, search

HEADER = "Date,Details,Debit,Credit,Balance"


def _statement(rows: list[str]) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


@pytest.fixture
def shopper(make_user, import_bytes):
    """A user with five LIDL rows (merchant 'LIDL DANKT'), three SPAR rows and a bakery."""
    user = make_user(name="followup").user
    rows = [f"0{d}/10/2017,LIDL DANKT {100 + d},{10 + d}.50,," for d in range(1, 6)]
    rows += [f"0{d}/10/2017,SPAR EXPRESS,{d}.20,," for d in range(1, 4)]
    rows += ["07/10/2017,CORNER BAKERY,2.40,,"]
    assert import_bytes(user, _statement(rows), "shop.csv", "Card").n_imported == 9
    return user


def _cat(conn, name: str):
    return conn.execute("select id from categories where name = %s and parent_id is not null",
                        [name]).fetchone()[0]


def _edit(at: AppTest, row: int, **change) -> None:
    """What the data editor sends when the user changes a cell of the table's ``row``."""
    version = at.session_state["tx_editor_version"]
    at.session_state[f"tx_editor_{version}"] = {"edited_rows": {row: change}, "added_rows": [],
                                                "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception


def _box(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


def _keys(at: AppTest) -> set[str]:
    return {b.key for b in at.button if b.key}


# --- 1. "Always do this" twice: one rule, the latest category ------------------------------------

def test_always_do_this_again_updates_the_rule_it_made(open_page, db, shopper, import_bytes) -> None:
    at = open_page(shopper, "transactions")
    at.text_input(key="tx_search").input("lidl").run()
    _edit(at, 0, category="Food › Groceries")
    at.button(key="tx_make_rule").click().run()
    assert any("created" in s.value for s in at.success), [s.value for s in at.success]
    _edit(at, 0, category="Shopping › Household")
    at.button(key="tx_make_rule").click().run()
    assert not at.exception, at.exception
    with db.user_session(shopper) as conn:
        rules = conn.execute("select name, actions from rules").fetchall()
        household = _cat(conn, "Household")
    assert rules == [("LIDL DANKT → Shopping › Household",
                      [{"type": "set_category", "category_id": str(household)}])]
    notice = " ".join(s.value for s in at.success)
    assert "Updated rule “LIDL DANKT → Shopping › Household”" in notice
    assert "Food › Groceries" in notice  # what it filed under before
    # the next import follows the latest decision
    new = import_bytes(shopper, _statement(["09/10/2017,LIDL DANKT 555,8.00,,"]), "n.csv", "Card")
    with db.user_session(shopper) as conn:
        row = conn.execute("select category_id, category_source from transactions where batch_id = %s",
                           [new.batch_id]).fetchone()
    assert row == (household, "rule")


def test_always_do_this_keeps_the_users_own_rules_and_removes_conflicting_copies(db, shopper) -> None:
    with db.user_session(shopper) as conn:
        tx = conn.execute("select id from transactions where merchant = 'LIDL DANKT' limit 1").fetchone()[0]
        groceries, household = _cat(conn, "Groceries"), _cat(conn, "Household")
        cond = json.dumps([{"field": "merchant", "op": "equals", "value": "LIDL DANKT"}])
        for name, cat in (("LIDL DANKT → Food › Groceries", groceries),  # copies made before the fix
                          ("LIDL DANKT → Shopping › Household", household)):
            conn.execute("insert into rules (name, conditions, actions) values (%s, %s, %s)",
                         [name, cond, json.dumps([{"type": "set_category", "category_id": str(cat)}])])
        mine = json.dumps([{"type": "set_category", "category_id": str(groceries)},
                           {"type": "add_tag", "value": "food"}])  # the user's rule: more actions
        conn.execute("insert into rules (name, priority, conditions, actions) values"
                     " ('My LIDL', 5, %s, %s)", [cond, mine])
        made = rule_from_correction(conn, tx, groceries, "Food › Groceries")
        assert (made.action, made.name) == ("kept", "LIDL DANKT → Food › Groceries")
        rules = dict(conn.execute("select name, actions from rules").fetchall())
        with pytest.raises(CorrectionError, match="cleared category makes no rule"):
            rule_from_correction(conn, tx, None)
    assert set(rules) == {"LIDL DANKT → Food › Groceries", "My LIDL"}
    assert rules["My LIDL"] == json.loads(mine)


# --- 3. clearing a category sends the row back to the categorizer ---------------------------------

def test_clearing_a_category_sends_the_row_back_for_review(open_page, db, shopper) -> None:
    with db.user_session(shopper) as conn:  # the model filed SPAR confidently
        conn.execute("update transactions set category_id = %s, category_source = 'model',"
                     " category_confidence = 0.9, category_explanation = 'Built-in guess'"
                     " where merchant = 'SPAR EXPRESS'", [_cat(conn, "Groceries")])
    at = open_page(shopper, "transactions")
    at.text_input(key="tx_search").input("spar").run()
    _edit(at, 0, category="—")
    box = _box(at)
    assert "back for review" in box and "Uncategorized" not in box
    assert not {"tx_apply_similar", "tx_make_rule"} & _keys(at)
    view = at.dataframe[0].value
    assert view["category"].iloc[0] == "—" and view["why"].iloc[0] != "Set by you"
    assert view["confidence"].isna().iloc[0]
    with db.user_session(shopper) as conn:
        rows = conn.execute("select category_id, category_source, category_confidence, needs_review"
                            " from transactions where merchant = 'SPAR EXPRESS' order by date desc"
                            ).fetchall()
        # nothing is applied to the merchant's other rows, in the service either
        tx = conn.execute("select id from transactions where merchant = 'SPAR EXPRESS'"
                          " order by date desc limit 1").fetchone()[0]
        done = correct_and_follow(conn, tx, None)
        with pytest.raises(CorrectionError, match="not applied to similar"):
            apply_to_similar(conn, tx, None)
    # the cleared row is no decision of the user's: the job's next run predicts it again
    assert rows[0] == (None, None, None, False)
    assert [r[1] for r in rows[1:]] == ["model", "model"]
    assert done.sent_back and (done.similar, done.followed) == (0, 0)


# --- 7. the follow-up box counts what is left, at each render ------------------------------------

def test_apply_to_similar_count_is_read_again_at_each_render(open_page, db, shopper) -> None:
    with db.user_session(shopper) as conn:
        groceries, household = _cat(conn, "Groceries"), _cat(conn, "Household")
        conn.execute("update transactions set category_id = %s, category_source = 'model',"
                     " category_confidence = 0.95 where merchant = 'LIDL DANKT'", [groceries])
        lidl = [r[0] for r in conn.execute("select id from transactions where merchant = 'LIDL DANKT'"
                                           " order by date desc")]
    at = open_page(shopper, "transactions")
    at.text_input(key="tx_search").input("lidl").run()
    _edit(at, 0, category="Shopping › Household")
    assert at.button(key="tx_apply_similar").label == "Apply to all 4 similar transactions"
    with db.user_session(shopper) as conn:  # the job files two of them meanwhile
        conn.execute("update transactions set category_id = %s, category_source = 'history'"
                     " where id = any(%s)", [household, lidl[1:3]])
    at.run()
    assert at.button(key="tx_apply_similar").label == "Apply to all 2 similar transactions"
    with db.user_session(shopper) as conn:  # ... and the rest
        conn.execute("update transactions set category_id = %s, category_source = 'history'"
                     " where id = any(%s)", [household, lidl[3:]])
    at.run()
    assert "tx_apply_similar" not in _keys(at)
    assert "No similar transaction is left" in _box(at)


# --- 5. rows in review show their suggestion; the deciding columns come first ---------------------

def _in_review(conn, merchant: str, category: str, confidence: float, why: str) -> None:
    conn.execute("update transactions set category_id = null, category_source = null,"
                 " category_confidence = %s, needs_review = true, category_explanation = %s,"
                 " category_suggestions = %s where merchant = %s",
                 [confidence, why, json.dumps([{"category": category, "confidence": confidence},
                                               {"category": "Household", "confidence": 0.1}]), merchant])


def test_rows_in_review_show_the_suggested_category(open_page, db, shopper) -> None:
    with db.user_session(shopper) as conn:
        _in_review(conn, "SPAR EXPRESS", "Groceries", 0.8184, "Built-in guess: 'spar' is usually Groceries")
        page = search(conn, Filters(text="spar"))
    assert set(page.rows["suggested"]) == {"Food › Groceries"}
    at = open_page(shopper, "transactions")
    view = at.dataframe[0].value
    assert list(view.columns[:8]) == ["date", "description", "amount", "currency", "category",
                                      "suggested", "confidence", "why"]
    spar = view[view["description"] == "SPAR EXPRESS"]
    assert set(spar["category"]) == {"—"} and set(spar["suggested"]) == {"Food › Groceries"}
    assert set(spar["confidence"]) == {82}  # a whole percent
    config = json.loads(at.dataframe[0].proto.columns)
    assert config["confidence"]["type_config"]["format"] == "%d%%"
    # a row with a category shows no suggestion
    assert set(view[view["description"] != "SPAR EXPRESS"]["suggested"]) == {""}


def test_suggestion_survives_a_user_category_of_the_same_name(db, shopper) -> None:
    """A group the user named like a leaf does not confuse the label: suggestions are leaves."""
    with db.user_session(shopper) as conn:
        conn.execute("insert into categories (name) values ('Coffee & Snacks')")
        _in_review(conn, "CORNER BAKERY", "Coffee & Snacks", 0.41, "Similar to 'BAKERY X'")
        page = search(conn, Filters(text="bakery"))
    assert list(page.rows["suggested"]) == ["Food › Coffee & Snacks"]
    assert list(page.rows["category"]) == [None]


@pytest.mark.parametrize("button", ["tx_make_rule", "tx_apply_similar"])
def test_the_box_says_why_when_its_category_went_since(open_page, db, shopper, button) -> None:
    """The box after a correction stays until dismissed; if the category is deleted meanwhile
    (another tab), its buttons say why nothing was changed instead of failing."""
    with db.user_session(shopper) as conn:  # the model filed LIDL: "apply to all" has rows
        conn.execute("update transactions set category_id = %s, category_source = 'model',"
                     " category_confidence = 0.9 where merchant = 'LIDL DANKT'",
                     [_cat(conn, "Household")])
    at = open_page(shopper, "transactions")
    at.text_input(key="tx_search").input("lidl").run()
    _edit(at, 0, category="Food › Groceries")
    assert {"tx_make_rule", "tx_apply_similar"} <= _keys(at)
    with db.user_session(shopper) as conn:
        conn.execute("delete from categories where name = 'Groceries'")
    at.button(key=button).click().run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Nothing was changed: "), errors
    assert not {"tx_make_rule", "tx_apply_similar"} & _keys(at)  # the box is gone
    with db.user_session(shopper) as conn:
        assert conn.execute("select count(*) from rules").fetchone()[0] == 0
        assert conn.execute("select count(*) from transactions where category_source = 'user'"
                            " and category_id is not null").fetchone()[0] == 0

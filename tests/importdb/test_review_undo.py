"""Undoing a decision of the "Needs review" queue: one click files a merchant (the clicked row
as the user's decision, the merchant's other undecided rows following it), so a mis-click
must be reversible. The undo puts back exactly the rows the decision changed, as they were,
removes the decision's correction (the categorizer must not learn from it), leaves rows filed
again since alone, and changes nothing of another user's."""

from __future__ import annotations

import json

import pytest

from core import review, undo
from core.corrections import correct_category

STATE = ("select description || ' ' || date, category_id, category_source, category_confidence,"
         " category_explanation, needs_review from transactions order by date, description")


@pytest.fixture
def waiting(make_user, import_bytes, db):
    user = make_user(name="undo").user
    rows = ["01/10/2017,ALDI STORES,5.00,,", "02/10/2017,ALDI STORES,6.00,,",
            "03/10/2017,ALDI STORES,7.00,,", "04/10/2017,SHELL COLES,40.00,,",
            "05/10/2017,ODD VENDOR,9.00,,"]
    data = ("\n".join(["Date,Details,Debit,Credit,Balance", *rows]) + "\n").encode()
    assert import_bytes(user, data, "undo.csv", "Card").n_imported == 5
    suggestions = json.dumps([{"category": "Groceries", "confidence": 0.93},
                              {"category": "Fuel", "confidence": 0.05}])
    with db.user_session(user) as conn:  # what the categorizer leaves for review
        conn.execute("update transactions set needs_review = true, category_id = null,"
                     " category_source = null, category_confidence = 0.6,"
                     " category_explanation = 'Similar to ALDI', category_suggestions = %s",
                     [suggestions])
    return user


def _example(conn, merchant: str) -> str:
    return conn.execute("select id::text from transactions where description = %s"
                        " order by date desc limit 1", [merchant]).fetchone()[0]


def test_undo_puts_the_merchant_back_as_it_was(db, waiting) -> None:
    with db.user_session(waiting) as conn:
        before = conn.execute(STATE).fetchall()
        decision = review.decide(conn, _example(conn, "ALDI STORES"), "Fuel")  # a mis-click
        assert decision.propagated == 2 and len(decision.change.before) == 3
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 1
        assert review.queue_counts(conn).merchants == 2
    with db.user_session(waiting) as conn:  # later, in another request
        assert undo.undo(conn, [decision.change]) == 3
        assert conn.execute(STATE).fetchall() == before
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 0
        assert review.queue_counts(conn).merchants == 3
        assert undo.undo(conn, [decision.change]) == 0  # twice changes nothing more


def test_a_row_filed_again_since_keeps_its_new_category(db, waiting) -> None:
    with db.user_session(waiting) as conn:
        decision = review.decide(conn, _example(conn, "ALDI STORES"), "Fuel")
        first = conn.execute("select id from transactions where description = 'ALDI STORES'"
                             " order by date limit 1").fetchone()[0]
        second = conn.execute("select id from transactions where description = 'ALDI STORES'"
                              " order by date limit 1 offset 1").fetchone()[0]
        groceries = review.category_id_by_name(conn, "Groceries")
        correct_category(conn, first, groceries)  # the user fixed one row in the table
        # and confirmed another in the decision's own category: their decision now, not the click's
        correct_category(conn, second, review.category_id_by_name(conn, "Fuel"))
        assert undo.undo(conn, [decision.change]) == 1  # only the clicked row
        kept = dict(conn.execute("select id, category_source || ' ' || category_id from"
                                 " transactions where id in (%s, %s)", [first, second]).fetchall())
        assert kept[first] == f"user {groceries}" and kept[second].startswith("user ")
        # the table's corrections stay; only the decision's own is gone
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 2


def test_accepted_suggestions_are_undone_together(db, waiting) -> None:
    with db.user_session(waiting) as conn:
        before = conn.execute(STATE).fetchall()
        decisions = review.accept(conn, [(_example(conn, "ALDI STORES"), "Groceries"),
                                         (_example(conn, "SHELL COLES"), "Groceries")])
        assert [d.propagated for d in decisions] == [2, 0]
        assert undo.undo(conn, [d.change for d in decisions]) == 4
        assert conn.execute(STATE).fetchall() == before


def test_another_users_decision_changes_nothing(db, make_user, waiting) -> None:
    with db.user_session(waiting) as conn:
        decision = review.decide(conn, _example(conn, "ALDI STORES"), "Fuel")
        after = conn.execute(STATE).fetchall()
    stranger = make_user(name="stranger").user
    with db.user_session(stranger) as conn:  # RLS: none of those rows is found
        assert undo.undo(conn, [decision.change]) == 0
    with db.user_session(waiting) as conn:
        assert conn.execute(STATE).fetchall() == after
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 1


def test_the_review_tab_undoes_its_decisions_newest_first(open_page, db, waiting) -> None:
    at = open_page(waiting, "transactions")
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.key == "rv_undo"]  # nothing decided yet
    card = next(b for b in at.button if (b.key or "").startswith("rv-")
                and b.label.startswith("Fuel ("))
    card.click().run()  # a mis-click on the runner-up
    assert not at.exception, at.exception
    assert any(c.value.startswith("Last decision: ") and "filed under Fuel" in c.value
               for c in at.caption)
    with db.user_session(waiting) as conn:
        assert conn.execute("select count(*) from transactions where category_source"
                            " in ('user', 'history')").fetchone()[0] >= 1
    card = next(b for b in at.button if (b.key or "").startswith("rv-")
                and b.label.startswith("Groceries ("))
    card.click().run()  # and another merchant
    assert not at.exception, at.exception
    assert any(c.value.startswith("Last decision: ") and "filed under Groceries" in c.value
               and c.value.endswith("(1 earlier can be undone after it, newest first.)")
               for c in at.caption), [c.value for c in at.caption]
    with db.user_session(waiting) as conn:
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 2
    at.button(key="rv_undo").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.toast][-1].startswith("Undone: ")
    with db.user_session(waiting) as conn:
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 1
    assert any(c.value.startswith("Last decision: ") and "filed under Fuel" in c.value
               for c in at.caption)  # the one before it is next
    at.button(key="rv_undo").click().run()
    assert not at.exception, at.exception
    with db.user_session(waiting) as conn:
        assert conn.execute("select count(*) from transactions where needs_review"
                            ).fetchone()[0] == 5
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 0
    assert not [b for b in at.button if b.key == "rv_undo"]  # both were used


def test_an_accepted_table_is_undone_from_the_tab(open_page, db, waiting) -> None:
    at = open_page(waiting, "transactions")
    at.button(key="rv_sure_accept").click().run()  # all three merchants are 93% sure
    assert not at.exception, at.exception
    assert any(c.value == "Last decision: filed 3 merchants (5 transactions) under their"
               " suggestion." for c in at.caption)
    at.button(key="rv_undo").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.toast][-1] == "Undone: 5 transactions back as before"
    with db.user_session(waiting) as conn:
        assert conn.execute("select count(*) from transactions where needs_review"
                            " and category_id is null").fetchone()[0] == 5
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 0


def test_the_clicked_row_decided_again_by_hand_stays_decided(db, waiting) -> None:
    with db.user_session(waiting) as conn:
        clicked = _example(conn, "ALDI STORES")
        decision = review.decide(conn, clicked, "Fuel")
        correct_category(conn, clicked, review.category_id_by_name(conn, "Fuel"))  # confirmed
        assert undo.undo(conn, [decision.change]) == 2  # the two that followed
        assert conn.execute("select category_source from transactions where id = %s",
                            [clicked]).fetchone()[0] == "user"
        assert [r[0] for r in conn.execute("select source from corrections")] == ["table"]


def test_a_card_decision_can_be_made_a_rule(open_page, db, waiting, import_bytes) -> None:
    at = open_page(waiting, "transactions")
    assert "rv_make_rule" not in {b.key for b in at.button}
    card = next(b for b in at.button if (b.key or "").startswith("rv-")
                and b.label.startswith("Fuel ("))
    card.click().run()  # the first card: ALDI STORES, 3 transactions
    assert any(c.value.startswith("Always file ALDI STORES under Fuel when it is imported?")
               for c in at.caption), [c.value for c in at.caption]
    at.button(key="rv_make_rule").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.toast][-1] == ("Rule “ALDI STORES → Transport › Fuel” created;"
                                               " it applies to future imports (see Rules).")
    assert "rv_make_rule" not in {b.key for b in at.button}  # offered once
    with db.user_session(waiting) as conn:
        fuel = review.category_id_by_name(conn, "Fuel")
        rules = conn.execute("select name, conditions, actions from rules").fetchall()
    assert rules == [("ALDI STORES → Transport › Fuel",
                      [{"field": "merchant", "op": "equals", "value": "ALDI STORES"}],
                      [{"type": "set_category", "category_id": str(fuel)}])]
    # the next import files the merchant by the rule, before the categorizer guesses
    data = b"Date,Details,Debit,Credit,Balance\n09/10/2017,ALDI STORES,8.00,,\n"
    assert import_bytes(waiting, data, "next.csv", "Card").n_imported == 1
    with db.user_session(waiting) as conn:
        assert conn.execute("select category_id, category_source from transactions"
                            " where date = '2017-10-09'").fetchone() == (fuel, "rule")


def test_an_undone_decision_is_not_offered_as_a_rule(open_page, waiting) -> None:
    at = open_page(waiting, "transactions")
    next(b for b in at.button if (b.key or "").startswith("rv-")
         and b.label.startswith("Fuel (")).click().run()
    assert "rv_make_rule" in {b.key for b in at.button}
    at.button(key="rv_undo").click().run()
    assert not at.exception, at.exception
    assert "rv_make_rule" not in {b.key for b in at.button}


@pytest.mark.parametrize("gone", ["transaction", "category"])
def test_a_stale_card_says_what_changed_instead_of_failing(open_page, db, waiting, gone) -> None:
    """The queue was drawn, then (in another tab) the transactions were deleted or the
    suggested category was: the click says so and changes nothing."""
    at = open_page(waiting, "transactions")
    card = next(b for b in at.button if (b.key or "").startswith("rv-")
                and b.label.startswith("Groceries ("))
    with db.user_session(waiting) as conn:
        if gone == "transaction":
            conn.execute("delete from transactions where description = 'ALDI STORES'")
        else:
            conn.execute("delete from categories where name = 'Groceries'")
    card.click().run()
    assert not at.exception, at.exception
    said = [t.value for t in at.toast][-1]
    assert said.startswith("Nothing was filed: "), said
    assert ("no longer exists" in said) if gone == "transaction" else ("Groceries" in said)
    with db.user_session(waiting) as conn:
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 0
    assert "rv_undo" not in {b.key for b in at.button}


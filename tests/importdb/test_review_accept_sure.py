"""Accepting the sure suggestions of the Needs review queue together: the merchants whose top
suggestion is at least 90% sure (and names one of the user's categories) are listed in a
table with a tick box each; one button files the ticked ones, each as the user's decision
(a correction, the merchant's other waiting rows follow)."""

from __future__ import annotations

import json

import pytest

from core import review

SURE = ["ALDI STORES", "WOOLWORTHS METRO", "COLES EXPRESS", "SHELL COLES"]


@pytest.fixture
def waiting(make_user, import_bytes, db):
    user = make_user(name="sure").user
    merchants = [*SURE, "MYSTERY SHOP", "ODD VENDOR", "UNKNOWN CAT"]
    rows = [f"{1 + i:02d}/10/2017,{m},{5 + i}.00,," for i, m in enumerate(merchants)]
    rows.append("20/10/2017,ALDI STORES,9.99,,")  # two rows of one sure merchant
    data = ("\n".join(["Date,Details,Debit,Credit,Balance", *rows]) + "\n").encode()
    assert import_bytes(user, data, "sure.csv", "Card").n_imported == 8

    def suggest(category: str, confidence: float) -> str:
        return json.dumps([{"category": category, "confidence": confidence},
                           {"category": "Household", "confidence": 0.01}])

    with db.user_session(user) as conn:  # what the categorizer leaves for review
        conn.execute("update transactions set needs_review = true, category_id = null,"
                     " category_source = null, category_confidence = 0.5,"
                     " category_explanation = 'Built-in guess', category_suggestions = %s",
                     [suggest("Groceries", 0.5)])
        for m, (cat, conf) in zip(SURE, (("Groceries", 0.97), ("Groceries", 0.93),
                                          ("Groceries", 0.91), ("Fuel", 0.9)), strict=True):
            conn.execute("update transactions set category_suggestions = %s where description = %s",
                         [suggest(cat, conf), m])
        conn.execute("update transactions set category_suggestions = %s where description = %s",
                     [suggest("Moon Travel", 0.99), "UNKNOWN CAT"])  # not a category of theirs
    return user


def test_sure_suggestions_are_listed_surest_first_and_accepted_as_decisions(db, waiting) -> None:
    with db.user_session(waiting) as conn:
        sure = review.sure_suggestions(conn)
        assert list(sure["merchant"]) == SURE and list(sure["n"]) == [2, 1, 1, 1]
        assert list(sure["category"]) == ["Groceries", "Groceries", "Groceries", "Fuel"]
        assert review.sure_suggestions(conn, 0.95)["merchant"].tolist() == ["ALDI STORES"]
        filed = review.accept(conn, zip(sure["example_id"][:2], sure["category"][:2],
                                        strict=True))
        assert [d.propagated for d in filed] == [1, 0]  # ALDI's second row followed
        rows = dict(conn.execute(
            "select t.description || ':' || t.date, c.name || ':' || t.category_source"
            " from transactions t join categories c on c.id = t.category_id").fetchall())
        assert sorted(rows.values()) == ["Groceries:history", "Groceries:user", "Groceries:user"]
        assert conn.execute("select count(*) from corrections where source = 'review'"
                            ).fetchone()[0] == 2
        assert review.sure_suggestions(conn)["merchant"].tolist() == SURE[2:]


def test_review_tab_accepts_the_ticked_ones(open_page, db, waiting) -> None:
    at = open_page(waiting, "transactions")
    assert not at.exception, at.exception
    assert any(e.label == "Accept 4 sure suggestions at once (5 transactions)"
               for e in at.expander)
    button = at.button(key="rv_sure_accept")
    assert button.label == "File 4 merchants under their suggestion" and not button.disabled
    button.click().run()
    assert not at.exception, at.exception
    with db.user_session(waiting) as conn:
        assert review.queue_counts(conn).merchants == 3  # the unsure ones and the odd category
        assert conn.execute("select count(*) from corrections").fetchone()[0] == 4
        assert review.sure_suggestions(conn).empty
    assert not any(e.label.startswith("Accept ") for e in at.expander)


def test_a_held_back_guess_is_never_offered_as_sure(db, waiting) -> None:
    """The job marks a guess the categorizer holds back however sure it is
    (``category_held``: a new merchant guessed from amount and timing alone); the sure table
    must not offer that merchant pre-ticked, and its card says why it waits."""
    with db.user_session(waiting) as conn:
        conn.execute("update transactions set category_held = true where description = %s"
                     " and date = '2017-10-20'", ["ALDI STORES"])  # one of its two rows
        conn.execute("update transactions set category_held = true where description = %s",
                     ["WOOLWORTHS METRO"])
        assert review.sure_suggestions(conn)["merchant"].tolist() == SURE[2:]
        queue = review.queue(conn).set_index("merchant")
        assert queue.loc["WOOLWORTHS METRO", "held"] and queue.loc["ALDI STORES", "held"]
        assert not queue.loc["COLES EXPRESS", "held"]


def test_a_held_back_card_says_why_it_waits(open_page, db, waiting) -> None:
    with db.user_session(waiting) as conn:
        conn.execute("update transactions set category_held = true where description = %s",
                     ["WOOLWORTHS METRO"])
    at = open_page(waiting, "transactions")
    assert not at.exception, at.exception
    assert any(e.label == "Accept 3 sure suggestions at once (4 transactions)"
               for e in at.expander)
    said = [c.value for c in at.caption if review.HELD in c.value]
    assert len(said) == 1 and said[0].startswith("WOOLWORTHS METRO"), said

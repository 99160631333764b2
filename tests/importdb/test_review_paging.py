"""The Needs review tab says how much waits and pages through it: with 37 merchants (41
transactions) waiting it shows 25 cards, "Showing 25 of 37 merchants waiting (41
transactions)" and a "Show more" button that shows the rest; before, it stopped at 25 without
a word."""

from __future__ import annotations

import json

import pytest

from core import review

MERCHANTS = [f"{a}{b}MART" for a in "BCDFGHJKLM" for b in "AEIOU"][:37]
TWICE = MERCHANTS[:4]  # four merchants with two rows each: 41 transactions


@pytest.fixture
def waiting(make_user, import_bytes, db):
    user = make_user(name="paging").user
    rows = [f"{1 + i % 28:02d}/10/2017,{m},{5 + i}.00,," for i, m in enumerate(MERCHANTS)]
    rows += [f"{1 + i:02d}/11/2017,{m},{7 + i}.00,," for i, m in enumerate(TWICE)]
    data = ("\n".join(["Date,Details,Debit,Credit,Balance", *rows]) + "\n").encode()
    assert import_bytes(user, data, "many.csv", "Card").n_imported == 41
    with db.user_session(user) as conn:  # what the categorizer leaves for review
        conn.execute("update transactions set needs_review = true, category_confidence = 0.4,"
                     " category_explanation = 'Built-in guess (weak evidence)', category_suggestions = %s",
                     [json.dumps([{"category": "Groceries", "confidence": 0.4}])])
    return user


def _cards(at) -> int:
    return sum(1 for s in at.selectbox if s.key and s.key.startswith("rv-other-"))


def test_queue_counts_and_pages(db, waiting) -> None:
    with db.user_session(waiting) as conn:
        size = review.queue_counts(conn)
        first, more = review.queue(conn), review.queue(conn, limit=2 * review.PAGE)
    assert (size.merchants, size.transactions) == (37, 41)
    assert len(first) == 25 and len(more) == 37
    assert list(more["merchant"][:25]) == list(first["merchant"])  # the next ones follow
    assert set(first["merchant"][:4]) == set(TWICE)  # two uncertain rows help most


def test_review_tab_says_how_many_wait_and_shows_more(open_page, db, waiting) -> None:
    at = open_page(waiting, "transactions")
    assert _cards(at) == 25
    captions = " ".join(c.value for c in at.caption)
    assert "Showing 25 of 37 merchants waiting (41 transactions)" in captions
    at.button(key="rv_more").click().run()
    assert not at.exception, at.exception
    assert _cards(at) == 37
    assert "rv_more" not in {b.key for b in at.button}
    captions = " ".join(c.value for c in at.caption)
    assert "37 merchants waiting (41 transactions)" in captions and "Showing" not in captions


def test_show_more_shrinks_with_the_queue(open_page, db, waiting) -> None:
    """What "Show more" asked for is no more pages than the queue fills: a stale 999 shows the
    37 merchants and becomes 50; once the queue shrinks to 20 it becomes one page again, so
    merchants that come back later are not shown beyond a page the user did not ask for."""
    at = open_page(waiting, "transactions")
    at.session_state["rv_shown"] = 999
    at.run()
    assert not at.exception, at.exception
    assert _cards(at) == 37 and at.session_state["rv_shown"] == 50
    with db.user_session(waiting) as conn:  # 17 merchants decided elsewhere
        conn.execute("update transactions set needs_review = false where description = any(%s)",
                     [MERCHANTS[20:]])
    at.run()
    assert _cards(at) == 20 and at.session_state["rv_shown"] == 25
    with db.user_session(waiting) as conn:  # they come back: one page, and "Show more"
        conn.execute("update transactions set needs_review = true")
    at.run()
    assert _cards(at) == 25 and "rv_more" in {b.key for b in at.button}

"""A brand-new user's first decisions (QA: two decisions once made the job file unrelated rows
at 0.90-0.995 without asking): until enough decisions exist to measure the model's precision,
the job files nothing by itself; every guess waits in Needs review with an honest explanation.
Real model, real database, a real Austrian bank export."""

from __future__ import annotations

from core import review
from core.config import Settings
from core.db import Database
from jobs import pipeline

AT_FILE = "bank2ynab/test/test-data/test_headers.csv"


def test_a_few_decisions_do_not_make_the_job_file_anything_without_asking(
        db: Database, settings: Settings, make_user, import_file) -> None:
    user = make_user(name="newbie").user
    assert import_file(user, AT_FILE, account="Girokonto").n_imported == 73
    pipeline.run_user(db, settings, user.id, only={"categorize"})
    with db.user_session(user) as conn:
        lidl, transfer = (conn.execute(
            "select id from transactions where description ilike %s order by date limit 1",
            [pattern]).fetchone()[0] for pattern in ("LIDL%", "INTERNET-Überweisung acodemy%"))
        review.decide(conn, lidl, "Groceries")
        review.decide(conn, transfer, "Books & Courses")
    pipeline.run_user(db, settings, user.id, only={"categorize"})
    with db.user_session(user) as conn:
        by_source = dict(conn.execute("select coalesce(category_source, 'none'), count(*)"
                                      " from transactions group by 1").fetchall())
        guesses = conn.execute(
            "select description, category_confidence, category_explanation from transactions"
            " where category_source is null and needs_review").fetchall()
    assert "model" not in by_source, by_source  # nothing filed without asking
    assert by_source["user"] >= 2 and len(guesses) >= 40
    # ... but what the two decisions filed along (the merchants' other rows) stays filed
    with db.user_session(user) as conn:
        lidl_rows = conn.execute(
            "select c.name, t.category_source from transactions t left join categories c"
            " on c.id = t.category_id where t.description ilike 'LIDL%'").fetchall()
    assert len(lidl_rows) > 2 and set(lidl_rows) == {("Groceries", "user"),
                                                     ("Groceries", "history")}, lidl_rows
    assert all(0 <= conf < 1 and why for _, conf, why in guesses)
    # no explanation claims history the user does not have, or reads a terminal code as a word
    assert not any("Amount and timing match your" in why and "Groceries" not in why
                   and "Books" not in why for _, _, why in guesses)
    assert not any("'k2'" in why or "'k1'" in why for _, _, why in guesses)

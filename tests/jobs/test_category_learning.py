"""The categorizer after the user renames or merges categories (real model, real database): the
change marks the user dirty, the next run learns the new name from the same decisions and no
stored prediction names the old one; and the threshold the job applies is what Settings shows."""

from __future__ import annotations

import inspect

from core import category_merge
from core.auto_apply import MIN_DECISIONS, applied_threshold
from core.config import Settings
from core.db import Database
from jobs import pipeline
from jobs.scheduler import pending_user_ids
from ml.calibration import threshold_for_precision


def _predictions(db: Database, user) -> list[tuple[str | None, list, str]]:
    with db.user_session(user) as conn:
        return conn.execute("""
            select c.name, coalesce(t.category_suggestions, '[]'), coalesce(t.category_explanation, '')
            from transactions t left join categories c on c.id = t.category_id
            where t.category_source is null or t.category_source in ('model', 'prior', 'history')
            """).fetchall()


def _named(rows, name: str) -> int:
    """Stored predictions that name ``name``: as their category, a suggestion or in the reason."""
    return sum(cat == name or any(s["category"] == name for s in sugg) or f"under {name}" in why
               or f"({name})" in why for cat, sugg, why in rows)


def test_a_rename_and_a_merge_are_learned_at_the_next_run(db: Database, settings: Settings,
                                                          household_user) -> None:
    user = household_user(seed=11)
    with db.user_session(user) as conn:
        conn.execute("update profiles set auto_apply_threshold = 0.6")  # file most guesses
    pipeline.run_user(db, settings, user.id, only={"categorize"})
    before = _predictions(db, user)
    assert _named(before, "Groceries") and _named(before, "Coffee & Snacks")

    with db.user_session(user) as conn:
        ids = dict(conn.execute("select name, id from categories").fetchall())
        category_merge.rename(conn, user, ids["Groceries"], "Supermarket")
        category_merge.merge(conn, user, ids["Coffee & Snacks"], ids["Restaurants"])
    assert str(user.id) in pending_user_ids(db)  # the job refits for this user at its next poll
    pipeline.run_user(db, settings, user.id, only={"categorize"})

    after = _predictions(db, user)
    assert _named(after, "Groceries") == 0 and _named(after, "Coffee & Snacks") == 0
    assert _named(after, "Supermarket") >= _named(before, "Groceries") // 2
    with db.user_session(user) as conn:  # the merged category's merchants are now Restaurants
        rows = conn.execute("""
            select c.name, count(*) from transactions t join categories c on c.id = t.category_id
            where t.category_source = 'model' and t.merchant in (
                select merchant from transactions t2 join categories k on k.id = t2.category_id
                where t2.category_source = 'user' and k.name = 'Restaurants')
            group by 1 order by 2 desc""").fetchall()
    assert rows and rows[0][0] == "Restaurants"


def test_the_threshold_the_job_measured_is_the_one_settings_shows(db: Database, settings: Settings,
                                                                  household_user) -> None:
    user = household_user(seed=12)
    with db.user_session(user) as conn:
        assert applied_threshold(conn).source == "pending"  # decisions, but no fit yet
    pipeline.run_user(db, settings, user.id, only={"categorize"})
    with db.user_session(user) as conn:
        shown = applied_threshold(conn)
        decisions = conn.execute("select count(*) from transactions where category_source"
                                 " in ('user', 'rule')").fetchone()[0]
        applied = conn.execute("select min(category_confidence) from transactions"
                               " where category_source = 'model'").fetchone()[0]
        waiting = conn.execute("select max(category_confidence) from transactions"
                               " where needs_review").fetchone()[0]
    assert shown.source in ("measured", "never") and MIN_DECISIONS < shown.decisions <= decisions
    # what the job applied is exactly what the page says: model guesses at or above its level
    # only, a merchant never filed at or above its own level ("≥ 50% for a new merchant"),
    # which can be the lower one
    floor = shown.value if shown.new_merchant is None else min(shown.value, shown.new_merchant)
    assert applied is None or applied >= floor - 1e-6
    assert waiting is None or waiting < shown.value + 1e-6
    assert shown.measured_at is not None and "%" in shown.describe() or shown.source == "never"
    assert inspect.signature(threshold_for_precision).parameters["min_samples"].default == \
        MIN_DECISIONS

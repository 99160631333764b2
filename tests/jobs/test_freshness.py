"""Pages say when stored figures are not up to date with the user's own changes
(``core.freshness``, ``private.my_pipeline_state``): after a change until the job has run."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from streamlit.testing.v1 import AppTest

from core import freshness, preferences
from core.config import Settings
from core.db import Database
from jobs import pipeline

pytestmark = pytest.mark.db
UTC = dt.UTC



def _updating(at: AppTest) -> bool:
    return any("not in these figures yet" in i.value for i in at.info)


def test_pending_after_a_change_until_the_job_ran(open_page, db: Database, settings: Settings,
                                                  household_user, make_user) -> None:
    user = household_user(seed=9, months=6)
    other = make_user(name="bystander").user
    with db.user_session(user) as conn:  # loading the household is a change not yet processed
        first = freshness.state(conn)
    assert first.pending and first.changed_since is not None and first.last_run_at is None
    for page in ("dashboard", "budgets", "goals", "subscriptions"):
        assert _updating(open_page(user, page)), page
    pipeline.run_user(db, settings, user.id)  # a full run marks the changes processed
    with db.user_session(user) as conn:
        done = freshness.state(conn)
    assert not done.pending and done.last_run_at is not None
    at = open_page(user, "dashboard")
    assert not _updating(at)
    # a change of base currency: the stored figures are from before it until the next run
    with db.user_session(user) as conn:
        preferences.set_base_currency(conn, "USD")
        assert freshness.state(conn).pending
    assert _updating(open_page(user, "dashboard"))
    # the state is the caller's own: another user sees theirs (nothing), anon cannot call it
    with db.user_session(other) as conn:
        assert freshness.state(conn).last_run_at is None  # not the household user's run
        rows = conn.execute("select count(*) from private.my_pipeline_state()").fetchone()[0]
        assert rows <= 1
    with pytest.raises(psycopg.errors.InsufficientPrivilege), db.anon_session() as conn:
        conn.execute("select * from private.my_pipeline_state()")


def test_notice_wording() -> None:
    now = dt.datetime(2026, 12, 5, 22, 0, tzinfo=UTC)
    assert freshness.notice(freshness.Freshness(False, None, now), now) is None
    fresh = freshness.notice(freshness.Freshness(True, now - dt.timedelta(seconds=20), None), now)
    assert fresh is not None and "made just now" in fresh and "within about a minute" in fresh
    some = freshness.notice(freshness.Freshness(True, now - dt.timedelta(minutes=3), None), now)
    assert some is not None and "made 3 minutes ago" in some
    stalled = freshness.notice(freshness.Freshness(True, now - dt.timedelta(hours=5), None), now)
    assert stalled is not None and "has not caught up" in stalled and "python -m jobs" in stalled
    assert "on 05 Dec at 17:00 UTC" in stalled

"""The user's categorization and forecast settings on the real database (RLS, triggers)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import preferences
from core.db import Database


def _dirty_seq(db: Database, user) -> int:
    with db.owner_connection() as conn:
        row = conn.execute("select dirty_seq from pipeline.user_state where user_id = %s",
                           [str(user.id)]).fetchone()
    return row[0] if row else 0


def test_settings_round_trip_validate_and_mark_the_user_dirty(db: Database, make_user) -> None:
    me, other = make_user(name="prefs").user, make_user(name="prefs-other").user
    with db.user_session(me) as conn:
        start = preferences.current(conn)
    assert start.auto_apply_threshold is None and start.balance_buffer == Decimal("500.00")
    before = _dirty_seq(db, me)
    with db.user_session(me) as conn:
        preferences.set_auto_apply_threshold(conn, 0.85)
        preferences.set_balance_buffer(conn, "1250.5")
    assert _dirty_seq(db, me) > before  # the job re-applies them at its next poll
    with db.user_session(me) as conn:
        assert preferences.current(conn) == preferences.Preferences(0.85, Decimal("1250.50"),
                                                                    start.base_currency)
    with db.user_session(other) as conn:  # RLS: nobody else's profile changed
        assert preferences.current(conn).auto_apply_threshold is None
        assert preferences.current(conn).balance_buffer == Decimal("500.00")
    for bad, where in ((0.3, "auto-apply threshold: 30% is outside 50%-99%"),
                       (1.0, "auto-apply threshold: 100% is outside 50%-99%")):
        with db.user_session(me) as conn, pytest.raises(preferences.PreferenceError, match=where):
            preferences.set_auto_apply_threshold(conn, bad)
    for bad, where in (("-5", "must be between 0"), ("lots", "is not an amount")):
        with db.user_session(me) as conn, pytest.raises(preferences.PreferenceError, match=where):
            preferences.set_balance_buffer(conn, bad)
    with db.user_session(me) as conn:
        preferences.set_auto_apply_threshold(conn, None)  # back to automatic
        assert preferences.current(conn).auto_apply_threshold is None
        assert preferences.current(conn).balance_buffer == Decimal("1250.50")

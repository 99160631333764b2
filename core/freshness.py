"""Are the job process's stored figures up to date with the user's own changes?

Imports, corrections, budgets, goals, accounts and settings mark the user dirty (migration
``20261121300000_pipeline``); the job process recomputes within about a minute. Until then the
stored forecast, budgets, safe-to-spend, goals and readiness are from before the change: pages
show :func:`notice` above them instead of presenting them as current (after a change of base
currency they would otherwise carry the new currency's symbol on the old currency's amounts).
Read through ``private.my_pipeline_state()`` (the caller's own row only).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import psycopg

log = logging.getLogger(__name__)


STALLED = dt.timedelta(minutes=15)
"""A change pending longer than this means the job process is not keeping up (or not running)."""


@dataclass(frozen=True)
class Freshness:
    """``pending``: a change is not yet worked into the stored figures (since ``changed_since``);
    ``last_run_at``: when the job process last finished a run for the user (None: never)."""

    pending: bool
    changed_since: dt.datetime | None
    last_run_at: dt.datetime | None


def state(conn: psycopg.Connection) -> Freshness:
    """The signed-in user's state (no row yet: nothing pending, never run)."""
    row = conn.execute("select pending, changed_since, last_run_at"
                       " from private.my_pipeline_state()").fetchone()
    if row is None:
        return Freshness(False, None, None)
    return Freshness(bool(row[0]), row[1], row[2])


def notice(fresh: Freshness, now: dt.datetime | None = None) -> str | None:
    """The sentence to show above stored figures, or None when they are current."""
    if not fresh.pending:
        return None
    now = now or dt.datetime.now(dt.UTC)
    since = fresh.changed_since
    when = ""
    if since is not None:
        minutes = max(0, int((now - since).total_seconds() // 60))
        when = " just now" if minutes < 1 else (
            f" {minutes} minute{'s' if minutes != 1 else ''} ago" if minutes < 120
            else f" on {since:%d %b at %H:%M} UTC")
    if since is not None and now - since > STALLED:
        return (f"Your changes made{when} are not in these figures yet: the job process has "
                "not caught up. If it is not running, start it (python -m jobs).")
    return (f"Updating: your changes made{when} are not in these figures yet. The job process "
            "recomputes them within about a minute; reload the page to see them.")

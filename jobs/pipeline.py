"""One user's pipeline run: every stage in order, each recorded in ``pipeline.job_runs``.

A run reads the user's ``dirty_seq`` first and, when every stage succeeded, marks that sequence
processed; changes that arrive during the run leave the user dirty for the next poll. A failing
stage is recorded with its error, the user gets an exponential backoff (2, 4, 8 ... minutes,
capped at a day) and the exception propagates to the queue, which retries it; other users are
not affected. Stages are idempotent, so a run killed at any point and restarted converges.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable

from core.config import Settings
from core.db import Database
from jobs import alerts, categorize, planning, stages
from jobs.context import StageContext
from jobs.delivery import deliver_pending

log = logging.getLogger(__name__)

StageFn = Callable[[StageContext], int]


def stage_list(settings: Settings) -> list[tuple[str, str, StageFn]]:
    """(name, model_version, function) for every stage, in pipeline order."""
    return [
        ("categorize", categorize.CATEGORIZE_VERSION, lambda ctx: categorize.categorize(ctx, settings)),
        ("patterns", stages.PATTERNS_VERSION, stages.patterns),
        ("recurring", stages.RECURRING_VERSION, stages.recurring),
        ("anomalies", stages.ANOMALIES_VERSION, stages.anomalies),
        ("planning", planning.PLANNING_VERSION, planning.planning),
        ("alerts", alerts.ALERTS_VERSION, alerts.alerts),
        ("deliver", "deliver-1", lambda ctx: deliver_pending(ctx, settings)),
    ]


def _record_start(db: Database, ctx: StageContext, stage: str, version: str) -> int:
    with db.job_session() as conn:
        return conn.execute(
            "insert into pipeline.job_runs (run_id, stage, user_id, model_version)"
            " values (%s, %s, %s, %s) returning id",
            [str(ctx.run_id), stage, str(ctx.user_id), version]).fetchone()[0]


def _record_end(db: Database, run_row: int, status: str, rows: int, error: str | None) -> None:
    with db.job_session() as conn:
        conn.execute("update pipeline.job_runs set finished_at = clock_timestamp(), status = %s,"
                     " rows_written = %s, error = %s where id = %s",
                     [status, rows, error, run_row])


def _dirty_seq(db: Database, user_id: uuid.UUID) -> int:
    with db.job_session() as conn:
        row = conn.execute("select dirty_seq from pipeline.user_state where user_id = %s",
                           [str(user_id)]).fetchone()
    return row[0] if row else 0


def _mark(db: Database, user_id: uuid.UUID, seq: int, ok: bool) -> None:
    with db.job_session() as conn:
        if ok:
            conn.execute("""
                insert into pipeline.user_state (user_id, dirty_seq, processed_seq, last_run_at,
                                                 last_status, failures)
                values (%s, %s, %s, now(), 'succeeded', 0)
                on conflict (user_id) do update set
                    processed_seq = greatest(pipeline.user_state.processed_seq, excluded.processed_seq),
                    last_run_at = now(), last_status = 'succeeded', failures = 0,
                    next_retry_at = null""", [str(user_id), seq, seq])
        else:
            conn.execute("""
                insert into pipeline.user_state (user_id, last_run_at, last_status, failures,
                                                 next_retry_at)
                values (%s, now(), 'failed', 1, now() + interval '2 minutes')
                on conflict (user_id) do update set
                    last_run_at = now(), last_status = 'failed',
                    failures = pipeline.user_state.failures + 1,
                    next_retry_at = now() + least(interval '1 day',
                        interval '1 minute' * power(2, pipeline.user_state.failures + 1))""",
                         [str(user_id)])


def run_user(db: Database, settings: Settings, user_id: uuid.UUID | str,
             today: dt.date | None = None, only: set[str] | None = None) -> dict[str, int]:
    """Run the pipeline (or the stages in ``only``) for one user; returns rows per stage."""
    user = uuid.UUID(str(user_id))
    seq = _dirty_seq(db, user)
    ctx = StageContext(db, user, today=today or dt.date.today())
    results: dict[str, int] = {}
    for name, version, fn in stage_list(settings):
        if only and name not in only:
            continue
        run_row = _record_start(db, ctx, name, version)
        started = time.monotonic()
        try:
            rows = fn(ctx)
        except Exception as exc:
            _record_end(db, run_row, "failed", 0, f"{type(exc).__name__}: {exc}"[:2000])
            _mark(db, user, seq, ok=False)
            log.exception("user %s: stage %s failed", user, name)
            raise
        _record_end(db, run_row, "succeeded", rows, None)
        results[name] = rows
        log.info("user %s: %s wrote %d row(s) in %.2fs", user, name, rows, time.monotonic() - started)
    if not only:
        _mark(db, user, seq, ok=True)
    return results

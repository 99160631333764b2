"""Per-user work units on the PostgreSQL-backed ``procrastinate`` queue.

``pfm.run_user_pipeline(user_id)`` is deferred with a queueing lock (one waiting unit per user)
and an execution lock (never two workers on one user at once), so any number of workers on any
number of machines can share the load: ``python -m jobs --worker-only`` starts one more. The
queue's tables live in the ``procrastinate`` schema, installed by the migrations and reachable
only by the job role.
"""

from __future__ import annotations

import asyncio
import logging

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from psycopg.conninfo import make_conninfo

from core.config import get_settings
from core.db import Database, get_database

log = logging.getLogger(__name__)

QUEUE = "pipeline"


def run_user_pipeline(user_id: str) -> None:
    from jobs.pipeline import run_user

    run_user(get_database(), get_settings(), user_id)


def deliver_alerts(user_id: str) -> None:
    from jobs.pipeline import run_user

    run_user(get_database(), get_settings(), user_id, only={"deliver"})


def _blueprint() -> procrastinate.Blueprint:
    """A new blueprint per App: ``App.add_tasks_from`` renames the blueprint's tasks in place
    (``pfm:...``), so sharing one blueprint would break every App after the first."""
    blueprint = procrastinate.Blueprint()
    blueprint.task(name="run_user_pipeline", queue=QUEUE,
                   retry=procrastinate.RetryStrategy(max_attempts=4, exponential_wait=10))(run_user_pipeline)
    blueprint.task(name="deliver_alerts", queue=QUEUE)(deliver_alerts)
    return blueprint


def make_app(db: Database) -> procrastinate.App:
    """A procrastinate App connected as the job role, with the pipeline tasks."""
    conninfo = make_conninfo(db.jobs_conninfo, options="-c search_path=procrastinate")
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))
    app.add_tasks_from(_blueprint(), namespace="pfm")
    return app


def enqueue_users(app: procrastinate.App, user_ids: list[str], task: str = "run_user_pipeline") -> int:
    """Defer one unit per user (a user already waiting in the queue is skipped)."""
    n = 0
    fn = app.tasks[f"pfm:{task}"]
    for user_id in user_ids:
        try:
            fn.configure(queueing_lock=f"{task}:{user_id}", lock=f"user:{user_id}").defer(
                user_id=str(user_id))
            n += 1
        except AlreadyEnqueued:
            pass
    return n


def recover_stalled(app: procrastinate.App, seconds_since_heartbeat: float = 30) -> int:
    """Requeue jobs whose worker stopped heartbeating (killed mid-run)."""

    async def _go() -> int:
        async with app.open_async():
            stalled = list(await app.job_manager.get_stalled_jobs(
                seconds_since_heartbeat=seconds_since_heartbeat))
            for job in stalled:
                log.warning("requeueing stalled job %s (%s)", job.id, job.task_name)
                try:
                    await app.job_manager.retry_job(job)
                except Exception as exc:  # e.g. the same unit is already waiting (queueing lock)
                    log.warning("stalled job %s not requeued (%s); closing it as failed", job.id, exc)
                    await app.job_manager.finish_job_by_id_async(
                        job.id, status=procrastinate.jobs.Status.FAILED, delete_job=False)
            return len(stalled)

    return asyncio.run(_go())


def queue_depth(app: procrastinate.App) -> dict[str, int]:
    """Jobs per status in the pipeline queue."""
    counts: dict[str, int] = {}
    for row in app.job_manager.list_queues(queue=QUEUE):
        counts = {k: int(v) for k, v in row.items() if k in ("todo", "doing", "succeeded", "failed")}
    return counts

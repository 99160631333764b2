"""Pipeline benchmark: the whole job pipeline for N demo users x 2 years.

Starts a fresh embedded PostgreSQL in a temporary directory (or uses ``PFM_BENCH_DATABASE_URL``,
a server where it may create and drop a database), migrates, signs up N users each owning a
generated household (``core.demo_data.generate_users``), then drains the queue with one worker
(``python -m jobs --once`` in a subprocess, as cron would) and reports users per minute and the
median time of each stage from ``pipeline.job_runs``.

    python -m bench.pipeline_bench --users 200
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from core import migrate
from core.auth import LocalAuth
from core.config import Settings
from core.db import Database
from core.demo_data import generate_users
from core.demo_seed import load_household
from core.scratch_db import bench_database

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]


def _database(tmp: Path) -> tuple[str, Callable[[], None]]:
    """The owner's conninfo of a fresh database (:func:`core.scratch_db.bench_database`) and
    the call that removes it."""
    stack = contextlib.ExitStack()
    return stack.enter_context(bench_database(tmp)), stack.close


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--months", type=int, default=24)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        owner, cleanup = _database(tmp)
        try:
            migrate.migrate(owner)
            settings = Settings(data_dir=tmp, database_url=owner)
            db = Database(owner, settings)
            auth = LocalAuth(db, uuid.uuid4().hex * 2)
            started = time.perf_counter()
            rows = 0
            for i, household in enumerate(generate_users(args.users, seed=1, months=args.months)):
                user = auth.sign_up(f"bench{i}@example.org", "Bench-Password-1", f"Bench {i}")
                with db.user_session(user) as conn:
                    rows += load_household(conn, user, household)
            load_s = time.perf_counter() - started
            print(f"loaded {args.users} users, {rows:,} transactions in {load_s:.1f} s")
            env = {**os.environ, "DATABASE_URL": owner, "PFM_DATA_DIR": str(tmp)}
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "jobs", "--once"], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            run_s = time.perf_counter() - started
            with db.owner_connection() as conn:
                stages = conn.execute("""
                    select stage, count(*), percentile_cont(0.5) within group (order by
                           extract(epoch from finished_at - started_at)),
                           count(*) filter (where status <> 'succeeded')
                    from pipeline.job_runs group by stage order by min(id)""").fetchall()
                done = conn.execute("select count(*) from pipeline.user_state"
                                    " where processed_seq >= dirty_seq").fetchone()[0]
            db.close()
        finally:
            cleanup()
    print(f"pipeline: {done}/{args.users} users in {run_s:.1f} s = "
          f"{args.users / run_s * 60:.1f} users/minute (one worker, 2-core machine)")
    print("stage        runs  median s/user  failed")
    for stage, n, median, failed in stages:
        print(f"{stage:<12} {n:>4}  {median:>13.3f}  {failed:>6}")


if __name__ == "__main__":
    main()

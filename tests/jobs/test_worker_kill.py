"""Kill the job process mid-run with SIGKILL (a real process) and show the rerun converges:
every user processed, no duplicate rows, no run left 'running', and a further run changes nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from core.config import Settings
from core.db import Database
from jobs import pipeline
from jobs.scheduler import pending_user_ids

ROOT = Path(__file__).resolve().parents[2]


def _jobs_once(settings: Settings, owner_url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": owner_url, "PFM_DATA_DIR": str(settings.data_dir),
           "PFM_STALLED_SECONDS": "3", "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-m", "jobs", "--once"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _counts(db: Database, user) -> tuple:
    with db.user_session(user) as conn:
        return tuple(conn.execute(f"select count(*) from {t}").fetchone()[0]
                     for t in ("monthly_features", "recurring_series", "anomalies", "alerts"))


def test_sigkill_mid_run_then_rerun_converges(db: Database, settings: Settings, owner_url: str,
                                              household_user) -> None:
    users = [household_user(seed=s) for s in (31, 32, 33, 34)]
    ids = {str(u.id) for u in users}
    proc = _jobs_once(settings, owner_url)
    deadline = time.time() + 120
    while time.time() < deadline:
        with db.job_session() as conn:
            done = conn.execute("select count(*) from pipeline.job_runs where stage = 'alerts'"
                                " and status = 'succeeded' and user_id = any(%s)", [list(ids)]).fetchone()[0]
        if done >= 1:
            break
        assert proc.poll() is None, proc.stdout.read()
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert ids & set(pending_user_ids(db)), "the kill left some users unprocessed"

    time.sleep(4)  # the dead worker's heartbeat goes stale (PFM_STALLED_SECONDS=3)
    rerun = _jobs_once(settings, owner_url)
    out, _ = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, out
    assert not ids & set(pending_user_ids(db))
    with db.job_session() as conn:
        running = conn.execute("select count(*) from pipeline.job_runs where status = 'running'"
                               " and user_id = any(%s)", [list(ids)]).fetchone()[0]
    assert running == 0
    before = {u.id: _counts(db, u) for u in users}
    for u in users:
        assert all(n > 0 for n in before[u.id][:3]), before[u.id]
        pipeline.run_user(db, settings, u.id)
    assert {u.id: _counts(db, u) for u in users} == before

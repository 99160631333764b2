"""``python -m app``: start the database, migrate, seed, and run the job process and Streamlit.

On the embedded default this process owns the PostgreSQL server under ``<data dir>/pgdata`` and
stops it on exit. The job process (``python -m jobs``) and Streamlit run as child processes with
the same environment, so they use the same installation. Ctrl-C (SIGINT) or SIGTERM stops the
children first, then the database.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from core import embedded, migrate
from core.config import PROJECT_ROOT, Settings
from core.db import Database, set_database

log = logging.getLogger(__name__)


def prepare(settings: Settings) -> Database:
    """Start/attach the database, apply migrations and install the process-wide Database."""
    if settings.database_url:
        owner = settings.database_url
    else:
        owner = embedded.start(settings.pgdata)
    migrate.migrate(owner, app_password=settings.app_db_password,
                    jobs_password=settings.jobs_db_password)
    db = Database(owner, settings)
    set_database(db)
    return db


def _child_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["PFM_DATA_DIR"] = str(settings.data_dir)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
    return env


def streamlit_command(settings: Settings, port: int, address: str) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app" / "main.py"),
            "--server.port", str(port), "--server.address", address,
            "--server.headless", "true", "--browser.gatherUsageStats", "false"]


def _lock_data_dir(settings: Settings) -> object:
    """One launcher per data dir: a second ``python -m app`` on the same data is refused."""
    import fcntl

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    handle = open(settings.data_dir / "app.lock", "w")  # noqa: SIM115 (held for the process)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"another 'python -m app' is already running on {settings.data_dir}") from None
    return handle


def run(settings: Settings, *, port: int, address: str, demo: bool, jobs: bool) -> int:
    """Run everything until interrupted; returns the exit code."""
    lock = _lock_data_dir(settings)
    db = prepare(settings)
    if demo:
        from core.demo_seed import ensure_demo

        creds = ensure_demo(db, settings)
        if creds:
            print(f"Demo account: {creds.email}  password: {creds.password}", flush=True)
    env = _child_env(settings)
    children: list[subprocess.Popen] = []
    if jobs:
        children.append(subprocess.Popen([sys.executable, "-m", "jobs"], env=env, cwd=PROJECT_ROOT))
    children.append(subprocess.Popen(streamlit_command(settings, port, address), env=env,
                                     cwd=PROJECT_ROOT))
    print(f"Personal finance manager on http://localhost:{port}  (Ctrl-C stops everything)",
          flush=True)
    stopping = False

    def _stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    code = 0
    try:
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    log.error("child %s exited with %s; stopping", child.args[:3], child.returncode)
                    code = child.returncode or 1
                    stopping = True
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.time() + 15
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                child.kill()
        db.close()
        if not settings.database_url:
            embedded.stop(settings.pgdata)
        print("Stopped.", flush=True)
        lock.close()
    return code

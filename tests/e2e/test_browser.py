"""End to end in a real browser: Playwright driving Debian's Chromium against ``python -m app``.

Starts the real launcher on a fresh data dir (embedded PostgreSQL, or a fresh database on the
server named by PFM_TEST_DATABASE_URL passed as DATABASE_URL), signs in to the demo account,
sees the dashboard, signs out; then stops with Ctrl-C (SIGINT) and checks a second start reuses
the data.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def database_url():
    server = os.environ.get("PFM_TEST_DATABASE_URL")
    if not server:
        yield None
        return
    name = f"pfm_e2e_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    params = conninfo_to_dict(server)
    params["dbname"] = name
    yield make_conninfo(**params)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def _start(data_dir: Path, port: int, database_url: str | None) -> subprocess.Popen:
    env = {**os.environ, "PFM_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    env.pop("DATABASE_URL", None)
    env.pop("PFM_DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    proc = subprocess.Popen([sys.executable, "-m", "app", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 180
    while time.time() < deadline:
        assert proc.poll() is None, f"app exited early: {proc.stdout.read()}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise AssertionError("app did not start listening in time")


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "Stopped." in out
    return out


def test_sign_in_to_demo_see_dashboard_sign_out(tmp_path: Path, database_url) -> None:
    from playwright.sync_api import expect, sync_playwright

    port = _free_port()
    proc = _start(tmp_path, port, database_url)
    try:
        creds = json.loads((tmp_path / "demo-credentials.json").read_text())
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            expect(page.get_by_text(f"sign in as {creds['email']}")).to_be_visible(timeout=60_000)
            page.get_by_label("Email").first.fill(creds["email"])
            page.get_by_label("Password").first.fill(creds["password"])
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("Money out").first).to_be_visible()
            expect(page.get_by_text("Spending by category").first).to_be_visible()
            page.screenshot(path=str(tmp_path / "dashboard.png"))
            # a reload keeps the user signed in (signed session cookie)
            for _ in range(60):
                if any(c["name"] == "pfm_session" for c in page.context.cookies()):
                    break
                page.wait_for_timeout(500)
            cookie = next(c for c in page.context.cookies() if c["name"] == "pfm_session")
            assert cookie["sameSite"] == "Strict" and creds["password"] not in cookie["value"]
            page.reload(wait_until="domcontentloaded")
            expect(page.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=60_000)
            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=30_000)
            expect(page.get_by_role("heading", name="Dashboard")).to_have_count(0)
            # ... and after signing out, a reload does not sign back in
            for _ in range(60):
                if not any(c["name"] == "pfm_session" for c in page.context.cookies()):
                    break
                page.wait_for_timeout(500)
            page.reload(wait_until="domcontentloaded")
            expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
            expect(page.get_by_role("heading", name="Dashboard")).to_have_count(0)
            browser.close()
    finally:
        if proc.poll() is None:
            out = _stop(proc)
    if not database_url:
        assert not (tmp_path / "pgdata" / "postmaster.pid").exists(), "database left running"
    # a second start reuses the data: the same demo account, nothing seeded twice
    proc = _start(tmp_path, port, database_url)
    out = _stop(proc)
    assert f"password: {creds['password']}" in out

"""End to end in a real browser: a staff account sees the k-anonymous analytics and downloads a
CSV of an aggregate.

Starts the real launcher (``python -m app --no-jobs``) on a fresh data dir, gives 10 more
users a demo household (so groups reach k = 10), makes a staff account with the operator
command ``python -m app set-role``, signs in with Playwright + Debian's Chromium, opens Admin,
and downloads the spend aggregate as CSV.
"""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port, _stop, database_url  # noqa: F401

from core import embedded
from core.auth import LocalAuth
from core.config import Settings
from core.db import Database
from core.demo_data import generate_users
from core.demo_seed import load_household

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Staff-Browser-Pass-9"


def _env(data_dir: Path, url: str | None) -> dict[str, str]:
    env = {**os.environ, "PFM_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    env.pop("DATABASE_URL", None)
    env.pop("PFM_DATABASE_URL", None)
    env.pop("PFM_K_ANONYMITY", None)
    if url:
        env["DATABASE_URL"] = url
    return env


def _start(data_dir: Path, port: int, url: str | None) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "app", "--port", str(port), "--no-jobs"], cwd=ROOT,
                            env=_env(data_dir, url), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
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


def _populate(data_dir: Path, url: str | None) -> tuple[str, str]:
    """10 users with demo households and one staff account; returns the staff credentials."""
    owner = url or embedded.start(data_dir / "pgdata")  # attaches to the launcher's server
    db = Database(owner, Settings(data_dir=data_dir, database_url=url))
    try:
        auth = LocalAuth(db, "e2e-" + uuid.uuid4().hex)
        for i, household in enumerate(generate_users(10, seed=21, months=3)):
            user = auth.sign_up(f"member{i}-{uuid.uuid4().hex[:6]}@example.org", PASSWORD, f"Member {i}")
            with db.user_session(user) as conn:
                load_household(conn, user, household)
        email = f"staff-{uuid.uuid4().hex[:6]}@example.org"
        auth.sign_up(email, PASSWORD, "Staff Member")
    finally:
        db.close()
    out = subprocess.run([sys.executable, "-m", "app", "set-role", email, "staff"], cwd=ROOT,
                         env=_env(data_dir, url), capture_output=True, text=True, timeout=180)
    assert out.returncode == 0 and f"{email} is now staff." in out.stdout, out.stdout + out.stderr
    return email, PASSWORD


def test_staff_sees_analytics_and_downloads_csv(tmp_path: Path, database_url) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    port = _free_port()
    proc = _start(tmp_path, port, database_url)
    try:
        email, password = _populate(tmp_path, database_url)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            page.get_by_label("Email").first.fill(email)
            page.get_by_label("Password").first.fill(password)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=60_000)
            page.get_by_role("link", name="Admin").click()
            expect(page.get_by_role("heading", name="Admin")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("Aggregates over at least 10 users only")).to_be_visible()
            users = page.locator('[data-testid="stMetric"]').filter(has_text="Users").first
            expect(users).to_contain_text("12")  # demo household + 10 members + the staff account
            page.get_by_role("tab", name="Spend trends").click()
            expect(page.get_by_text("Money out by month and category").first).to_be_visible(timeout=30_000)
            expect(page.locator(".js-plotly-plot:visible").first).to_be_visible(timeout=30_000)
            page.screenshot(path=str(tmp_path / "admin.png"), full_page=True)
            button = page.locator('[data-testid="stDownloadButton"]:visible').first
            with page.expect_download(timeout=30_000) as info:
                button.click()
            download = info.value
            assert download.suggested_filename == "spend_by_category_month.csv"
            rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
            assert rows and list(rows[0])[:4] == ["month", "category", "currency", "users"]
            assert all(int(r["users"]) >= 10 for r in rows)
            page.get_by_role("tab", name="Roles").click()
            expect(page.get_by_text("Only admins can change roles.")).to_be_visible()
            browser.close()
    finally:
        if proc.poll() is None:
            _stop(proc)

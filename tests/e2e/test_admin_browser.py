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
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from launch import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    app_env,
    free_port,
    open_page,
    shown,
    sign_in,
    start_app,
    stop_app,
)

from core import embedded
from core.auth import LocalAuth
from core.config import Settings
from core.db import Database
from core.demo_data import generate_users
from core.demo_seed import load_household

pytestmark = pytest.mark.e2e
PASSWORD = "Staff-Browser-Pass-9"


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
                         env=app_env(data_dir, url), capture_output=True, text=True, timeout=180)
    assert out.returncode == 0 and f"{email} is now staff." in out.stdout, out.stdout + out.stderr
    return email, PASSWORD


def test_staff_sees_analytics_and_downloads_csv(tmp_path: Path, database_url) -> None:  # noqa: F811
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    proc = start_app(tmp_path, port, database_url, "--no-jobs")
    try:
        email, password = _populate(tmp_path, database_url)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            sign_in(page, port, email, password, expect)
            open_page(page, "Admin", "Admin", expect)
            expect(shown(page.get_by_text("Aggregates over at least 10 users only"))).to_be_visible(
                timeout=30_000)
            users = page.locator('[data-testid="stMetric"]').filter(has_text="Users").first
            expect(users).to_contain_text("12")  # demo household + 10 members + the staff account
            for attempt in range(3):  # a rerun of the page may reset the tab: retry
                page.get_by_role("tab", name="Spend trends").click()
                expect(shown(page.get_by_text("Money out by month and category"))).to_be_visible(
                    timeout=30_000)
                try:
                    expect(shown(page.locator(".js-plotly-plot:visible"))).to_be_visible(timeout=20_000)
                    break
                except AssertionError:
                    page.screenshot(path=str(tmp_path / f"admin-attempt-{attempt}.png"), full_page=True)
                    if attempt == 2:
                        raise
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
            expect(shown(page.get_by_text("Only admins can change roles."))).to_be_visible(timeout=30_000)
            browser.close()
    finally:
        if proc.poll() is None:
            stop_app(proc)

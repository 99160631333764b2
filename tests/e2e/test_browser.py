"""End to end in a real browser: Playwright driving Debian's Chromium against ``python -m app``.

Starts the real launcher on a fresh data dir (embedded PostgreSQL, or a fresh database on the
server named by PFM_TEST_DATABASE_URL passed as DATABASE_URL), signs in to the demo account,
sees the dashboard, signs out, opens a bookmarked page signed out and lands on it after signing
in; then stops with Ctrl-C (SIGINT) and checks a second start reuses
the data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from launch import CHROMIUM, CHROMIUM_ARGS, free_port, shown, start_app, stop_app, wait_for_session_cookie

pytestmark = pytest.mark.e2e


def test_sign_in_to_demo_see_dashboard_sign_out(tmp_path: Path, database_url) -> None:
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    proc = start_app(tmp_path, port, database_url)
    try:
        creds = json.loads((tmp_path / "demo-credentials.json").read_text())
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1300, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
            expect(shown(page.get_by_text(f"sign in as {creds['email']}"))).to_be_visible(timeout=60_000)
            page.get_by_label("Email").first.fill(creds["email"])
            page.get_by_label("Password").first.fill(creds["password"])
            page.get_by_role("button", name="Sign in").click()
            expect(shown(page.get_by_role("heading", name="Dashboard"))).to_be_visible(timeout=60_000)
            expect(shown(page.get_by_text("Money out"))).to_be_visible(timeout=30_000)
            expect(shown(page.get_by_text("Spending by category"))).to_be_visible(timeout=30_000)
            page.screenshot(path=str(tmp_path / "dashboard.png"))
            # a reload keeps the user signed in (signed session cookie)
            wait_for_session_cookie(page)
            cookie = next(c for c in page.context.cookies() if c["name"] == "pfm_session")
            assert cookie["sameSite"] == "Strict" and creds["password"] not in cookie["value"]
            page.reload(wait_until="domcontentloaded")
            expect(shown(page.get_by_role("heading", name="Dashboard"))).to_be_visible(timeout=60_000)
            page.get_by_role("button", name="Sign out").click()
            expect(shown(page.get_by_role("button", name="Sign in"))).to_be_visible(timeout=30_000)
            expect(page.get_by_role("heading", name="Dashboard")).to_have_count(0)
            # ... and after signing out, a reload does not sign back in
            wait_for_session_cookie(page, present=False)
            page.reload(wait_until="domcontentloaded")
            expect(shown(page.get_by_role("button", name="Sign in"))).to_be_visible(timeout=60_000)
            expect(page.get_by_role("heading", name="Dashboard")).to_have_count(0)
            # a bookmarked page, signed out: the sign-in form (not "page not found"), and
            # after signing in the page that was asked for
            page.goto(f"http://127.0.0.1:{port}/transactions", wait_until="domcontentloaded")
            expect(shown(page.get_by_role("button", name="Sign in"))).to_be_visible(timeout=60_000)
            expect(page.get_by_text("Page not found")).to_have_count(0)
            page.get_by_label("Email").first.fill(creds["email"])
            page.get_by_label("Password").first.fill(creds["password"])
            page.get_by_role("button", name="Sign in").click()
            expect(shown(page.get_by_role("heading", name="Transactions"))).to_be_visible(timeout=60_000)
            assert page.url.endswith("/transactions")
            # a member following an admin link is told the page is for staff
            page.goto(f"http://127.0.0.1:{port}/admin", wait_until="domcontentloaded")
            expect(shown(page.get_by_text("The Admin page is for staff accounts"))).to_be_visible(
                timeout=60_000)
            browser.close()
    finally:
        if proc.poll() is None:
            out = stop_app(proc)
    if not database_url:
        assert not (tmp_path / "pgdata" / "postmaster.pid").exists(), "database left running"
    # a second start reuses the data: the same demo account, nothing seeded twice
    proc = start_app(tmp_path, port, database_url)
    out = stop_app(proc)
    assert f"password: {creds['password']}" in out

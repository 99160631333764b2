"""Starting and stopping the real app (``python -m app``) for the browser tests.

One place for what every end-to-end test needs: Debian's Chromium and its flags, a free
port, the environment of a fresh data directory (optionally on a database of the server in
``PFM_TEST_DATABASE_URL``, see the ``database_url`` fixture in ``conftest.py``), and the
launcher's start (wait until it listens) and stop (SIGINT, "Stopped.").

While Streamlit swaps a page's elements during a rerun, a locator can briefly match both the
old and the new copy (two "Dashboard" headings); Playwright's strict mode then fails at once
instead of waiting, so the tests wait for ``.first`` of what they expect to see.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def chromium_page(playwright, name: str, **page_args) -> Iterator:
    """A page in Debian's Chromium; when the body fails, a full-page screenshot is saved as
    ``<tmp>/pfm-e2e-<name>-failure.png`` (its path is printed) before the browser closes."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(**page_args)
    try:
        yield page
    except Exception:
        shot = Path(tempfile.gettempdir()) / f"pfm-e2e-{name}-failure.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}")
        raise
    finally:
        browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(data_dir: Path, database_url: str | None) -> dict[str, str]:
    """This process's environment for an app on ``data_dir`` (and ``database_url``, if any)."""
    env = {**os.environ, "PFM_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    for name in ("DATABASE_URL", "PFM_DATABASE_URL", "PFM_K_ANONYMITY"):
        env.pop(name, None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def start_app(data_dir: Path, port: int, database_url: str | None, *args: str) -> subprocess.Popen:
    """Run the launcher (extra ``args`` such as ``--no-jobs``) until it listens on ``port``."""
    proc = subprocess.Popen([sys.executable, "-m", "app", "--port", str(port), *args], cwd=ROOT,
                            env=app_env(data_dir, database_url), stdout=subprocess.PIPE,
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


def stop_app(proc: subprocess.Popen, timeout: float = 60) -> str:
    """SIGINT, as Ctrl-C would; the launcher must stop everything and say so."""
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out
    assert "Stopped." in out
    return out


def sign_in(page, port: int, email: str, password: str, expect) -> None:
    """Sign in through the form and wait until the sign-in has settled.

    The session cookie is written by a component, which then reruns the page; a click on a
    sidebar link during that rerun can be overtaken by it (the app stays on the Dashboard),
    so wait for the cookie and a moment of quiet before anything else."""
    page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
    page.get_by_label("Email").first.fill(email)
    page.get_by_label("Password").first.fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(shown(page.get_by_role("heading", name="Dashboard"))).to_be_visible(timeout=60_000)
    wait_for_session_cookie(page)
    page.wait_for_timeout(500)
    wait_idle(page)


def shown(locator):
    """The first *visible* match: while a rerun replaces the page, Streamlit briefly keeps the
    old elements (hidden, stale) next to the new ones, and the first match may be a stale one."""
    return locator.filter(visible=True).first


def wait_for_session_cookie(page, present: bool = True, timeout_ms: int = 30_000) -> None:
    """Wait until the browser holds (``present``) or no longer holds the session cookie; the
    component that writes or deletes it acts a moment after the page has rendered."""
    for _ in range(timeout_ms // 500):
        if any(c["name"] == "pfm_session" for c in page.context.cookies()) == present:
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"the session cookie was {'never written' if present else 'not deleted'}")


def wait_idle(page, quiet_ms: int = 600, timeout_ms: int = 60_000) -> None:
    """Wait until the app has not been running a script for ``quiet_ms`` (Streamlit's
    ``data-test-script-state`` on the app root): a widget set during a rerun can be reset
    by it."""
    root = page.locator('[data-testid="stApp"]')
    waited = quiet = 0
    while quiet < quiet_ms:
        if waited > timeout_ms:
            raise AssertionError(f"the app kept running for {timeout_ms} ms")
        state = root.get_attribute("data-test-script-state") if root.count() else "initial"
        quiet = quiet + 100 if state == "notRunning" else 0
        page.wait_for_timeout(100)
        waited += 100


def open_page(page, link: str, heading: str, expect, attempts: int = 3) -> None:
    """Click the sidebar ``link`` until the page with ``heading`` shows (a rerun may win)."""
    for attempt in range(attempts):
        page.get_by_role("link", name=link).click()
        try:
            expect(shown(page.get_by_role("heading", name=heading))).to_be_visible(timeout=30_000)
            wait_idle(page)
            return
        except AssertionError:
            log.warning("page %s did not open on attempt %d", link, attempt + 1)
            if attempt == attempts - 1:
                raise

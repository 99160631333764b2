"""End to end in a real browser: import a real CSV on the Transactions page, import it again
(nothing added), search, correct a category in the data editor and apply it to the similar
rows, then undo the import. Starts ``python -m app`` on a fresh data dir like
``test_browser.py`` (embedded PostgreSQL, or a fresh database on PFM_TEST_DATABASE_URL)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
BOI = ROOT.parent / "shared" / "data" / "statements" / "bank2ynab" / "test" / "test-data" / \
    "test_BOI_TransactionExport.csv"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def data_dir() -> Path:
    """A data dir outside pytest's base temp dir (that one is 0700 root, so the embedded
    server's own user could not be stopped by pg_ctl there)."""
    path = Path(tempfile.mkdtemp(prefix="pfm-e2e-import-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def app(data_dir: Path):
    """The real launcher on a fresh data dir; yields (port, demo credentials)."""
    tmp_path = data_dir
    server, name, env = os.environ.get("PFM_TEST_DATABASE_URL"), None, {}
    if server:
        name = f"pfm_e2e_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        params = conninfo_to_dict(server)
        params["dbname"] = name
        env["DATABASE_URL"] = make_conninfo(**params)
    port = _free_port()
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PFM_DATABASE_URL")}
    full_env.update({"PFM_DATA_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1", **env})
    proc = subprocess.Popen([sys.executable, "-m", "app", "--port", str(port), "--no-jobs"], cwd=ROOT,
                            env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 180
        while True:
            assert proc.poll() is None, f"app exited early: {proc.stdout.read()}"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.time() < deadline, "app did not start listening in time"
                time.sleep(0.5)
        yield port, json.loads((tmp_path / "demo-credentials.json").read_text())
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:  # the launcher hung: kill it and stop its database
            proc.kill()
            out, _ = proc.communicate()
            if not server:
                from core import embedded

                embedded.stop(tmp_path / "pgdata")
        print("app output (last 80 lines):\n" + "\n".join((out or "").splitlines()[-80:]))
        if server:
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f'drop database if exists "{name}" with (force)')


def _choose(page, label: str, option_text: str) -> None:
    """Pick an option of a Streamlit selectbox by typing into it (robust against reruns)."""
    box = page.locator("[data-testid=stSelectbox]").filter(has_text=label)
    field = box.locator("input")
    field.click()
    field.fill(option_text)
    page.get_by_role("option").filter(has_text=option_text).first.click()


def _grid_texts(page) -> list[str]:
    cells = page.locator("[data-testid=stDataFrame]").first.locator("[role=gridcell]")
    return [cells.nth(i).inner_text() for i in range(cells.count())]


def test_import_search_correct_undo_in_a_browser(app, data_dir: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    port, creds = app
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            _flow(page, port, creds, expect)
        except Exception:
            shot = Path(tempfile.gettempdir()) / "pfm-e2e-import-failure.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failure: {shot}")
            raise
        finally:
            browser.close()


def _flow(page, port: int, creds: dict, expect) -> None:
    if True:
        page.goto(f"http://127.0.0.1:{port}/", wait_until="domcontentloaded")
        page.get_by_label("Email").first.fill(creds["email"])
        page.get_by_label("Password").first.fill(creds["password"])
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible(timeout=60_000)
        # let the sign-in settle (the session cookie is written by a component, then a rerun)
        for _ in range(60):
            if any(c["name"] == "pfm_session" for c in page.context.cookies()):
                break
            page.wait_for_timeout(500)
        page.wait_for_timeout(1000)
        page.get_by_role("link", name="Transactions").click()
        expect(page.get_by_role("heading", name="Transactions")).to_be_visible(timeout=60_000)

        # import a real bank export into a new account (a rerun may reset the tab: retry)
        for attempt in range(3):
            page.get_by_role("tab", name="Import").click()
            _choose(page, "Into account", "+ New account")
            try:
                expect(page.get_by_label("New account name")).to_be_visible(timeout=15_000)
                break
            except AssertionError:
                if attempt == 2:
                    raise
        page.get_by_label("New account name").fill("BOI e2e")
        page.get_by_label("New account name").press("Enter")
        page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(BOI))
        import_button = page.get_by_role("button", name="Import 27 transactions")
        expect(import_button).to_be_visible(timeout=60_000)
        import_button.click()
        expect(page.get_by_text("Imported 27 transaction(s) from test_BOI_TransactionExport.csv.")
               ).to_be_visible(timeout=60_000)
        # the same file again, now into the account it created: nothing new
        expect(page.get_by_text("This file has been imported")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Import 27 transactions").click()
        expect(page.get_by_text("Imported 0 transaction(s)")).to_be_visible(timeout=60_000)

        # search, then correct a category in the data editor (keyboard: the grid is a canvas)
        page.get_by_role("tab", name="Transactions").click()
        search = page.get_by_label("Search description, merchant or notes")
        search.fill("cto")
        search.press("Enter")
        expect(page.get_by_text("Page 1 of 1")).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1500)
        texts = _grid_texts(page)
        assert texts.count("CTO") == 8 and "BOI e2e" in texts  # 4 rows x (description, merchant)
        grid = page.locator("[data-testid=stDataFrame]").first
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 40, box["y"] + 52)  # first row, first column
        for _ in range(6):  # -> the Category column
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")  # opens the cell's selectbox
        page.wait_for_timeout(700)
        page.keyboard.type("Salary")
        page.wait_for_timeout(700)
        page.keyboard.press("Enter")
        expect(page.get_by_text("under Income › Salary")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Apply to all 3 similar transactions").click()
        expect(page.get_by_text("3 similar transaction(s) filed under Income › Salary.")
               ).to_be_visible(timeout=30_000)
        page.wait_for_timeout(1500)
        assert _grid_texts(page).count("Income › Salary") == 4

        # undo the import that brought the 27 rows
        page.get_by_role("tab", name="Import").click()
        _choose(page, "Undo an import", "· 27 rows")
        page.get_by_role("button", name="Undo this import").click()
        expect(page.get_by_text("Import undone: 27 transaction(s) removed.")).to_be_visible(timeout=30_000)
        page.get_by_role("tab", name="Transactions").click()
        expect(page.get_by_text("No transactions match.")).to_be_visible(timeout=30_000)

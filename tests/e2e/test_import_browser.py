"""End to end in a real browser: import a real CSV on the Transactions page, import it again
(nothing added), search, correct a category in the data editor (the similar uncategorized rows
follow at once), tag two rows in bulk, undo that and then the correction, tag and exclude a row
in Row details and undo that (its boxes show the row as stored again), rename a merchant there
and undo that, merge two merchants the Merchants tab suggests and undo that, then undo the
import. Starts
``python -m app`` on a fresh data dir like ``test_browser.py`` (embedded PostgreSQL, or a fresh
database on PFM_TEST_DATABASE_URL)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest
from launch import ROOT, chromium_page, free_port, open_page, shown, sign_in, start_app, wait_idle

pytestmark = pytest.mark.e2e
BOI = ROOT.parent / "shared" / "data" / "statements" / "bank2ynab" / "test" / "test-data" / \
    "test_BOI_TransactionExport.csv"


@pytest.fixture
def data_dir() -> Path:
    """A data dir outside pytest's base temp dir (that one is 0700 root, so the embedded
    server's own user could not be stopped by pg_ctl there)."""
    path = Path(tempfile.mkdtemp(prefix="pfm-e2e-import-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def app(data_dir: Path, database_url: str | None):
    """The real launcher on a fresh data dir; yields (port, demo credentials)."""
    tmp_path = data_dir
    port = free_port()
    proc = start_app(tmp_path, port, database_url, "--no-jobs")
    try:
        yield port, json.loads((tmp_path / "demo-credentials.json").read_text())
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:  # the launcher hung: kill it and stop its database
            proc.kill()
            out, _ = proc.communicate()
            if not database_url:
                from core import embedded

                embedded.stop(tmp_path / "pgdata")
        print("app output (last 80 lines):\n" + "\n".join((out or "").splitlines()[-80:]))


def _choose(page, label: str, option_text: str) -> None:
    """Pick an option of a Streamlit selectbox by typing into it (robust against reruns)."""
    box = page.locator("[data-testid=stSelectbox]").filter(has_text=label)
    field = box.locator("input")
    field.click()
    field.fill(option_text)
    page.get_by_role("option").filter(has_text=option_text).first.click()


def _drop(page, path: Path, ready, expect) -> None:
    """Set ``path`` in the uploader until ``ready`` shows: a file set while the page reruns is
    dropped with the old widget, so up to three tries."""
    for attempt in range(3):
        wait_idle(page)
        page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(path))
        try:
            expect(ready).to_be_visible(timeout=30_000)
            return
        except AssertionError:
            if attempt == 2:
                raise


def _grid_texts(page) -> list[str]:
    cells = page.locator("[data-testid=stDataFrame]").first.locator("[role=gridcell]")
    return [cells.nth(i).inner_text() for i in range(cells.count())]


def test_import_search_correct_undo_in_a_browser(app, data_dir: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    port, creds = app
    # wide enough that the grid draws the Account column after a medium-width Category
    with sync_playwright() as p, chromium_page(p, "import",
                                               viewport={"width": 1600, "height": 1000}) as page:
        _flow(page, port, creds, expect)


def _flow(page, port: int, creds: dict, expect) -> None:
    sign_in(page, port, creds["email"], creds["password"], expect)
    open_page(page, "Transactions", "Transactions", expect)

    # import a real bank export into a new account (a rerun may reset the tab: retry)
    for attempt in range(3):
        page.get_by_role("tab", name="Import").click()
        _choose(page, "Into account", "+ New account")
        try:
            expect(shown(page.get_by_label("New account name"))).to_be_visible(timeout=15_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    page.get_by_label("New account name").fill("BOI e2e")
    page.get_by_label("New account name").press("Enter")
    import_button = page.get_by_role("button", name="Import 27 transactions").first
    _drop(page, BOI, import_button, expect)
    import_button.click()
    expect(page.get_by_text("Imported 27 transaction(s) from test_BOI_TransactionExport.csv.")
           .filter(visible=True).first).to_be_visible(timeout=60_000)
    # after an import the summary replaces the preview: no second Import button to click
    expect(page.get_by_role("button", name="Import 27 transactions")).to_have_count(0)
    # the same file again, now into the account it created: nothing new
    page.get_by_role("button", name="Import another file").click()
    again = page.get_by_role("button", name="Import 27 transactions").first
    _drop(page, BOI, again, expect)
    expect(shown(page.get_by_text("This file has been imported"))).to_be_visible(timeout=30_000)
    again.click()
    expect(shown(page.get_by_text("Imported 0 transaction(s)"))).to_be_visible(timeout=60_000)

    # search, then correct a category in the data editor (keyboard: the grid is a canvas)
    page.get_by_role("tab", name="Transactions").click()
    search = page.get_by_label("Search description, merchant or notes")
    search.fill("cto")
    search.press("Enter")
    expect(shown(page.get_by_text("Page 1 of 1"))).to_be_visible(timeout=30_000)
    page.wait_for_timeout(1500)
    texts = _grid_texts(page)
    # 4 rows (the merchant column may be scrolled out of the drawn grid), each with its tick box
    assert texts.count("CTO") >= 4 and "BOI e2e" in texts and texts.count("false") == 4
    salary_before = texts.count("Income › Salary")
    grid = page.locator("[data-testid=stDataFrame]").first
    followed = page.get_by_text("and 3 similar uncategorized transaction(s) with it").first
    for attempt in range(3):  # keystrokes into the canvas grid can land while it redraws
        wait_idle(page)
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 120, box["y"] + 52)  # first row, Date (after the tick box)
        for _ in range(4):  # -> the Category column (after date, description, amount, currency)
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")  # opens the cell's selectbox
        page.wait_for_timeout(700)
        page.keyboard.type("Salary")
        page.wait_for_timeout(700)
        page.keyboard.press("Enter")
        # the three other CTO rows were uncategorized: they follow the correction at once
        try:
            expect(followed).to_be_visible(timeout=20_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    wait_idle(page)
    page.wait_for_timeout(1500)
    assert _grid_texts(page).count("Income › Salary") == 4

    # bulk: tick two rows in the first column, tag them both
    grid = page.locator("[data-testid=stDataFrame]").first
    box = grid.bounding_box()
    for row in (0, 1):
        page.mouse.click(box["x"] + 37, box["y"] + 52 + 35 * row)
        page.wait_for_timeout(700)
    expect(shown(page.get_by_text("2 selected"))).to_be_visible(timeout=30_000)
    action = page.get_by_role("combobox", name="Action", exact=True)
    action.click()
    action.fill("Add tag")
    page.get_by_role("option").filter(has_text="Add tag").first.click()
    wait_idle(page)
    page.get_by_label("Tag", exact=True).fill("e2e")
    page.get_by_label("Tag", exact=True).press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Apply to 2").click()
    expect(shown(page.get_by_text("Tagged 2 transactions “e2e”."))).to_be_visible(timeout=30_000)
    # and undo that, then the correction before it: the table's changes, newest first
    expect(shown(page.get_by_text("Last bulk action: Tagged 2 transactions “e2e”. (1 earlier can"
                                  " be undone after it, newest first.)"))).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Undo", exact=True).click()
    expect(shown(page.get_by_text("Undone: 2 transactions put back as before."))
           ).to_be_visible(timeout=30_000)
    expect(shown(page.get_by_text(re.compile(
        r"^Last change: .+ filed under Income › Salary, and 3 similar with it\.$")))
           ).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Undo", exact=True).click()
    expect(shown(page.get_by_text("Undone: 4 transactions put back as before."))
           ).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Undo", exact=True)).to_have_count(0)
    wait_idle(page)
    page.wait_for_timeout(1500)
    assert _grid_texts(page).count("Income › Salary") == salary_before  # as before the edit

    # Row details: tag and exclude one row, then undo it: the boxes show the row as stored
    # again (the browser keeps a widget's typed value unless the app sets it)
    page.get_by_text("Row details: merchant, split, tags, exclude").first.click()
    wait_idle(page)
    _choose(page, "Edit a transaction", "CTO")
    wait_idle(page)
    tags = shown(page.get_by_label("Tags (comma separated)"))
    tags.fill("payroll, e2e")
    tags.press("Enter")
    wait_idle(page)
    page.get_by_text("Exclude from spending and income").first.click()
    wait_idle(page)
    page.get_by_role("button", name="Save tags and exclusion").click()
    expect(shown(page.get_by_text(re.compile(r"^Saved the tags and exclusion of .*CTO")))
           ).to_be_visible(timeout=30_000)
    expect(shown(page.get_by_text(re.compile(r"^Last change: the tags and exclusion of .*CTO.* saved\.$")))
           ).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Undo", exact=True).click()
    expect(shown(page.get_by_text("Undone: 1 transaction put back as before."))
           ).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(shown(page.get_by_label("Tags (comma separated)"))).to_have_value("")
    # the switch's input is drawn over (not "visible" itself): the first match after the rerun
    expect(page.get_by_label("Exclude from spending and income").first).not_to_be_checked()

    # rename the merchant of all four CTO rows (and, by a rule, of future imports), then undo:
    # the name box shows the stored name again
    name = shown(page.get_by_label("Merchant name", exact=True))
    expect(name).to_have_value("CTO")
    expect(shown(page.get_by_text("4 transactions are named CTO."))).to_be_visible(timeout=30_000)
    name.fill("Acme payroll")
    name.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Rename merchant").click()
    expect(shown(page.get_by_text("Renamed CTO to Acme payroll on 4 transactions. Rule “Rename CTO"
                                  " → Acme payroll” added: future imports get the new name."))
           ).to_be_visible(timeout=30_000)
    expect(shown(page.get_by_label("Merchant name", exact=True))).to_have_value("Acme payroll")
    page.get_by_role("button", name="Undo", exact=True).click()
    expect(shown(page.get_by_text("Undone: 4 transactions put back as before."))
           ).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(shown(page.get_by_label("Merchant name", exact=True))).to_have_value("CTO")

    # Merchants: the bank's two names of one cash machine are offered for a merge; merge, undo
    page.get_by_role("tab", name="Merchants").click()
    expect(shown(page.get_by_text("ATM and ATMD (3 transactions): one name is the other plus a"
                                  " letter or two."))).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Merge into ATM", exact=True).click()
    expect(shown(page.get_by_text(re.compile(r"^Renamed ATMD to ATM on 2 transactions\..*"
                                             r"ATM was already a merchant: they are one now\.$")))
           ).to_be_visible(timeout=30_000)
    wait_idle(page)
    shown(page.locator(".st-key-mc_undo button")).click()  # a stale copy may linger in a rerun
    expect(shown(page.get_by_text("Undone: 2 transactions back to their earlier name."))
           ).to_be_visible(timeout=30_000)
    expect(shown(page.get_by_text("ATM and ATMD (3 transactions)", exact=False))).to_be_visible()
    wait_idle(page)

    # undo the import that brought the 27 rows (a rerun may reset the tab: retry)
    for attempt in range(3):
        page.get_by_role("tab", name="Import").click()
        try:
            expect(shown(page.get_by_label("Undo an import (removes its transactions)"))
                   ).to_be_visible(timeout=15_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
    wait_idle(page)
    _choose(page, "Undo an import", "· 27 rows")
    page.get_by_role("button", name="Undo this import").click()
    expect(shown(page.get_by_text("Import undone: 27 transaction(s) removed."))).to_be_visible(timeout=30_000)
    page.get_by_role("tab", name="Transactions").click()
    expect(shown(page.get_by_text("No transactions match."))).to_be_visible(timeout=30_000)

"""End to end in a real browser: the categorizer's "Needs review" queue.

Starts ``python -m app`` with its job process on a fresh data dir, imports the real labeled
South-African export (its merchants are unknown to the demo household's history) for the demo
user with ``python -m app import``, and waits until the job has categorized it. Then, in
Chromium: the Needs review tab lists merchants with their explanation and one-click
suggestions (with confidences); one click files the merchant, the toast says so, and the
merchant leaves the queue; "Undo" brings it back.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from launch import (
    ROOT,
    app_env,
    chromium_page,
    free_port,
    open_page,
    shown,
    sign_in,
    start_app,
    stop_app,
    wait_idle,
)

pytestmark = pytest.mark.e2e
LABELED = ROOT.parent / "shared" / "data" / "labeled" / "yassirawad_za_labeled" / "data" / \
    "transactions.csv"
SUGGESTION = re.compile(r"^.+ \(\d{1,3}%\)$")


def _import(data_dir: Path, database_url: str | None, email: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "app", "import", str(LABELED), "--account",
                           "ZA e2e", "--user", email, "--json"], cwd=ROOT,
                          env=app_env(data_dir, database_url), capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_review_queue_one_click_files_a_merchant(tmp_path: Path, database_url) -> None:
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    proc = start_app(tmp_path, port, database_url)
    try:
        creds = json.loads((tmp_path / "demo-credentials.json").read_text())
        summary = _import(tmp_path, database_url, creds["email"])
        assert summary["n_imported"] > 400
        with sync_playwright() as p, chromium_page(
                p, "review", viewport={"width": 1400, "height": 1100}) as page:
            _flow(page, port, creds, expect)
    finally:
        if proc.poll() is None:
            print("app output (last 60 lines):\n" + "\n".join(stop_app(proc).splitlines()[-60:]))


def _suggestions(page):
    return page.get_by_role("button", name=SUGGESTION)


def _flow(page, port: int, creds: dict, expect) -> None:
    sign_in(page, port, creds["email"], creds["password"], expect)
    open_page(page, "Transactions", "Transactions", expect)
    deadline = time.time() + 240  # the job categorizes the import within a poll or two
    while True:
        page.get_by_role("tab", name="Needs review").click()
        wait_idle(page)
        if _suggestions(page).count():
            break
        assert time.time() < deadline, "nothing reached the review queue"
        page.wait_for_timeout(5000)
        page.reload(wait_until="domcontentloaded")
        expect(shown(page.get_by_role("heading", name="Transactions"))).to_be_visible(
            timeout=60_000)
    expect(shown(page.get_by_text("Ordered by how much one decision helps"))).to_be_visible(timeout=30_000)
    card = page.locator("[class*='st-key-rv-card-']").first  # the most helpful decision
    title = card.locator("strong").first.inner_text()  # the merchant
    caption = card.locator("[data-testid=stCaptionContainer]").first.inner_text()
    assert " — " in caption and "no explanation" not in caption  # example — why
    button = card.get_by_role("button", name=SUGGESTION).first
    label = button.inner_text()
    category = label.rsplit(" (", 1)[0]
    percent = int(label.rsplit("(", 1)[1].rstrip("%)"))
    assert 0 <= percent < 100  # it is here because the model was not sure
    button.click()
    expect(shown(page.get_by_text(f"{title}: filed under {category}"))).to_be_visible(
        timeout=30_000)
    wait_idle(page)
    merchant_card = page.locator("strong").filter(has_text=re.compile(f"^{re.escape(title)}$"))
    expect(merchant_card).to_have_count(0, timeout=30_000)
    # a mis-click is undone: the merchant comes back to the queue as it was
    expect(shown(page.get_by_text(f"Last decision: {title}: filed under {category}"))
           ).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Undo", exact=True).click()
    expect(shown(page.get_by_text(re.compile(r"^Undone: \d+ transactions? back as before"))
                 )).to_be_visible(timeout=30_000)
    wait_idle(page)
    expect(merchant_card.first).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Undo", exact=True)).to_have_count(0)

"""The time-ordered online evaluation CLI on the real labeled file and on demo data."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from ml.evaluate import load_labeled_csv, parse_amount, prepare_labeled

ROOT = Path(__file__).resolve().parents[2]
LABELED = ROOT / ".." / "shared" / "data" / "labeled" / "yassirawad_za_labeled" / "data" / \
    "transactions.csv"
METRICS = {"accuracy", "macro_f1", "coverage", "precision_at_threshold", "ece", "n"}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ml.evaluate", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def labeled_report() -> dict:
    proc = _cli("--labeled", str(LABELED), "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def test_cli_json_reports_model_and_baseline(labeled_report):
    rep = labeled_report
    assert {"model", "baseline", "n_rows", "n_categories", "error_reduction"} <= set(rep)
    assert METRICS <= set(rep["model"]) and METRICS <= set(rep["baseline"])
    assert rep["n_rows"] == rep["model"]["n"] == rep["baseline"]["n"] == 451
    assert rep["n_categories"] == 44
    assert rep["baseline"]["coverage"] == 1.0  # the SVM applies every guess


def test_online_calibration_and_accuracy_on_real_data(labeled_report):
    model, base = labeled_report["model"], labeled_report["baseline"]
    assert model["ece"] < 0.1
    assert model["accuracy"] > base["accuracy"]
    assert labeled_report["error_reduction"] > 0
    assert model["precision_at_threshold"] >= 0.9
    assert model["coverage"] > 0.3


def test_cli_demo_and_text_output():
    proc = _cli("--demo", "--months", "3", "--block", "50")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "model" in proc.stdout and "baseline" in proc.stdout and "ECE" in proc.stdout


def test_cli_rejects_a_file_without_usable_rows(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("date,description,amount,category\n,,,\n")
    proc = _cli("--labeled", str(empty), "--json")
    assert proc.returncode == 1 and "no usable" in proc.stderr


@pytest.mark.parametrize(("raw", "expected"), [
    ("-1 300.00", Decimal("-1300.00")), ("Bank -3.00", Decimal("-3.00")),
    ("470010 -0.80", Decimal("-0.80")), ("22.85", Decimal("22.85")), ("Bank", None),
    ("", None), (-12.5, Decimal("-12.5")),
])
def test_parse_amount(raw, expected):
    assert parse_amount(raw) == expected


def test_prepare_labeled_parses_the_messy_real_file():
    raw = load_labeled_csv(LABELED)
    data, dropped = prepare_labeled(raw)
    assert dropped == 0 and len(data) == len(raw) == 451
    assert data["date"].is_monotonic_increasing and data["date"].notna().all()
    assert data["amount"].notna().sum() == 450  # one row has no number in its amount field
    assert set(data.columns) == {"date", "description", "amount", "category"}
    renamed = prepare_labeled(pd.DataFrame({"Date": ["2023-01-02T00:00:00", "bad"],
                                            "Description": ["x", "y"], "Amount": ["1", "2"],
                                            "Category": ["A", "B"]}))
    assert len(renamed[0]) == 1 and renamed[1] == 1

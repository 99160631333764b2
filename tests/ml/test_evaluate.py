"""The time-ordered online evaluation CLI on the real labeled file and on demo data."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ml.categorizer import TransactionCategorizer
from ml.evaluate import error_reduction_interval, feature_columns, load_labeled_csv
from ml.labeled_data import parse_amount, prepare_labeled, read_labeled_text

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
    assert METRICS <= set(rep["rules"]) and rep["rules"]["n"] == 451
    for name in ("model", "baseline", "rules"):  # what each leaves to the user
        m = rep[name]
        assert m["asked"] == round((1 - m["coverage"]) * 451)
        applied = 451 - m["asked"]
        assert m["silent_errors"] == round(applied * (1 - (m["precision_at_threshold"] or 0)))
    assert rep["baseline"]["asked"] == 0 and rep["baseline"]["silent_errors"] == 201
    # the model asks about fewer rows than the rules and files fewer wrongly than the SVM
    assert rep["model"]["asked"] < rep["rules"]["asked"]
    assert rep["model"]["silent_errors"] < rep["baseline"]["silent_errors"] / 5


def test_online_calibration_and_accuracy_on_real_data(labeled_report):
    model, base = labeled_report["model"], labeled_report["baseline"]
    assert model["ece"] < 0.1
    ref = model["ece_if_calibrated"]
    assert 0 < ref["median"] < ref["p90"] < 0.1  # 451 rows: ECE has a noise floor
    lo, hi = labeled_report["error_reduction_interval"]
    assert lo < labeled_report["error_reduction"] < hi
    assert model["accuracy"] > base["accuracy"]
    assert labeled_report["error_reduction"] > 0
    assert model["precision_at_threshold"] >= 0.9
    assert model["coverage"] > 0.25


def test_auto_applied_figures_apart_for_known_and_new_merchants(labeled_report):
    """Thresholds are chosen apart for merchants seen before and new ones (as the job applies
    them); the report splits the figures the same way and they add up to the overall ones."""
    model = labeled_report["model"]
    known, new = model["by_merchant"]["known"], model["by_merchant"]["new"]
    assert known["n"] + new["n"] == model["n"] == 451 and known["n"] > 100 and new["n"] > 100
    applied = known["coverage"] * known["n"] + new["coverage"] * new["n"]
    assert applied == pytest.approx(model["coverage"] * model["n"])
    assert known["accuracy"] > 0.9 > 0.6 > new["accuracy"]  # why one level cannot serve both
    assert known["precision_at_threshold"] >= 0.95
    assert new["precision_at_threshold"] is None or new["precision_at_threshold"] >= 0.9
    # the levels the job would apply next are a whole-file fit's; the track record's apart
    # (to 1e-3: where the CPU has bfloat16 the encoder uses it, and an embedding then depends
    # a little on the batch it was encoded in; the evaluation encodes block by block)
    fitted = TransactionCategorizer().fit(*_za_rows())
    assert model["final_threshold"] == pytest.approx(fitted.auto_apply_threshold_, abs=1e-3)
    assert model["final_threshold_new_merchant"] == pytest.approx(fitted.new_merchant_threshold_,
                                                                  abs=1e-3)
    assert 0.5 <= model["final_threshold"] < 1.0  # 451 rows: known merchants' level measured
    track = model["track_record"]
    assert 0.5 <= track["final_threshold"] <= 1.0
    assert 0.5 <= track["final_threshold_new_merchant"] <= 1.0


def _za_rows() -> tuple[pd.DataFrame, pd.Series]:
    data, _ = prepare_labeled(load_labeled_csv(LABELED))
    return data[feature_columns(data)], data["category"]


def test_coverage_ceiling_bounds_what_the_thresholds_applied(labeled_report):
    """Thresholds chosen before the outcomes apply less, at the target precision, than the
    best fixed ones chosen after them (beyond it only by luck); and that is at most
    accuracy / target."""
    model = labeled_report["model"]
    assert model["coverage"] <= model["coverage_ceiling"] <= model["accuracy"] / 0.95


def test_coverage_ceiling():
    from ml.calibration import coverage_ceiling

    conf = [0.99, 0.98, 0.97, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]
    ok = [True, True, True, True, False, True, True, False, False, False]
    assert coverage_ceiling(ok, conf, 0.95) == 0.4  # the top 4 are right; the 5th is not
    assert coverage_ceiling(ok, conf, 0.85) == 0.7  # 6 of the top 7 (0.857); 6 of 8 is 0.75
    assert coverage_ceiling(ok, conf, 0.9) == 0.4  # 5 of 6 (0.833) falls short
    assert coverage_ceiling([False, True], [0.9, 0.8], 0.95) == 0.0
    # tied confidences go together: a threshold cannot split them
    assert coverage_ceiling([True, True, False], [0.9, 0.8, 0.8], 0.95) == pytest.approx(1 / 3)
    assert coverage_ceiling([], [], 0.95) == 0.0
    # a threshold per kind of merchant: the known merchants' 0.6 guesses are right, a new
    # merchant's 0.9 guess is not; one threshold cannot take the first without the second
    ok, conf = [True, False, True, True], [0.95, 0.9, 0.6, 0.6]
    assert coverage_ceiling(ok, conf, 0.95) == 0.25
    assert coverage_ceiling(ok, conf, 0.95, known=[False, False, True, True]) == 0.75
    assert coverage_ceiling(ok, conf, 0.95, known=[True] * 4) == 0.25


def test_error_reduction_interval_resamples_blocks():
    rng = np.random.default_rng(0)
    base_ok = rng.random(500) < 0.6
    model_ok = base_ok | (rng.random(500) < 0.5)  # fixes about half the baseline's errors
    point = 1 - (~model_ok).sum() / (~base_ok).sum()
    lo, hi = error_reduction_interval(model_ok, base_ok, 25)
    assert lo < point < hi and 0.2 < lo and hi < 0.8
    lo2, hi2 = error_reduction_interval(np.tile(model_ok, 16), np.tile(base_ok, 16), 25)
    assert hi2 - lo2 < (hi - lo) / 2  # 16 times the blocks, a quarter of the width
    assert error_reduction_interval(base_ok, base_ok, 25) == [0.0, 0.0]
    assert error_reduction_interval(model_ok, np.ones(500, bool), 25) is None


def test_cli_demo_and_text_output():
    proc = _cli("--demo", "--months", "3", "--block", "50")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "model" in proc.stdout and "baseline" in proc.stdout and "ECE" in proc.stdout
    assert "perfectly calibrated model" in proc.stdout and "90% interval" in proc.stdout
    assert "rules " in proc.stdout and "wrongly without asking" in proc.stdout
    assert "1 earlier: n" in proc.stdout
    # the levels the job applies next, as a fit on all three months measures them
    assert re.search(r"what the job applies next\): known merchants (from \d+\.\d%|none "
                     r"applied yet), new merchants (from \d+\.\d%|none applied yet)",
                     proc.stdout)


def test_cli_rejects_a_file_without_usable_rows(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("date,description,amount,category\n,,,\n")
    proc = _cli("--labeled", str(empty), "--json")
    assert proc.returncode == 1 and "no usable" in proc.stderr


def test_cli_names_missing_columns_and_missing_files_without_a_traceback(tmp_path):
    odd = tmp_path / "odd.csv"
    odd.write_text("when,what,how much\n2024-01-02,TESCO,-3.50\n")
    proc = _cli("--labeled", str(odd))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{odd}: labeled data needs columns ['date', 'description', 'category']" in proc.stderr
    assert "the file has ['when', 'what', 'how much']" in proc.stderr
    proc = _cli("--labeled", str(tmp_path / "missing.csv"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "missing.csv" in proc.stderr


def test_plural_category_and_label_headers_are_understood():
    """A real Commonwealth Bank export labelled by hand calls the column "Categories"."""
    text = ("Date,Narrative,Debit Amount,Credit Amount,Categories\n"
            "2020-01-01,TOURIST CAFE COOMA AU,-69.5,,DinnerBars\n"
            "2020-01-02,Direct Credit 123 SALARY,,2500.00,Salary\n")
    from ml.labeled_data import read_labeled_text

    data = prepare_labeled(read_labeled_text(text))[0]
    assert list(data["category"]) == ["DinnerBars", "Salary"]
    assert list(data["amount"]) == [-69.5, 2500.0]
    assert list(data["description"]) == ["TOURIST CAFE COOMA AU", "Direct Credit 123 SALARY"]


def test_rows_labeled_uncategorized_count_as_unlabeled(caplog):
    """Mint exports the rows nobody filed as "Uncategorized"; the product reserves that name
    for "no category", so such rows are no labels (dropped and counted), whatever the case."""
    from ml.labeled_data import read_labeled_text

    text = ("Date,Description,Amount,Transaction Type,Category\n"
            "1/02/2024,TRADER JOE S #546 RALEIGH NC,38.70,debit,Groceries\n"
            "1/03/2024,CAT CASH DIVIDEND USD 1.30 PER SHARE,13.00,credit,Uncategorized\n"
            "1/04/2024,OPENAI *CHATGPT SUBSCR,20.00,debit,uncategorised\n"
            "1/05/2024,DUKE ENERGY,88.10,debit,Utilities\n")
    with caplog.at_level("INFO", logger="ml.labeled_data"):
        data, dropped = prepare_labeled(read_labeled_text(text))
    assert dropped == 2 and "(2 of them labeled as unfiled" in caplog.text
    assert list(data["category"]) == ["Groceries", "Utilities"]
    assert list(data["amount"]) == [-38.7, -88.1]


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


@pytest.mark.parametrize(("raw", "comma", "expected"), [
    ("1.234,56", True, Decimal("1234.56")), ("1 234,56", True, Decimal("1234.56")),
    ("-3,00", True, Decimal("-3.00")), ("€ 12,5", True, Decimal("12.5")),
    ("(12.50)", False, Decimal("-12.50")), ("12.50-", False, Decimal("-12.50")),
    ("- $220.00", False, Decimal("-220.00")), ("$20,053.01", False, Decimal("20053.01")),
    ("11'373.94", False, Decimal("11373.94")), ("100.00 DR", False, Decimal("-100.00")),
])
def test_parse_amount_in_other_notations(raw, comma, expected):
    assert parse_amount(raw, comma) == expected


def _dialect(frame: pd.DataFrame, kind: str) -> str:
    """The real file re-written the way other banks and tools export labeled data."""
    out = pd.DataFrame()
    dates = pd.to_datetime(frame["date"], format="mixed")
    amounts = frame["amount"].astype(float)
    if kind == "semicolon-comma-dayfirst":
        out["Booking date"] = dates.dt.strftime("%d.%m.%Y")
        out["Details"] = frame["description"]
        out["Amount (ZAR)"] = [f"{a:.2f}".replace(".", ",") for a in amounts]
        out["Category"] = frame["category"]
        return out.to_csv(sep=";", index=False)
    if kind == "mint":  # Mint's export: unsigned amounts, the sign in "Transaction Type"
        out["Date"] = [f"{d.month}/{d.day}/{d.year}" for d in dates]
        out["Description"] = frame["description"]
        out["Original Description"] = frame["description"].str.upper()
        out["Amount"] = [f"{abs(a):,.2f}" for a in amounts]
        out["Transaction Type"] = ["debit" if a < 0 else "credit" for a in amounts]
        out["Category"] = frame["category"]
        return out.to_csv(index=False, lineterminator="\r")
    out["Transaction Date"] = dates.dt.strftime("%m/%d/%Y")
    out["Memo"] = frame["description"]
    out["Debit"] = [f"{-a:,.2f}" if a < 0 else "" for a in amounts]
    out["Credit"] = [f"{a:,.2f}" if a >= 0 else "" for a in amounts]
    out["Label"] = frame["category"]
    return out.to_csv(sep="\t", index=False)


@pytest.mark.parametrize("kind", ["semicolon-comma-dayfirst", "tab-debit-credit-monthfirst", "mint"])
def test_other_dialects_of_the_real_file_read_the_same(tmp_path, kind):
    reference, _ = prepare_labeled(load_labeled_csv(LABELED))
    reference = reference.dropna(subset=["amount"]).reset_index(drop=True)
    path = tmp_path / f"{kind}.csv"
    path.write_text(_dialect(reference, kind), encoding="utf-8")
    data, dropped = prepare_labeled(load_labeled_csv(path))
    assert dropped == 0 and len(data) == len(reference) == 450
    assert (data["date"].dt.date == reference["date"].dt.date).all()
    assert (data["description"] == reference["description"]).all()
    assert (data["category"] == reference["category"]).all()
    assert np.allclose(data["amount"], reference["amount"].round(2))


def test_missing_columns_are_named_with_what_the_file_has():
    with pytest.raises(ValueError, match=r"needs columns \['category'\]; the file has \['Date', 'Memo'"):
        prepare_labeled(pd.DataFrame({"Date": ["2024-01-01"], "Memo": ["x"], "Amount": ["1"]}))


def test_a_real_mint_export_with_cr_line_ends_reads(shared_data):
    path = shared_data / "statements" / "csv2ofx" / "data" / "test" / "mint.csv"
    data, dropped = prepare_labeled(load_labeled_csv(path))
    assert dropped == 0 and list(data["amount"]) == [-1000.0, -1500.0, 2000.0, -2500.0]
    assert list(data["category"]) == ["Checking", "Savings", "Savings", "Savings"]
    assert "account" in data.columns and data["account"].str.len().gt(0).all()  # "Account Name"


def test_merchant_and_account_columns_reach_the_model_when_the_file_has_them():
    from ml.evaluate import feature_columns

    both = prepare_labeled(pd.DataFrame({
        "Date": ["2024-01-02", "2024-01-03"], "Description": ["CARD 1234 TESCO", "DD NETFLIX"],
        "Payee": ["Tesco", "Netflix"], "Account": ["Current", "Card"], "Amount": ["-5", "-9"],
        "Category": ["Groceries", "Streaming"]}))[0]
    assert list(both["merchant"]) == ["Tesco", "Netflix"]
    assert list(both["account"]) == ["Current", "Card"]
    assert feature_columns(both) == ["date", "description", "amount", "merchant", "account"]
    # a file whose only text column is the payee uses it as the description
    payee_only = prepare_labeled(pd.DataFrame({
        "Date": ["2024-01-02"], "Payee": ["Tesco"], "Amount": ["-5"], "Category": ["Food"]}))[0]
    assert list(payee_only["description"]) == ["Tesco"] and "merchant" not in payee_only
    assert feature_columns(payee_only) == ["date", "description", "amount"]


def test_a_ynab_register_export_reads_with_its_payees_and_outflow_inflow():
    """YNAB writes the payee in ``Payee``, an optional memo in ``Memo`` and the money in
    ``Outflow`` / ``Inflow``: a row without a memo is described by its payee (it was dropped as
    undescribed), and the columns give signed amounts (they were not read at all)."""
    from ml.row_inputs import lines_read

    text = ('"Account","Flag","Date","Payee","Category Group/Category","Category Group",'
            '"Category","Memo","Outflow","Inflow","Cleared"\n'
            '"Checking","","01/15/2024","Tesco","Everyday: Groceries","Everyday","Groceries",'
            '"","€12.30","€0.00","Cleared"\n'
            '"Checking","","01/16/2024","Shell","Everyday: Fuel","Everyday","Fuel",'
            '"weekend trip","€40.00","€0.00","Cleared"\n'
            '"Checking","","01/31/2024","Employer","Inflow: Ready to Assign","Inflow",'
            '"Ready to Assign","","€0.00","€2,000.00","Cleared"\n')
    data, dropped = prepare_labeled(read_labeled_text(text))
    assert dropped == 0
    assert list(data["description"]) == ["Tesco", "weekend trip", "Employer"]
    assert list(data["merchant"]) == ["Tesco", "Shell", "Employer"]
    assert list(data["amount"]) == [-12.3, -40.0, 2000.0]
    assert list(data["category"]) == ["Groceries", "Fuel", "Ready to Assign"]
    assert list(data["date"].dt.day) == [15, 16, 31]
    # the memo and the payee are both read by the model
    assert list(lines_read(data["description"].to_numpy(dtype=object),
                           data["merchant"].to_numpy(dtype=object))) == [
        "Tesco", "Shell · weekend trip", "Employer"]


def test_breakdown_groups_rows_by_what_was_known_before_their_block():
    from ml.evaluate import breakdown
    from ml.payee_rules import payee_keys

    desc = pd.Series(["TESCO 1", "NETFLIX", "TESCO 2", "SHELL", "NETFLIX", "RENT"])
    y = np.array(["Groceries", "TV", "Groceries", "Fuel", "TV", "Housing"], dtype=object)
    model = ["Groceries", "TV", "Groceries", "Groceries", "TV", "Housing"]
    base = ["Groceries", "Groceries", "Groceries", "Groceries", "TV", "TV"]
    keys = payee_keys(pd.DataFrame({"date": pd.date_range("2024-01-01", periods=6),
                                    "description": desc, "amount": -10.0}))
    out = breakdown(keys, y, model, base, block=2)
    # block 1 (rows 0-1): nothing known; block 2: Tesco seen, Shell a new category ...
    assert out["new_category"]["n"] == 4  # Groceries, TV, Fuel, Housing at first sight
    assert out["merchant_seen"] == {"n": 2, "model_accuracy": 1.0, "baseline_accuracy": 1.0}
    assert out["new_merchant"] == {"n": 0, "model_accuracy": None, "baseline_accuracy": None}
    assert out["new_category"]["model_accuracy"] == 0.75


def test_cold_start_nothing_is_auto_applied_before_precision_can_be_measured():
    """A user who has filed 1-10 transactions: a fixed 0.9 threshold would file guesses that
    are far less than 95% right on this real file; the model's own threshold applies none."""
    from ml.cold_start import cold_start_evaluation

    data, _ = prepare_labeled(load_labeled_csv(LABELED))
    rows = cold_start_evaluation(data, sizes=(1, 10), stride=60)
    assert [r["labeled_rows"] for r in rows] == [1, 10]
    for r in rows:
        assert r["predictions"] == 25 * len(range(0, len(data) - r["labeled_rows"] - 25 + 1, 60))
        assert 0 <= r["accuracy"] <= 1 and 0 <= r["ece"] <= 1
        assert r["share_auto_applied"] == 0.0 and r["precision_auto_applied"] is None
    # what a fixed 0.9 would have applied after 10 decisions: well short of 95% precision
    assert rows[1]["share_at_0_9"] > 0.1 and rows[1]["precision_at_0_9"] < 0.95


def test_cli_cold_start_text_and_json():
    proc = _cli("--demo", "--months", "2", "--cold-start", "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = json.loads(proc.stdout)
    assert [r["labeled_rows"] for r in rows] == [1, 3, 10, 30]
    assert {"accuracy", "ece", "share_at_0_9", "precision_auto_applied"} <= set(rows[0])
    text = _cli("--demo", "--months", "2", "--cold-start")
    assert text.returncode == 0 and "auto-applied (precision)" in text.stdout

"""Where the real statement files are, and which of them must be rejected (and why).

The table is explicit on purpose: a change that starts rejecting a good file, or starts
accepting a broken one, fails ``test_import_all_files.py``.
"""

from __future__ import annotations

from pathlib import Path

STATEMENTS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "statements"

_NO_TXN = "expected at least one transaction"
_FAKE_DATES = "line 2, field 'date': expected a date between 1970"
_NOT_STATEMENT = "expected a bank, credit card or investment statement"
_UNKNOWN = "expected a bank statement in CSV, OFX/QFX, QIF, MT940/MT942 or camt.052/053/054 format"

# file (relative to STATEMENTS) -> fragment the error message must contain
EXPECTED_REJECTIONS: dict[str, str] = {
    # anonymized exports: every date is 1111/11/11
    "bank2ynab/test/test-data/TH_20180101-20180523_page_1.csv": _FAKE_DATES,
    "bank2ynab/test/test-data/TH_20180101-20180523_strana_1.csv": _FAKE_DATES,
    "bank2ynab/test/test-data/TH_20180521-20180523.csv": _FAKE_DATES,
    # camt: no statement element / a statement without entries
    "camt_genkgo/test/data/camt053.v2.wrong.xml": "expected a camt.053 statement (Stmt/Rpt/Ntfctn element)",
    "camt_genkgo/test/data/camt53.only-Dt-with-DtTm.xml": _NO_TXN,
    # OFX documents that are not statements, or statements without transactions
    "csv2ofx/data/example/transfer_example.ofx": "got 'a transfer response (INTRARS)'",
    "ofxparse/tests/fixtures/account_listing_aggregation.ofx": "got 'an account list (ACCTINFORS)'",
    "ofxparse/tests/fixtures/bank_small.ofx": "got 'an empty OFX document'",
    "ofxparse/tests/fixtures/error_message.ofx": "the bank reported: General Server Error",
    "ofxparse/tests/fixtures/signon_fail.ofx": "the bank reported: Your request could not be processed",
    "ofxparse/tests/fixtures/signon_success.ofx": "got 'a sign-on response only'",
    "ofxparse/tests/fixtures/signon_success_no_message.ofx": "got 'a sign-on response only'",
    "ofxparse/tests/fixtures/multiple_accounts.ofx": _NO_TXN,
    "ofxparse/tests/fixtures/multiple_accounts2.ofx": _NO_TXN,
    "ofxparse/tests/fixtures/td_ameritrade.ofx": _NO_TXN,
    "ofxparse/tests/fixtures/tiaacref.ofx": "skipped 1 investment record(s) without a cash amount",
    # malformed OFX transactions
    "ofxparse/tests/fixtures/fail_nice/date_missing.ofx": "line 33, field 'DTPOSTED': expected a date like "
    "20241231",
    "ofxparse/tests/fixtures/fail_nice/decimal_error.ofx": "line 34, field 'DTPOSTED': expected a date like "
    "20241231, got '201120000000'",
    "ofxparser_php/tests/fixtures/ofxdata-banking-xml200.ofx": "line 32, field 'DTPOSTED'",
    # MT940 fragments: tag tests without any :61: statement line, or not SWIFT at all
    "mt940/mt940_tests/requirements.txt": _UNKNOWN,
    "mt940/mt940_tests/self-provided/invalid_statement.sta": _UNKNOWN,
    "mt940/mt940_tests/betterplace/amount_formats.sta": _NO_TXN,
    "mt940/mt940_tests/betterplace/currency_in_25.sta": _NO_TXN,
    "mt940/mt940_tests/betterplace/empty_86.sta": _NO_TXN,
    "mt940/mt940_tests/betterplace/empty_line.sta": _NO_TXN,
    "mt940/mt940_tests/betterplace/missing_crlf_at_end.sta": _NO_TXN,
    "mt940/mt940_tests/cmxl/account_balance_credit.sta": _NO_TXN,
    "mt940/mt940_tests/cmxl/account_balance_debit.sta": _NO_TXN,
    "mt940/mt940_tests/cmxl/account_identification_iban.sta": _NO_TXN,
    "mt940/mt940_tests/cmxl/account_identification_legacy.sta": _NO_TXN,
    "mt940/mt940_tests/cmxl/available_balance.sta": _NO_TXN,
    "mt940/mt940_tests/cmxl/closing_balance.sta": _NO_TXN,
    "mt940/mt940_tests/cmxl/reference.sta": _NO_TXN,
    "mt940/mt940_tests/cmxl/statement_number.sta": _NO_TXN,
    "mt940/mt940_tests/self-provided/empty_non_swift.sta": _NO_TXN,
    "mt940/mt940_tests/self-provided/long_statement_number.sta": _NO_TXN,
    # QIF: empty, not QIF, lists without transactions, one investment record without cash
    "quiffen/tests/test_files/empty.qif": "got 'an empty file'",
    "quiffen/tests/test_files/invalid.txt": _UNKNOWN + ", got 'This is not a QIF file. I promise.'",
    "quiffen/tests/test_files/test_category_inherit.qif": _NO_TXN,
    "quiffen/tests/test_files/test_clear_autoswitch.qif": _NO_TXN,
    "quiffen/tests/test_files/test_nosymbol.qif": _NO_TXN,
    "quiffen/tests/test_files/test_option_autoswitch.qif": _NO_TXN,
    "quiffen/tests/test_files/test_unknown_account_type.qif": "skipped 1 investment record(s) that move "
    "no cash",
}


def statement_files() -> list[Path]:
    """Every statement file, sorted (licenses, READMEs, .conf and converted/ excluded)."""
    files = []
    for path in sorted(STATEMENTS.rglob("*")):
        if not path.is_file() or "converted" in path.parts:
            continue
        if path.name.startswith(("LICENSE", "README")) or path.suffix == ".conf":
            continue
        files.append(path)
    return files


def rel(path: Path) -> str:
    """Path relative to the statements folder, with forward slashes."""
    return path.resolve().relative_to(STATEMENTS.resolve()).as_posix()

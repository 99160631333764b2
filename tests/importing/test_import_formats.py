"""OFX/QFX, QIF, MT940/MT942 and camt.05x: values checked by hand against the real files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from core.importing import parse_statement

D = Decimal
OFXP = "ofxparse/tests/fixtures/"
PHP = "ofxparser_php/tests/fixtures/"
QIF = "quiffen/tests/test_files/"
MT = "mt940/mt940_tests/"
CAMT = "camt_genkgo/test/data/"


def test_ofx_sgml_checking(parse_file) -> None:
    result = parse_file(OFXP + "checking.ofx")
    assert result.file_format == "ofx" and result.currency == "USD" and result.account_hint == "1452687~7"
    txns = result.transactions
    assert [(t.date, t.amount, t.external_id) for t in txns] == [
        (dt.date(2011, 3, 31), D("0.01"), "0000486"),
        (dt.date(2011, 4, 5), D("-34.51"), "0000487"),
        (dt.date(2011, 4, 7), D("-25.00"), "0000488"),
    ]
    assert [t.line for t in txns] == [46, 54, 62]  # the <STMTTRN> lines
    assert txns[2].reference == "319" and txns[2].payee == "RETURNED CHECK FEE, CHECK # 319"
    assert "FOR $45.33" in txns[2].description and txns[2].raw.startswith("<STMTTRN>")


def test_ofx_one_line_with_closing_tags_empty_fitid_and_balance(parse_file) -> None:
    result = parse_file(OFXP + "ofx-v102-empty-tags.ofx")
    (txn,) = result.transactions
    assert (txn.date, txn.amount, txn.currency, txn.balance) == (
        dt.date(2018, 5, 7),
        D("12.34"),
        "AUD",
        D("123.45"),
    )
    assert txn.external_id is None and txn.description == "CBA:Transfer"
    assert "the ledger balance in the file is empty; ignored" in result.warnings


def test_ofx_self_closing_and_timezone_dates_stay_local(parse_file) -> None:
    result = parse_file(PHP + "ofxdata-selfclose.ofx")
    assert result.currency == "BRL" and len(result.transactions) == 5
    first = result.transactions[0]
    # DTPOSTED 20190918100000[-03:EST]: the bank's own calendar date, not shifted to UTC
    assert (first.date, first.amount, first.external_id) == (dt.date(2019, 9, 18), D("-70.00"), "20190918001")
    assert first.line == 40


def test_ofx_two_statements_and_ampersand_memo(parse_file) -> None:
    two = parse_file(PHP + "ofxdata-bb-two-stmtrs.ofx")
    assert len(two.transactions) == 36 and two.account_hint == "455000-5"
    assert any("2 accounts" in w for w in two.warnings)
    amp = parse_file(PHP + "ofxdata-memoWithAmpersand.ofx")
    assert amp.transactions[0].description == "Amazon.Com.Br Amazon & Cloud 3/3"
    assert amp.transactions[0].amount == D("-33.3")


def test_ofx_xml_investment_statement(parse_file) -> None:
    result = parse_file(PHP + "ofxdata-investments-xml.ofx")
    amounts = [t.amount for t in result.transactions]
    assert amounts[:3] == [D("-1000.0"), D("-545.88"), D("12.59")]  # buy, buy, dividend
    assert result.transactions[0].description.startswith("BUYMF 31.25")
    assert result.transactions[0].external_id == "100100"


def test_ofx_rejects_transactions_without_valid_date(parse_file) -> None:
    import pytest

    from core.importing import StatementParseError

    with pytest.raises(StatementParseError) as caught:
        parse_file(OFXP + "fail_nice/date_missing.ofx")
    assert (caught.value.line, caught.value.field) == (33, "DTPOSTED")
    empty_balance = parse_file(OFXP + "fail_nice/empty_balance.ofx")
    assert [(t.date, t.amount) for t in empty_balance.transactions] == [(dt.date(2011, 3, 8), D("120"))]


def test_qif_splits_keep_parent_amount(parse_file) -> None:
    result = parse_file(QIF + "test.qif")
    by_payee = {t.payee: t for t in result.transactions}
    amazon = by_payee["Amazon.com"]
    assert (amazon.date, amazon.amount) == (dt.date(2020, 2, 10), D("-100.00"))
    assert [s["amount"] for s in amazon.splits] == ["-50.00", "-25.00", "-10.00", "-15.00"]
    assert amazon.splits[0]["category"] == "Food:Groceries"
    assert "[split:" in amazon.description and amazon.merchant == "AMAZON.COM"
    mobile = by_payee["T-Mobile"]
    assert (mobile.date, mobile.amount, mobile.line) == (dt.date(2020, 2, 14), D("67.50"), 35)
    assert "Opening Balance" not in by_payee
    assert any("Opening Balance" in w for w in result.warnings)


def test_qif_us_dates_and_iso_dates(parse_file) -> None:
    apotheke = parse_file(QIF + "test_circular_reference.qif").transactions
    assert [(t.date, t.amount) for t in apotheke] == [
        (dt.date(2021, 8, 27), D("-9.00")),
        (dt.date(2021, 8, 27), D("-5.59")),
    ]
    iso = parse_file(QIF + "test_transaction_before_account_definition_1.qif").transactions
    assert [(t.date, t.amount) for t in iso] == [
        (dt.date(2022, 9, 23), D("-184.8")),
        (dt.date(2022, 9, 8), D("-13.16")),
    ]
    split = parse_file(QIF + "test_split.qif")
    assert split.transactions[0].date == dt.date(2000, 1, 1)
    assert split.transactions[0].splits[0] == {"category": "[An Account]", "amount": "-9.00", "memo": ""}


def test_mt940_abn_amro(parse_file) -> None:
    result = parse_file(MT + "jejik/abnamro.sta")
    txns = result.transactions
    assert len(txns) == 10 and result.account_hint == "517852257" and result.currency == "EUR"
    assert (txns[0].date, txns[0].amount, txns[0].line) == (dt.date(2011, 5, 24), D("-9"), 8)
    assert "KPN - DIGITENNE" in txns[0].description
    assert (txns[1].date, txns[1].amount) == (dt.date(2011, 5, 23), D("-11.59"))  # entry date 0523
    assert (txns[-1].date, txns[-1].amount, txns[-1].line) == (dt.date(2011, 5, 24), D("-15"), 38)


def test_mt940_credit_bank_reference_and_wrapped_61(parse_file) -> None:
    knab = parse_file(MT + "jejik/knab.sta").transactions
    assert (knab[0].date, knab[0].amount, knab[0].external_id) == (
        dt.date(2014, 5, 7),
        D("500"),
        "B4E07XM00J000023",
    )
    asn = parse_file(MT + "ASNB/0708271685_09022020_164516.940.txt")
    assert asn.transactions[0].amount == D("-65.00") and asn.account_hint == "NL81ASNB9999999999"
    assert "Betaling sieraden" in asn.transactions[0].description


def test_mt940_german_structured_details_and_february_30(parse_file) -> None:
    snippet = parse_file(MT + "betterplace/sepa_snippet.sta").transactions
    assert (snippet[0].amount, snippet[0].payee) == (D("50990.05"), "KARL KAUFMANN")
    feb = parse_file(MT + "self-provided/february_30.sta").transactions
    assert (feb[0].date, feb[0].amount) == (dt.date(2016, 3, 1), D("-6.00"))


def test_mt942_is_read_and_flagged_interim(parse_file) -> None:
    result = parse_file(MT + "mBank/mt942.sta")
    assert result.file_format == "mt942" and len(result.transactions) == 3
    assert result.transactions[0].external_id == "MB170119012058"
    assert any("interim" in w for w in result.warnings)


def test_camt053_multi_statement_and_sign(parse_file) -> None:
    result = parse_file(CAMT + "camt053.v2.multi.statement.xml")
    assert result.file_format == "camt.053" and result.account_hint == "NL26VAYB8060476890"
    assert [(t.date, t.amount) for t in result.transactions] == [
        (dt.date(2014, 12, 31), D("8.85")),
        (dt.date(2014, 12, 31), D("-7.00")),
    ]
    assert result.transactions[1].payee == "Company Name 2"  # creditor of an outgoing payment


def test_camt_versions_five_decimals_pending_and_reference(parse_file) -> None:
    five = parse_file(CAMT + "camt053.v2.five.decimals.xml").transactions[0]
    assert five.amount == D("8.850")
    report = parse_file(CAMT + "camt052.v4.xml")
    txn = report.transactions[0]
    assert report.file_format == "camt.052"
    assert (txn.amount, txn.currency, txn.pending) == (D("-200000"), "SEK", True)
    assert txn.external_id == "ACSR160614165200001"
    note = parse_file(CAMT + "camt054.v8.xml")
    assert note.file_format == "camt.054" and note.transactions[0].amount == D("-200000")


def test_format_detected_from_content_not_extension(statements_dir) -> None:
    data = (statements_dir / "bank2ynab/test/test-data/test_swedebank_statement.xls").read_bytes()
    assert parse_statement(data, "statement.ofx").file_format == "csv"
    mt = (statements_dir / MT / "jejik/sns.sta").read_bytes()
    assert parse_statement(mt, "export.csv").file_format == "mt940"

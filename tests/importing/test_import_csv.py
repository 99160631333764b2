"""CSV/TSV/semicolon/pipe exports: values checked by hand against the real files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.importing import StatementParseError, parse_statement

B2Y = "bank2ynab/test/test-data/"
D = Decimal


def test_rabobank_latin1_cr_cr_lf_and_broken_quote(parse_file) -> None:
    result = parse_file(B2Y + "CSV_A_20180414_112204.csv")
    assert [(t.date, t.amount) for t in result.transactions] == [
        (dt.date(2018, 3, 1), D("-337.49")),
        (dt.date(2018, 3, 14), D("50.00")),
        (dt.date(2018, 3, 16), D("-750.00")),
    ]
    first = result.transactions[0]
    assert first.balance == D("5257.28") and first.description == "RENTE LENING"
    assert first.external_id == "000000000000009565"  # "Volgnr" is unique per row
    assert result.transactions[1].payee == "Nederlandse Loterij Organisatie B.V."
    assert result.currency == "EUR"
    assert result.column_mapping["description"] == "Omschrijving-1+Omschrijving-2+Omschrijving-3"


def test_card_statement_with_pending_rows_pound_and_cr_flag(parse_file) -> None:
    result = parse_file(B2Y + "MS_JANE_SMITH_01-12-2019_14-12-2019.csv")
    txns = result.transactions
    assert len(txns) == 13 and result.currency == "GBP"
    assert [t.pending for t in txns[:4]] == [True, True, True, False]
    assert txns[0].amount == D("-67.40") and txns[0].date == dt.date(2019, 12, 12)
    assert any("pending row(s) had no date" in w for w in result.warnings)
    royal = next(t for t in txns if t.description.startswith("ROYAL LONDON"))
    assert royal.amount == D("-1183.23") and royal.date == dt.date(2019, 12, 12)
    assert txns[-1].amount == D("1100.00") and txns[-1].date == dt.date(2019, 12, 2)
    assert txns[-1].description == "PAYMENT RECEIVED - THANK YOU"


def test_swedbank_d_k_flag_and_summary_rows_skipped(parse_file) -> None:
    result = parse_file(B2Y + "test_swedebank_statement.xls")
    txns = result.transactions
    assert len(txns) == 13
    assert result.account_hint == "LT357300000000000000" and result.currency == "LTL"
    assert (txns[0].date, txns[0].amount, txns[0].payee) == (
        dt.date(2014, 10, 1),
        D("-15.31"),
        "X-911 MAXIMA",
    )
    salary = txns[-1]
    assert (salary.date, salary.amount, salary.payee) == (dt.date(2014, 10, 6), D("2863.63"), "UAB IMONE")
    assert "skipped 4 balance/total line(s) inside the table" in result.warnings
    assert not any("balance" in t.description.lower() for t in txns)


def test_separate_debit_credit_columns_with_header(parse_file) -> None:
    result = parse_file(B2Y + "test_BOI_TransactionExport.csv")
    txns = result.transactions
    assert len(txns) == 27
    assert (txns[0].amount, txns[0].balance) == (D("428.03"), D("100"))
    assert txns[2].description == "Random Bill" and txns[2].amount == D("-512.0")
    assert result.column_mapping["debit"] == "Debit" and result.column_mapping["credit"] == "Credit"


def test_header_junk_and_wrapped_description_lines(parse_file) -> None:
    result = parse_file(B2Y + "TransactionHistory_20180418043121.csv")
    txns = result.transactions
    assert len(txns) == 8 and all(t.amount < 0 for t in txns)
    assert (txns[0].date, txns[0].amount) == (dt.date(2018, 4, 18), D("-6.66"))
    assert "UBER EATS" in txns[0].description  # continuation line merged into its row
    assert "UBER EATS" in txns[0].merchant
    assert result.account_hint == "666-666666-666" and result.currency == "SGD"


def test_amount_plus_in_out_flag_headerless_with_bad_rows(parse_file) -> None:
    result = parse_file(B2Y + "test_row_format_CD_flag.csv")
    txns = result.transactions
    assert len(txns) == 70
    assert (txns[0].date, txns[0].amount) == (dt.date(2017, 9, 18), D("-33.87"))
    assert (txns[9].description, txns[9].amount) == ("Überweisung", D("24.00"))
    reasons = [(r.line, r.field, r.value) for r in result.rejected]
    assert reasons[0] == (71, "date (column 1)", "A null transaction, just to confuse things")
    assert [r[2] for r in reasons[1:]] == ["EUR", "EUR", "EUR"]  # flag column holds a currency
    assert result.mapping_confidence < 0.7  # headerless: the page should ask


def test_headerless_tab_separated_credit_and_debit_columns(parse_file) -> None:
    result = parse_file(B2Y + "test_delimiter_tab.csv")
    txns = result.transactions
    assert len(txns) == 73 and len(result.rejected) == 1
    assert txns[0].amount == D("-33.87")
    assert txns[9].amount == D("24.00")  # the only filled cell is in the first money column
    assert any("read as money out" in w for w in result.warnings)


def test_pipe_delimited_with_account_line_above(parse_file) -> None:
    result = parse_file(B2Y + "kta_ei.dat")
    txns = result.transactions
    assert len(txns) == 11 and result.currency == "EUR"
    assert (txns[0].date, txns[0].amount) == (dt.date(2019, 3, 11), D("-89.30"))
    assert txns[-1].date == dt.date(2019, 3, 13)


def test_sparkasse_dd_mm_yy_decimal_comma_and_pending(parse_file) -> None:
    one = parse_file("ofxstatement-sparkasse-freiburg/tests/data/simple1.csv")
    assert [(t.date, t.amount, t.pending) for t in one.transactions] == [
        (dt.date(2018, 3, 28), D("-1234.56"), True),
        (dt.date(2018, 3, 28), D("123.00"), False),
    ]
    assert one.transactions[0].payee == "ASDF Immobilien GmbH"
    two = parse_file("ofxstatement-sparkasse-freiburg/tests/data/simple2.csv")
    assert len(two.transactions) == 18
    assert (two.transactions[0].date, two.transactions[0].amount) == (dt.date(2018, 4, 3), D("-22.59"))
    assert two.transactions[1].payee == "EDEKA DÜBEL//THOMASINGEN/DE"  # latin-1 decoded


def test_legacy_code_pages_and_hungarian_flags(parse_file) -> None:
    czech = parse_file(B2Y + "Movements_1234512345_201805271848.csv")
    assert czech.column_mapping["amount"] == "Zaúčtovaná částka"  # cp1250
    assert (czech.transactions[0].amount, czech.currency) == (D("-1.00"), "CZK")
    hungarian = parse_file(B2Y + "W80844_EBH_201945.202122.csv")
    assert [(t.date, t.amount, t.balance) for t in hungarian.transactions] == [
        (dt.date(2019, 4, 19), D("-350"), D("2345.56")),
        (dt.date(2019, 4, 17), D("1290"), D("1055.56")),
    ]


def test_unsigned_single_amount_is_money_out_unless_told(parse_file) -> None:
    result = parse_file(B2Y + "dba33fceecd62c3c727893361e0ba4d3.P000000027355791.csv")
    assert (result.transactions[0].date, result.transactions[0].amount) == (dt.date(2018, 2, 27), D("-7.80"))
    assert any("unsigned" in w for w in result.warnings)
    as_is = parse_file(
        B2Y + "dba33fceecd62c3c727893361e0ba4d3.P000000027355791.csv", mapping={"sign": "as_is"}
    )
    assert as_is.transactions[0].amount == D("7.80")


def test_ubs_apostrophe_thousands_and_dollar_amounts(parse_file) -> None:
    ubs = parse_file("csv2ofx/data/test/ubs-ch-fr_trimmed.csv")
    assert [(t.date, t.amount, t.balance) for t in ubs.transactions] == [
        (dt.date(2019, 3, 31), D("-10.00"), D("11373.94")),
        (dt.date(2019, 2, 28), D("240.00"), D("11613.94")),
        (dt.date(2019, 4, 27), D("-200.00"), D("11413.94")),
    ]
    schwab = parse_file("csv2ofx/data/test/schwab-checking.csv")
    assert schwab.transactions[-1].balance == D("1036.47") and schwab.currency == "USD"


def test_mapping_override_and_unknown_column(parse_file) -> None:
    result = parse_file(
        "csv2ofx/data/test/outbank.csv", mapping={"description": "Posting Text", "reference": "#"}
    )
    assert result.column_mapping["description"] == "Posting Text"
    assert result.transactions[0].description == "Gutschrift aus Dauerauftrag"
    assert result.transactions[0].reference == "1"
    assert result.transactions[0].external_id is None  # a row counter is not the bank's id
    with pytest.raises(StatementParseError, match="field 'Nope'"):
        parse_file("csv2ofx/data/test/outbank.csv", mapping={"amount": "Nope"})


def test_mapping_a_role_to_nothing_clears_a_detected_column(parse_file) -> None:
    detected = parse_file("csv2ofx/data/test/outbank.csv")
    assert "payee" in detected.column_mapping
    assert any(t.payee for t in detected.transactions)
    cleared = parse_file("csv2ofx/data/test/outbank.csv", mapping={"payee": ""})
    assert "payee" not in cleared.column_mapping
    assert all(t.payee is None for t in cleared.transactions)
    assert [t.amount for t in cleared.transactions] == [t.amount for t in detected.transactions]
    assert cleared.column_mapping.get("date") == detected.column_mapping.get("date")


AMBIGUOUS = (
    b"Date,Description,Amount\n05/03/2021,Coffee,-3.50\n01/02/2021,Rent,-900.00\n04/06/2021,Salary,2500.00\n"
)


def test_ambiguous_dates_fall_back_to_documented_default_with_warning() -> None:
    result = parse_statement(AMBIGUOUS, "ambiguous.csv")
    assert [t.date for t in result.transactions] == [
        dt.date(2021, 3, 5),
        dt.date(2021, 2, 1),
        dt.date(2021, 6, 4),
    ]  # day-first: the default for '/' without a USD hint
    assert any("dates are ambiguous" in w and "day-first" in w for w in result.warnings)
    usd = parse_statement(AMBIGUOUS, "ambiguous.csv", default_currency="USD")
    assert usd.transactions[0].date == dt.date(2021, 5, 3)
    assert any("month-first" in w for w in usd.warnings)
    forced = parse_statement(AMBIGUOUS, "ambiguous.csv", date_order="mdy")
    assert forced.transactions[1].date == dt.date(2021, 1, 2)


def test_ambiguous_dates_resolved_by_row_order() -> None:
    data = b"Date;Text;Amount\n01.02.2021;a;-1,00\n03.02.2021;b;-2,00\n02.03.2021;c;-3,00\n"
    result = parse_statement(data, "sorted.csv")
    assert [t.date.month for t in result.transactions] == [2, 2, 3]
    assert any("keeps the rows in date order" in w for w in result.warnings)


def test_day_first_decided_per_file_not_per_row() -> None:
    data = b"Date,Text,Amount\n03/04/2021,a,-1.00\n25/04/2021,b,-2.00\n"
    result = parse_statement(data, "dmy.csv")
    assert [t.date for t in result.transactions] == [dt.date(2021, 4, 3), dt.date(2021, 4, 25)]
    assert not result.warnings


def test_a_minority_of_bad_rows_is_rejected_a_majority_fails_the_file() -> None:
    good = b"Datum;Text;Betrag\n01.03.2024;Miete;-800,00\n02.03.2024;Kaffee;abc\n03.03.2024;Lohn;2.500,00\n"
    result = parse_statement(good, "statement.csv")
    assert [t.amount for t in result.transactions] == [D("-800.00"), D("2500.00")]
    assert [(r.line, r.field, r.value) for r in result.rejected] == [(3, "Betrag", "abc")]
    bad = b"Datum;Text;Betrag\n01.03.2024;a;x\n02.03.2024;b;y\n03.03.2024;c;-1,00\n"
    with pytest.raises(StatementParseError) as caught:
        parse_statement(bad, "statement.csv")
    assert str(caught.value).startswith(
        "statement.csv, line 2, field 'Betrag': expected a number like 1.234,56, got 'x'"
    )
    assert "nothing was imported" in str(caught.value)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
def test_western_encodings(encoding: str) -> None:
    text = "Datum;Empfänger;Verwendungszweck;Betrag\n01.03.2024;Bäckerei Groß;Brötchen für Jürgen;-3,20\n"
    result = parse_statement(text.encode(encoding), "enc.csv")
    assert result.transactions[0].payee == "Bäckerei Groß"
    assert result.transactions[0].description == "Brötchen für Jürgen"
    assert result.transactions[0].amount == D("-3.20")


def test_central_european_cp1250() -> None:
    text = (
        "Datum provedení;Název protiúčtu;Zpráva;Zaúčtovaná částka;Měna účtu\n"
        "27.05.2018;Účetní kancelář Čížek;Platba za účetnictví květen;-1 250,00;CZK\n"
        "28.05.2018;Řeznictví Šťastný;Nákup masa a uzenin;-342,50;CZK\n"
    )
    result = parse_statement(text.encode("cp1250"), "pohyby.csv")
    assert [t.payee for t in result.transactions] == ["Účetní kancelář Čížek", "Řeznictví Šťastný"]
    assert [t.amount for t in result.transactions] == [D("-1250.00"), D("-342.50")]

"""Amount, date and merchant normalization; JSON records; edge cases with documented fallbacks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.importing import StatementParseError, normalize_merchant, parse_statement, to_json_records
from core.importing.csv_values import infer_decimal_mark, parse_amount
from core.importing.dates import infer_date_spec, parse_dates

D = Decimal


@pytest.mark.parametrize(
    ("text", "mark", "expected"),
    [
        ("1.234,56", ",", "1234.56"),
        ("1 234,56", ",", "1234.56"),
        ("11'373.94", ".", "11373.94"),
        ("$20,053.01", ".", "20053.01"),
        ("- $220.00", ".", "-220.00"),
        ("£67.40", ".", "67.40"),
        ("+ £1,100.00", ".", "1100.00"),
        ("-22,59", ",", "-22.59"),
        ("(12.50)", ".", "-12.50"),
        ("12,50-", ",", "-12.50"),
        ("1,234.56 CR", ".", "1234.56"),
        ("1,234.56 DR", ".", "-1234.56"),
        ("EUR -5,00", ",", "-5.00"),
        ("-5,00 EUR", ",", "-5.00"),
        ("1.234", ",", "1234"),
        ("1,234", ".", "1234"),
        ("1.234.567,8", ".", "1234567.8"),  # both marks: the value decides, not the file
        ("8.850", ".", "8.850"),
        ("\u22123,20", ",", "-3.20"),  # typographic minus
    ],
)
def test_parse_amount(text: str, mark: str, expected: str | None) -> None:
    value = parse_amount(text, mark)
    assert (value if value is None else str(value)) == (expected if expected is None else str(D(expected)))


@pytest.mark.parametrize("text", ["abc", "", "-", "VWZ1", "12.34.56,7,8", "1,2,3"])
def test_parse_amount_rejects_non_numbers(text: str) -> None:
    assert parse_amount(text, ".") is None


def test_decimal_mark_is_decided_from_the_column() -> None:
    assert infer_decimal_mark(["-3,40", "1.234,56", "12"]) == ","
    assert infer_decimal_mark(["1,234.56", "-3.40"]) == "."
    assert infer_decimal_mark(["1,000", "2,000"]) == "."  # no evidence: documented default


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["27 Feb 2018", "3 Mar 2018"], [dt.date(2018, 2, 27), dt.date(2018, 3, 3)]),
        (["12-Dec-2019", "03-Dec-2019"], [dt.date(2019, 12, 12), dt.date(2019, 12, 3)]),
        (["02.03.18", "28.03.18"], [dt.date(2018, 3, 2), dt.date(2018, 3, 28)]),
        (["20190311", "20190313"], [dt.date(2019, 3, 11), dt.date(2019, 3, 13)]),
        (["2019.04.19.", "2019.04.17."], [dt.date(2019, 4, 19), dt.date(2019, 4, 17)]),
        (["2018-02-25 12:34:56 +0000"], [dt.date(2018, 2, 25)]),
        (["6/12/15", "6/13/15"], [dt.date(2015, 6, 12), dt.date(2015, 6, 13)]),
        (["5. Mai 2021", "17. Mai 2021"], [dt.date(2021, 5, 5), dt.date(2021, 5, 17)]),
    ],
)
def test_date_formats(values: list[str], expected: list[dt.date]) -> None:
    spec = infer_date_spec(values)
    assert spec is not None
    assert parse_dates(values, spec) == expected


def test_merchant_groups_charges_at_the_same_shop() -> None:
    variants = [
        ("POS PURCHASE (EFFEC ) DJS BILTONG (PTY) LTD NORKE CARD NO. ", None),
        ("POS PURCHASE (EFFEC 12/07/2021) DJS BILTONG (PTY) LTD NORKE CARD NO. 4451 2345 6789 0123", None),
        ("POS Purchase Djs Biltong Norke  * 14 Oct", None),
    ]
    keys = {normalize_merchant(d, p) for d, p in variants}
    assert keys == {"DJS BILTONG NORKE"}


def test_commonwealth_bank_card_lines_name_the_shop_not_the_card() -> None:
    """The ways a Commonwealth Bank (AU) export writes card purchases: with the country, the
    card and the value date, contactless ("TAP AND PAY" and the terminal), with the state cut to
    two characters by a fixed-width field, or with only the country. Same shop, same name."""
    coles = ["COLES 0784 DEE WHY AUS Card xx0033 Value Date: 31/12/2021",
             "COLES 0784 DEE WHY AUS TAP AND PAY 5642", "COLES 0784 DEE WHY AU",
             "COLES 0784 DEE WHY AU AUS Card xx6552 Value Date: 03/05/2023"]
    assert {normalize_merchant(d) for d in coles} == {"COLES DEE WHY"}
    lawlers = ["LAWLERS WHOLELIFE DEE WHY NS AUS Card xx6552 Value Date: 20/04/2023",
               "LAWLERS WHOLELIFE DEE WHY NSW TAP AND PAY 0733",
               "Lawlers Wholelife Dee Why NS AUS Tap and Pay xx1121 Value Date: 07/08/2021"]
    assert {normalize_merchant(d) for d in lawlers} == {"LAWLERS WHOLELIFE DEE WHY"}
    assert normalize_merchant("Direct Credit 012721 PAYPAL AUSTRALIA 1234567") == "PAYPAL AUSTRALIA"
    # a store number with a letter in front is a store number too
    assert normalize_merchant("WOOLWORTHS W1621 WARRIEWOOD") == normalize_merchant(
        "WOOLWORTHS 1621 WARRIEWOOD AU") == "WOOLWORTHS WARRIEWOOD"
    # a name that is only a code keeps it; "CARD" inside a name stays
    assert normalize_merchant("AU") == "AU"
    assert normalize_merchant("GREETING CARD CENTRE LEEDS GBR") == "GREETING CARD CENTRE LEEDS"


@pytest.mark.parametrize(
    ("description", "payee", "expected"),
    [
        (
            "Kartenzahlung REWE SAGT DANKE. 41400673//Hamburg 2018-03-01T11:33:59 KFN 1 VJ 1812",
            None,
            "REWE SAGT DANKE",
        ),
        # Raiffeisen (AT) prints "PØS" for some card payments: the same channel word as "POS"
        ("PØS          11,81 AT  K2   04.10. 17:28 SPAR DANKT 4585 KORNEUBURG 2100", None,
         "SPAR DANKT KORNEUBURG"),
        ("PAYPAL *SPOTIFY 4029357733", None, "SPOTIFY"),
        ("APL*ITUNES.COM/BILL", None, "ITUNES.COM/BILL"),
        ("ROYAL LONDON INSURANCE        01222 61234  GBR", None, "ROYAL LONDON INSURANCE"),
        ("HOFER DANKT  0527  K2   18.09. 17:20", None, "HOFER DANKT"),
        ("FOLGELASTSCHRIFT", "Vodafone Kabel DeutschlandGmbH", "VODAFONE KABEL DEUTSCHLANDGMBH"),
        ("anything", "PayPal Europe S.a.r.l. et Cie S.C.A", "PAYPAL EUROPE"),
        ("12345678", None, ""),  # no letters at all: empty is allowed
        # Bank of Ireland: the day and month glued to the channel word go with it
        ("POS01SEP STATOIL     ", None, "STATOIL"),
        # a name that is nothing but a legal form keeps it, not the channel word and date
        ("POS20SEP BV ", None, "BV"),
        # a country code ends a name only as a word of its own: "umlaut" keeps its "AUT"
        ("Éáú üüüümlaut!     GP", None, "ÉÁÚ ÜÜÜÜMLAUT"),
        ("HOTEL SACHER WIEN AUT", None, "HOTEL SACHER WIEN"),
        ("AUTOHAUS PORSCHE", None, "AUTOHAUS PORSCHE"),  # not "AUTOHAUS PORS" (CHE)
        ("CAFE MEDUSA", None, "CAFE MEDUSA"),  # not "CAFE MED" (USA)
    ],
)
def test_normalize_merchant(description: str, payee: str | None, expected: str) -> None:
    assert normalize_merchant(description, payee) == expected


def test_merchant_never_empty_when_input_has_letters_and_digits_do_not_change_keys() -> None:
    assert normalize_merchant("VIREMENT", "VIREMENT") == "VIREMENT"
    assert normalize_merchant("POS", None) == "POS"
    assert normalize_merchant("SHOP 1234 CITY", None) == normalize_merchant("SHOP 9876 CITY", None)
    assert normalize_merchant("7-ELEVEN 123", None) != normalize_merchant("3-ELEVEN 123", None)


def test_json_records(parse_file) -> None:
    records = to_json_records(parse_file("ofxparse/tests/fixtures/checking.ofx"))
    assert records[1] == {
        "date": "2011-04-05",
        "amount": "-34.51",
        "currency": "USD",
        "description": "AUTOMATIC WITHDRAWAL, ELECTRIC BILL WEB(S )",
        "payee": "AUTOMATIC WITHDRAWAL, ELECTRIC BILL",
        "external_id": "0000487",
        "merchant": "AUTOMATIC WITHDRAWAL ELECTRIC BILL",
        "balance": None,
        "reference": None,
        "pending": False,
        "line": 54,
    }


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "upload.csv: expected a bank statement"),
        (b"   \n\n", "got 'an empty file'"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "got 'binary content'"),
        (b"<?xml version='1.0'?><invoice><total>3</total></invoice>", "got '<?xml"),
        (b"Datum;Text;Betrag\n", "expected rows with a date and an amount below the header, got 'none'"),
        (b"Name;City\nAnna;Berlin\nBob;Paris\n", "expected rows with a date and an amount"),
        (b"Name;When;Text\nAnna;2024-01-02;hello\nBob;2024-01-03;bye\n", "expected a column with amounts"),
        (b"just one line of prose", "got 'just one line of prose'"),
    ],
)
def test_unusable_uploads_raise_with_file_name(data: bytes, fragment: str) -> None:
    with pytest.raises(StatementParseError) as caught:
        parse_statement(data, "upload.csv")
    assert str(caught.value).startswith("upload.csv")
    assert fragment in str(caught.value)


def test_bad_date_order_argument() -> None:
    with pytest.raises(ValueError, match="date_order"):
        parse_statement(b"x", "a.csv", date_order="ymd")


def test_single_row_file_and_default_currency() -> None:
    result = parse_statement(
        b"Date,Description,Amount\n2024-01-31,Coffee,-3.50\n", "one.csv", default_currency="eur"
    )
    (txn,) = result.transactions
    assert (txn.date, txn.amount, txn.currency) == (dt.date(2024, 1, 31), D("-3.50"), "EUR")
    assert result.currency == "EUR"


def test_declined_rows_skipped_and_summary_lines_below_table() -> None:
    data = (
        b"Started Date,Description,Amount,Currency,State\n"
        b"2024-01-02 10:00:00,Lidl,-12.40,EUR,COMPLETED\n"
        b"2024-01-03 11:00:00,Amazon,-30.00,EUR,DECLINED\n"
        b"2024-01-04 12:00:00,Uber,-8.10,EUR,PENDING\n"
        b",Total,-50.50,,\n"
    )
    result = parse_statement(data, "revolut.csv")
    assert [(t.description, t.pending) for t in result.transactions] == [("Lidl", False), ("Uber", True)]
    assert "skipped 1 declined/failed/reverted row(s)" in result.warnings
    assert "skipped 1 balance/total line(s) inside the table" in result.warnings
    assert not result.rejected

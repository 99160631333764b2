"""CSV parsing checked against csv2ofx's expected OFX/QIF output for the same inputs.

The expected files are read with our own OFX/QIF readers, so both sides go through
``parse_statement``. ``signed``: same dates and signed amounts; ``abs``: csv2ofx's mapping
chose the opposite sign convention for an unsigned column (we read lone unsigned amounts as
money out and say so in a warning), so amounts are compared without sign; ``subset``: the
csv2ofx mapping drops rows (date filter), so its rows must be a subset of ours.

csv2ofx parses dates row by row; in ingesp.csv that turns ``08/04/2022`` into 4 August
while every other row of the file is day-first (``24/03/2022``). We decide per file, so
the expected output is corrected for that one row (see ``UPSTREAM_ERRORS``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest

CASES = [
    ("amazon.csv", "amazon.ofx", "subset"),
    ("creditunion.csv", "creditunion.qif", "abs"),
    ("default.csv", "default.qif", "abs"),
    ("default.csv", "default.ofx", "abs"),
    ("gls.csv", "gls.ofx", "signed"),
    ("ingesp.csv", "ingesp.ofx", "signed"),
    ("mint.csv", "mint.qif", "signed"),
    ("mint_extra.csv", "mint_extra.qif", "subset"),
    ("n26-fr.csv", "n26.ofx", "signed"),
    ("outbank.csv", "outbank.ofx", "signed"),
    ("payoneer.csv", "payoneer.ofx", "signed"),
    ("pcmastercard.csv", "pcmastercard.ofx", "signed"),
    ("schwab-checking.csv", "schwab-checking.ofx", "signed"),
    ("schwab-checking.csv", "schwab-checking-msmoney.ofx", "signed"),
    *[
        (f"schwab-checking-baltest-case{i}.csv", f"schwab-checking-baltest-case{i}.ofx", "signed")
        for i in range(1, 8)
    ],
    ("stripe-all.csv", "stripe-all.ofx", "abs"),
    ("stripe-all.csv", "stripe-all.qif", "abs"),
    ("stripe-default.csv", "stripe-default.ofx", "abs"),
    ("stripe-default.csv", "stripe-default.qif", "abs"),
    ("ubs-ch-fr_trimmed.csv", "ubs-ch-fr.qif", "signed"),
]


UPSTREAM_ERRORS = {
    "ingesp.ofx": {(dt.date(2022, 8, 4), Decimal("2.69")): (dt.date(2022, 4, 8), Decimal("2.69"))},
}


@pytest.mark.parametrize(("source", "expected", "mode"), CASES, ids=[f"{c[0]}->{c[1]}" for c in CASES])
def test_csv_matches_csv2ofx_output(parse_file, source: str, expected: str, mode: str) -> None:
    ours = parse_file(f"csv2ofx/data/test/{source}").transactions
    theirs = parse_file(f"csv2ofx/data/converted/{expected}").transactions
    assert theirs, expected

    def key(txn):
        return (txn.date, abs(txn.amount) if mode == "abs" else txn.amount)

    fixes = UPSTREAM_ERRORS.get(expected, {})
    mine = Counter(map(key, ours))
    want = Counter(fixes.get(key(t), key(t)) for t in theirs)
    if mode == "subset":
        assert not want - mine, want - mine
    else:
        assert len(ours) == len(theirs)
        assert mine == want


def test_ingesp_dates_are_day_first_for_the_whole_file(parse_file) -> None:
    result = parse_file("csv2ofx/data/test/ingesp.csv")
    assert result.transactions[1].date == dt.date(2022, 4, 8)
    assert result.transactions[1].amount == Decimal("2.69")
    assert not result.warnings  # 24/03/2022 in the same column settles the order

"""The closing balance of real statements whose balance column adds up (core.importing.balances)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.importing.balances import closing_balance, has_balances

SCHWAB = "csv2ofx/data/test/schwab-checking-baltest-case{}.csv"


@pytest.mark.parametrize("case", [3, 5])
def test_oldest_first_running_balance(parse_file, case) -> None:
    result = parse_file(SCHWAB.format(case))
    assert closing_balance(result.transactions) == result.transactions[-1].balance


@pytest.mark.parametrize("case", [1, 4, 6])
def test_newest_first_running_balance(parse_file, case) -> None:
    result = parse_file(SCHWAB.format(case))
    first = min(result.transactions, key=lambda t: t.line)
    assert closing_balance(result.transactions) == first.balance


def test_the_closing_balance_of_case_3_by_hand(parse_file) -> None:
    # 1,036.47 after -57.27, then -75.00, -103.00 and +20.00: 878.47
    assert closing_balance(parse_file(SCHWAB.format(3)).transactions) == Decimal("878.47")


def test_balances_that_do_not_add_up_give_none(parse_file, shared_data) -> None:
    # rows re-sorted so that neither direction holds
    assert closing_balance(parse_file(SCHWAB.format(2)).transactions) is None
    # the labeled file mixes several accounts and is shuffled
    from core.importing import parse_statement

    path = shared_data / "labeled" / "yassirawad_za_labeled" / "data" / "transactions.csv"
    za = parse_statement(path.read_bytes(), path.name).transactions
    assert has_balances(za) and closing_balance(za) is None


def test_no_balances(parse_file) -> None:
    monzo = parse_file("bank2ynab/test/test-data/MonzoDataExport_February2018_2018-02-26_174335.csv")
    assert not has_balances(monzo.transactions) and closing_balance(monzo.transactions) is None

"""Currency codes and money as people read it (core.currency)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.currency import format_money, normalize_code, symbol


def test_money_is_written_with_the_currencys_symbol_or_code() -> None:
    assert format_money(-1234.5, "GBP") == "-£1,234.50"
    assert format_money(Decimal("9.9"), "CHF") == "CHF 9.90"
    assert format_money("12", "EUR") == "€12.00"
    assert format_money(None, "EUR") == "—" and format_money(float("nan"), "EUR") == "—"
    assert format_money("abc", "USD") == "—"
    assert symbol("ZAR") == "R" and symbol("SEK") == "SEK "


@pytest.mark.parametrize("bad", ["", "E1", "EURO", "€", None, " g b"])
def test_a_currency_code_is_three_letters(bad) -> None:
    with pytest.raises(ValueError, match="not a three-letter code"):
        normalize_code(bad)


def test_codes_are_upper_cased_and_trimmed() -> None:
    assert normalize_code(" gbp ") == "GBP"

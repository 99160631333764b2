"""Currency codes and how amounts are written for people.

- :func:`normalize_code`: a three-letter ISO 4217 style code, upper-cased, or a
  :class:`ValueError` that names the bad value (account creation, settings).
- :func:`symbol` / :func:`format_money`: ``€1,234.50``, ``-£12.00``, ``CHF 9.90``: the symbol for
  the common currencies, else the code and a space. Pages and job-written reasons share them.
- :data:`COMMON`: the codes offered first when a user picks a base currency.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "ZAR": "R", "JPY": "¥", "INR": "₹"}
COMMON = ("EUR", "GBP", "USD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF", "RON", "ZAR",
          "CAD", "AUD", "NZD", "JPY", "INR", "SGD", "HKD", "BRL", "MXN")
_CODE = re.compile(r"[A-Za-z]{3}")


def normalize_code(code: object) -> str:
    """``code`` as an upper-case three-letter currency code; ``ValueError`` when it is not one."""
    text = str(code if code is not None else "").strip()
    if not _CODE.fullmatch(text):
        raise ValueError(f"currency {text!r} is not a three-letter code such as EUR or GBP")
    return text.upper()


def symbol(code: str) -> str:
    """``€`` for EUR, ``£`` for GBP, ...; other codes are written as ``"CHF "``."""
    return SYMBOLS.get(code, f"{code} ")


def format_money(value: object, code: str) -> str:
    """``-£1,234.50``; ``—`` when ``value`` is not a number."""
    try:
        amount = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "—"
    if amount != amount:  # NaN
        return "—"
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol(code)}{abs(amount):,.2f}"

"""The user's own settings for what the job process does with their data.

- ``auto_apply_threshold``: the confidence at or above which a predicted category is applied
  without asking. ``None`` (the default) lets the categorizer choose it from the user's replayed
  history: the lowest level at which its past guesses were at least 95% right (see
  :func:`ml.calibration.threshold_for_precision`). A custom value is kept between 50% and 99%:
  below a coin flip nothing should be filed silently, and at 100% nothing ever would be.
- ``balance_buffer``: the balance the forecast warns about dropping below.
- ``base_currency``: the currency totals, budgets and reasons are written in (a new user's
  follows their first account, see :func:`core.import_accounts.create_account`).

Changing either marks the user dirty (trigger in migration ``20261122300000_preferences``), so
the job process re-applies them at its next poll: a stricter threshold sends guesses back to
Needs review, a looser one files what now clears it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import psycopg

from core.currency import normalize_code

log = logging.getLogger(__name__)

THRESHOLD_RANGE = (0.5, 0.99)
MAX_BUFFER = Decimal("1000000000")


class PreferenceError(ValueError):
    """A setting that cannot be saved; the message says which and why."""


@dataclass(frozen=True)
class Preferences:
    auto_apply_threshold: float | None  # None: chosen by the categorizer
    balance_buffer: Decimal
    base_currency: str


def current(conn: psycopg.Connection) -> Preferences:
    """The signed-in user's settings (RLS: their own profile row)."""
    row = conn.execute("select auto_apply_threshold, balance_buffer, base_currency"
                       " from public.profiles").fetchone()
    if row is None:
        raise PreferenceError("no profile for this user")
    return Preferences(None if row[0] is None else round(float(row[0]), 4), row[1], row[2])


def base_currency(conn: psycopg.Connection) -> str:
    """The signed-in user's base currency (EUR when the profile is missing)."""
    row = conn.execute("select base_currency from public.profiles").fetchone()
    return row[0] if row else "EUR"


def set_auto_apply_threshold(conn: psycopg.Connection, value: float | None) -> None:
    """A custom auto-apply threshold (a probability, e.g. 0.9), or ``None`` for automatic."""
    if value is not None:
        lo, hi = THRESHOLD_RANGE
        if not lo <= float(value) <= hi:
            raise PreferenceError(f"auto-apply threshold: {float(value):.0%} is outside "
                                  f"{lo:.0%}-{hi:.0%}")
    conn.execute("update public.profiles set auto_apply_threshold = %s", [value])
    log.info("auto-apply threshold set to %s", "automatic" if value is None else f"{value:.2f}")


def set_balance_buffer(conn: psycopg.Connection, amount: Decimal | float | str) -> None:
    """The balance (in the base currency, >= 0) the forecast warns about dropping below."""
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise PreferenceError(f"balance buffer: {amount!r} is not an amount") from exc
    if not Decimal(0) <= value <= MAX_BUFFER:
        raise PreferenceError(f"balance buffer: {value} must be between 0 and {MAX_BUFFER:,}")
    conn.execute("update public.profiles set balance_buffer = %s", [value])
    log.info("balance buffer set to %s", value)


def set_base_currency(conn: psycopg.Connection, code: str) -> str:
    """The currency totals and reasons are written in; returns the stored code."""
    try:
        value = normalize_code(code)
    except ValueError as exc:
        raise PreferenceError(f"base currency: {exc}") from exc
    conn.execute("update public.profiles set base_currency = %s", [value])
    log.info("base currency set to %s", value)
    return value

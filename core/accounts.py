"""The user's accounts as the Settings page edits them: name, kind, currency, opening balance.

:func:`overview` lists them with their current balance (opening balance plus every
transaction); :func:`update_account` validates and saves one, raising :class:`AccountError`
with a message that names the field. Saving marks the user dirty (migration
``20261122400000_account_edits``), so the job process recomputes balances, the forecast and
safe-to-spend at its next poll.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd
import psycopg

from core.currency import normalize_code
from core.import_accounts import KINDS

log = logging.getLogger(__name__)

MAX_OPENING = Decimal("999999999999.99")  # numeric(14, 2)


class AccountError(ValueError):
    """An account edit that cannot be saved; the message says which field and why."""


def overview(conn: psycopg.Connection) -> pd.DataFrame:
    """Every account of the signed-in user with its opening and current balance."""
    rows = conn.execute("""
        select a.id::text, a.name, a.kind, a.currency, a.opening_balance,
               a.opening_balance + coalesce(sum(t.amount), 0), count(t.id)
        from public.accounts a left join public.transactions t on t.account_id = a.id
        group by a.id order by a.kind, a.name""").fetchall()
    return pd.DataFrame(rows, columns=["id", "name", "kind", "currency", "opening_balance",
                                       "balance", "transactions"])


def update_account(conn: psycopg.Connection, account_id: Any, *, name: str, kind: str,
                   currency: str, opening_balance: Decimal | float | str) -> None:
    """Save an account's name, kind, currency and opening balance (RLS: the user's own)."""
    clean = " ".join(str(name).split())
    if not 1 <= len(clean) <= 120:
        raise AccountError("name: an account needs a name of at most 120 characters")
    if kind not in KINDS:
        raise AccountError(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    try:
        code = normalize_code(currency)
    except ValueError as exc:
        raise AccountError(f"currency: {exc}") from exc
    try:
        opening = Decimal(str(opening_balance)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise AccountError(f"opening balance: {opening_balance!r} is not an amount") from exc
    if abs(opening) > MAX_OPENING:
        raise AccountError(f"opening balance: {opening:,} is too large")
    clash = conn.execute("select 1 from public.accounts where lower(name) = lower(%s)"
                         " and id <> %s", [clean, account_id]).fetchone()
    if clash:
        raise AccountError(f"name: you already have an account called {clean!r}")
    done = conn.execute("update public.accounts set name = %s, kind = %s, currency = %s,"
                        " opening_balance = %s where id = %s",
                        [clean, kind, code, opening, account_id]).rowcount
    if not done:
        raise AccountError("this account no longer exists")
    log.info("account %s updated", account_id)

"""Read models for the pages: every figure is computed in SQL inside the user's RLS session.

Functions take an open user-session connection (``Database.user_session``) and return plain
Python / pandas values. Transfers and excluded rows never count as income or spending.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

import pandas as pd
import psycopg

log = logging.getLogger(__name__)

_SPENDING = "not t.is_transfer and not t.excluded"


def _frame(conn: psycopg.Connection, query: str, params: list[Any] | dict[str, Any],
           columns: list[str]) -> pd.DataFrame:
    rows = conn.execute(query, params).fetchall()  # type: ignore[arg-type]
    return pd.DataFrame(rows, columns=columns)


def month_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


def spend_by_category(conn: psycopg.Connection, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Money out per top-level category in [start, end), largest first (positive amounts)."""
    return _frame(conn, f"""
        select coalesce(p.name, c.name, 'Uncategorized') as category,
               -sum(t.amount) as spent, count(*) as n
        from public.transactions t
        left join public.categories c on c.id = t.category_id
        left join public.categories p on p.id = c.parent_id
        where t.date >= %s and t.date < %s and t.amount < 0 and {_SPENDING}
        group by 1 order by 2 desc""", [start, end], ["category", "spent", "n"])


def month_totals(conn: psycopg.Connection, start: dt.date, end: dt.date) -> dict[str, Decimal]:
    """Income, spending and net for [start, end)."""
    row = conn.execute(f"""
        select coalesce(sum(t.amount) filter (where t.amount > 0), 0),
               coalesce(-sum(t.amount) filter (where t.amount < 0), 0),
               count(*)
        from public.transactions t
        where t.date >= %s and t.date < %s and {_SPENDING}""", [start, end]).fetchone()
    income, spent, n = row if row else (Decimal(0), Decimal(0), 0)
    return {"income": income, "spent": spent, "net": income - spent, "count": n}


def cash_flow_by_month(conn: psycopg.Connection, months: int, today: dt.date) -> pd.DataFrame:
    """Money in and out per calendar month for the last ``months`` months."""
    start = (today.replace(day=1) - pd.DateOffset(months=months - 1)).date()
    return _frame(conn, f"""
        select date_trunc('month', t.date)::date as month,
               coalesce(sum(t.amount) filter (where t.amount > 0), 0) as money_in,
               coalesce(-sum(t.amount) filter (where t.amount < 0), 0) as money_out
        from public.transactions t
        where t.date >= %s and {_SPENDING}
        group by 1 order by 1""", [start], ["month", "money_in", "money_out"])


def account_balances(conn: psycopg.Connection) -> pd.DataFrame:
    """Each account's balance: opening balance plus every transaction."""
    return _frame(conn, """
        select a.name, a.kind, a.currency,
               a.opening_balance + coalesce(sum(t.amount), 0) as balance,
               max(t.date) as last_activity
        from public.accounts a
        left join public.transactions t on t.account_id = a.id
        group by a.id order by a.kind, a.name""", [],
        ["account", "kind", "currency", "balance", "last_activity"])


def latest_activity_date(conn: psycopg.Connection) -> dt.date | None:
    row = conn.execute("select max(date) from public.transactions").fetchone()
    return row[0] if row else None


def search_transactions(conn: psycopg.Connection, *, text: str = "", limit: int = 50,
                        offset: int = 0) -> tuple[pd.DataFrame, int]:
    """A page of the user's transactions, newest first, and the total count of the filter."""
    where, params = "true", []
    if text.strip():
        where = ("to_tsvector('simple', t.description || ' ' || coalesce(t.merchant, '') || ' '"
                 " || coalesce(t.payee, '')) @@ plainto_tsquery('simple', %s)")
        params.append(text.strip())
    total = conn.execute(f"select count(*) from public.transactions t where {where}",
                         params).fetchone()[0]
    page = _frame(conn, f"""
        select t.date, a.name as account, t.description, t.merchant, t.amount, t.currency,
               c.name as category, t.category_confidence as confidence
        from public.transactions t
        join public.accounts a on a.id = t.account_id
        left join public.categories c on c.id = t.category_id
        where {where}
        order by t.date desc, t.id
        limit %s offset %s""", [*params, limit, offset],
        ["date", "account", "description", "merchant", "amount", "currency", "category",
         "confidence"])
    return page, int(total)


def security_activity(conn: psycopg.Connection, limit: int = 20) -> pd.DataFrame:
    """The user's own recent audit entries (sign-ins, failed sign-ins, exports ...)."""
    return _frame(conn, "select created_at, action, detail from public.audit_log"
                        " order by id desc limit %s", [limit], ["when", "action", "detail"])


def admin_overview(conn: psycopg.Connection) -> dict[str, int]:
    """Installation-wide counts (aggregates only); raises for non-staff users."""
    row = conn.execute("select * from private.admin_overview()").fetchone()
    return dict(zip(["users", "transactions", "import_batches", "accounts"], row, strict=True))


def my_role(conn: psycopg.Connection) -> str:
    """The signed-in user's current app role, read from the database (user/staff/admin)."""
    row = conn.execute("select public.my_role()").fetchone()
    return (row[0] if row else None) or "user"

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
MERCHANT = "coalesce(nullif(t.merchant, ''), t.description)"
"""Who a transaction ``t`` paid, in SQL: its merchant, else its description. What the review
queue groups by (one card per value) and what the dashboard's top merchants sum."""


def _frame(conn: psycopg.Connection, query: str, params: list[Any] | dict[str, Any],
           columns: list[str]) -> pd.DataFrame:
    rows = conn.execute(query, params).fetchall()  # type: ignore[arg-type]
    return pd.DataFrame(rows, columns=columns)


def month_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


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


def security_activity(conn: psycopg.Connection, limit: int = 20) -> pd.DataFrame:
    """The user's own recent audit entries (sign-ins, failed sign-ins, exports ...)."""
    return _frame(conn, "select created_at, action, detail from public.audit_log"
                        " order by id desc limit %s", [limit], ["when", "action", "detail"])


def my_role(conn: psycopg.Connection) -> str:
    """The signed-in user's current app role, read from the database (user/staff/admin)."""
    row = conn.execute("select public.my_role()").fetchone()
    return (row[0] if row else None) or "user"

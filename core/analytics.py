"""Admin analytics: k-anonymous aggregates for staff and admins, as DataFrames.

Every figure comes from a ``security definer`` function in the ``analytics`` schema
(``supabase/migrations/20261121500000_privacy_admin.sql``) that re-reads the caller's role from
``profiles`` and returns only groups with at least k distinct users (k from
``analytics.config``, default 10). The ``k`` argument here can only raise the configured k,
never lower it; the pages pass ``PFM_K_ANONYMITY``. Filters select whole groups (a month, a
category, a stage, a number of days), never a subset of a group's members. A user without the
staff/admin role gets ``psycopg.errors.InsufficientPrivilege`` from every function.

All functions take an open ``Database.user_session`` connection of the signed-in staff member.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from core.config import get_settings
from core.db import Database

log = logging.getLogger(__name__)

ROLES = ("user", "staff", "admin")


def _k(k: int | None) -> int:
    return int(k if k is not None else get_settings().k_anonymity)


def _call(conn: psycopg.Connection, name: str, args: list[Any]) -> pd.DataFrame:
    """``select * from analytics.<name>(args)`` as a DataFrame with the function's columns."""
    query = sql.SQL("select * from {}({})").format(
        sql.Identifier("analytics", name), sql.SQL(", ").join(sql.Placeholder() * len(args)))
    cur = conn.execute(query, args)
    columns = [d.name for d in cur.description or []]
    return pd.DataFrame(cur.fetchall(), columns=columns)


class RoleChangeRefused(Exception):
    """The database refused a role change; ``str(exc)`` is safe to show."""


def _first_row(frame: pd.DataFrame) -> dict[str, Any]:
    """The first row as plain Python values (None where suppressed)."""
    out: dict[str, Any] = {}
    for col in frame.columns:
        value = frame[col].iloc[0]
        value = value.item() if hasattr(value, "item") else value
        out[col] = None if value is None or (isinstance(value, float) and value != value) else value
    return out


def k_anonymity(conn: psycopg.Connection, k: int | None = None) -> int:
    """The minimum group size in force: the configured floor, or ``k`` if that is larger."""
    floor = int(conn.execute("select analytics.k_anonymity()").fetchone()[0])
    return max(floor, _k(k))


def overview(conn: psycopg.Connection, k: int | None = None) -> dict[str, int | None]:
    """Installation counts; a figure is ``None`` when fewer than k users contribute to it."""
    row = _first_row(_call(conn, "overview", [_k(k)]))
    return {c: None if v is None else int(v) for c, v in row.items()}


def categorization_accuracy(conn: psycopg.Connection, start: dt.date | None = None,
                            end: dt.date | None = None, k: int | None = None) -> pd.DataFrame:
    """Per month of prediction: predictions, later corrected, accuracy, users."""
    return _call(conn, "categorization_accuracy", [start, end, _k(k)])


def categorization_by_category(conn: psycopg.Connection, category: str | None = None,
                               k: int | None = None) -> pd.DataFrame:
    """Per predicted category: predictions, corrected, corrected share, users."""
    return _call(conn, "categorization_by_category", [category, _k(k)])


def categorization_calibration(conn: psycopg.Connection, k: int | None = None) -> pd.DataFrame:
    """Per confidence decile: mean stated confidence vs observed accuracy (calibration curve)."""
    return _call(conn, "categorization_calibration", [_k(k)])


def review_queue(conn: psycopg.Connection, k: int | None = None) -> dict[str, float] | None:
    """Items waiting for review, users with items, share of all transactions; None if < k."""
    frame = _call(conn, "review_queue", [_k(k)])
    return None if frame.empty else _first_row(frame)


def anomaly_verdicts(conn: psycopg.Connection, kind: str | None = None,
                     k: int | None = None) -> pd.DataFrame:
    """Per anomaly kind (and ``(all kinds)``): verdicts, expected, suspicious, shares."""
    return _call(conn, "anomaly_verdicts", [kind, _k(k)])


def forecast_accuracy(conn: psycopg.Connection, k: int | None = None) -> pd.DataFrame:
    """Per past month: p50 mean absolute error and p10-p90 coverage (empty without forecasts)."""
    return _call(conn, "forecast_accuracy", [_k(k)])


def stage_health(conn: psycopg.Connection, days: int = 7, k: int | None = None) -> pd.DataFrame:
    """Per pipeline stage over ``days``: runs by status, p50/p95 seconds, last success/failure."""
    return _call(conn, "stage_health", [days, _k(k)])


def job_runs_daily(conn: psycopg.Connection, days: int = 14, k: int | None = None) -> pd.DataFrame:
    """Runs per day, stage and status."""
    return _call(conn, "job_runs_daily", [days, _k(k)])


def job_failures(conn: psycopg.Connection, days: int = 7, k: int | None = None) -> pd.DataFrame:
    """Failures per stage and sanitized error message (user-derived tokens masked)."""
    return _call(conn, "job_failures", [days, _k(k)])


def queue_depth(conn: psycopg.Connection) -> pd.DataFrame:
    """Jobs in the procrastinate queue by queue and status."""
    return _call(conn, "queue_depth", [])


def database_size(conn: psycopg.Connection) -> dict[str, Any]:
    """Database size in bytes (and pretty) and open connections."""
    return _first_row(_call(conn, "database_size", []))


def spend_by_category_month(conn: psycopg.Connection, start: dt.date | None = None,
                            end: dt.date | None = None, category: str | None = None,
                            k: int | None = None) -> pd.DataFrame:
    """Money out per month x top-level category x currency: users, total, per-user quartiles."""
    frame = _call(conn, "spend_by_category_month", [start, end, category, _k(k)])
    for col in ("total", "mean_per_user", "p25_per_user", "median_per_user", "p75_per_user"):
        frame[col] = frame[col].astype(float)
    return frame


def active_users(conn: psycopg.Connection, start: dt.date | None = None, end: dt.date | None = None,
                 k: int | None = None) -> pd.DataFrame:
    """Per month: registered, signed in, importing, with transactions (each only from k; NaN
    where suppressed)."""
    frame = _call(conn, "active_users", [start, end, _k(k)])
    for col in ("registered", "signed_in", "importing", "with_transactions"):
        frame[col] = pd.to_numeric(frame[col]).astype(float)
    return frame


def imports_per_day(conn: psycopg.Connection, days: int = 30, k: int | None = None) -> pd.DataFrame:
    """Per day: statement imports, transactions added, users."""
    return _call(conn, "imports_per_day", [days, _k(k)])


def set_user_role(conn: psycopg.Connection, email: str, role: str) -> str:
    """Admins only: give the account ``email`` the app role ``role``; returns the old role.

    The database writes the audit entry (``role_changed``) in the same transaction. Raises
    :class:`RoleChangeRefused` for an unknown email or when it would demote the last admin, and
    ``psycopg.errors.InsufficientPrivilege`` when the caller is not an admin."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    try:
        return conn.execute("select analytics.set_user_role(%s, %s)", [email, role]).fetchone()[0]
    except (psycopg.errors.NoDataFound, psycopg.errors.CheckViolation,
            psycopg.errors.InvalidParameterValue) as exc:
        raise RoleChangeRefused(exc.diag.message_primary or "role change refused") from exc


def privileged_users(conn: psycopg.Connection) -> pd.DataFrame:
    """Admins only: the accounts holding the staff or admin role."""
    return _call(conn, "privileged_users", [])


def store_k_anonymity(db: Database, k: int) -> None:
    """Operator: make ``k`` the configured floor (owner connection; e.g. from PFM_K_ANONYMITY)."""
    if k < 3:
        raise ValueError("k must be at least 3")
    with db.owner_connection() as conn:
        conn.execute("update analytics.config set k_anonymity = %s, updated_at = now()", [k])
    log.info("k-anonymity threshold set to %d", k)


# Every staff-callable aggregate, with arguments a curious staff member might try; the tests
# call each with filters meant to isolate one user (see tests/privacy).
STAFF_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "overview": overview,
    "k_anonymity": k_anonymity,
    "categorization_accuracy": categorization_accuracy,
    "categorization_by_category": categorization_by_category,
    "categorization_calibration": categorization_calibration,
    "review_queue": review_queue,
    "anomaly_verdicts": anomaly_verdicts,
    "forecast_accuracy": forecast_accuracy,
    "stage_health": stage_health,
    "job_runs_daily": job_runs_daily,
    "job_failures": job_failures,
    "queue_depth": queue_depth,
    "database_size": database_size,
    "spend_by_category_month": spend_by_category_month,
    "active_users": active_users,
    "imports_per_day": imports_per_day,
}
ADMIN_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "set_user_role": set_user_role,
    "privileged_users": privileged_users,
}

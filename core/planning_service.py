"""Goals and budgets for the pages: the user's edits, the stored plans, and the "what if".

Goals and budgets are the user's own rows (RLS; editing them marks the user dirty so the job
process replans). :func:`what_if` recomputes a goal plan immediately, without the job: it
loads the surplus samples the planning stage stored in ``forecast_summary`` and runs
:class:`ml.goals.GoalPlanner` on them with the changed goals (a few milliseconds). With no
stored forecast the planner sees no surplus, so every goal plans as ``no_surplus``.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any

import numpy as np
import pandas as pd
import psycopg

from core import dashboard_queries as dq
from core.currency import format_money, symbol
from core.preferences import base_currency
from ml.goals import GOAL_KINDS, Goal, GoalPlanner
from ml.readiness import DISCLAIMER as _DISCLAIMER

log = logging.getLogger(__name__)

KINDS = GOAL_KINDS
DISCLAIMER = _DISCLAIMER  # "guidance, not advice", shown with every readiness verdict
WHAT_IF_COLUMNS = ["name", "allocation", "expected_completion", "confidence", "status",
                   "explanation"]


def goals(conn: psycopg.Connection) -> pd.DataFrame:
    """The user's goals with their stored plans."""
    return dq.goal_progress(conn)


MAX_NAME = 100
MAX_AMOUNT = 1e12


class GoalError(ValueError):
    """A goal value that cannot be saved; the message starts with the field."""


def save_goal(conn: psycopg.Connection, goal_id: str | None, name: str, kind: str,
              target: float, saved: float = 0.0, target_date: dt.date | None = None,
              priority: int = 3, monthly: float | None = None) -> str:
    """Insert (``goal_id`` None) or update a goal; returns its id. Bad values raise
    :class:`GoalError` naming the field; nothing is written then."""
    name = (name or "").strip()
    if not name:
        raise GoalError("name: a goal needs a name")
    if len(name) > MAX_NAME:
        raise GoalError(f"name: at most {MAX_NAME} characters")
    if kind not in KINDS:
        raise GoalError(f"kind: must be one of {', '.join(KINDS)}")
    for field, value, low in (("target", target, 0.01), ("saved so far", saved, 0.0),
                              ("fixed monthly amount", monthly, 0.0)):
        if value is None and field == "fixed monthly amount":
            continue
        if value is None or not math.isfinite(float(value)) or not low <= float(value) <= MAX_AMOUNT:
            raise GoalError(f"{field}: expected an amount from {low:,.2f} to {MAX_AMOUNT:,.0f},"
                            f" got {value!r}")
    if not 1 <= int(priority) <= 5:
        raise GoalError(f"priority: expected 1 (highest) to 5, got {priority!r}")
    if target_date is not None and target_date < dt.date.today():
        before = None if goal_id is None else conn.execute(
            "select target_date from public.goals where id = %s", [goal_id]).fetchone()
        if before is None or before[0] != target_date:  # an overdue goal may keep its date
            raise GoalError(f"target date: {target_date:%d %b %Y} is in the past; pick a later"
                            " date or no date")
    values = [name, kind, target, saved, target_date, priority, monthly]
    if goal_id is None:
        row = conn.execute("insert into public.goals (name, kind, target, saved, target_date,"
                           " priority, monthly) values (%s, %s, %s, %s, %s, %s, %s) returning id",
                           values).fetchone()
    else:
        row = conn.execute("update public.goals set name = %s, kind = %s, target = %s, saved = %s,"
                           " target_date = %s, priority = %s, monthly = %s, updated_at = now()"
                           " where id = %s returning id", [*values, goal_id]).fetchone()
    return str(row[0])


def delete_goal(conn: psycopg.Connection, goal_id: str) -> None:
    conn.execute("delete from public.goals where id = %s", [goal_id])


def _goal(row: Any, change: dict[str, Any] | None = None) -> Goal:
    change = change or {}
    monthly = change.get("monthly", None if pd.isna(row.monthly) else row.monthly)
    date = change.get("target_date", None if pd.isna(row.target_date) else row.target_date)
    return Goal(str(row.id), row.kind, float(change.get("target", row.target)),
                float(row.saved), date, int(row.priority),
                None if monthly is None else float(monthly))


def planner(conn: psycopg.Connection) -> GoalPlanner:
    """A :class:`GoalPlanner` fitted on the stored surplus samples (none: no surplus)."""
    row = conn.execute("select surplus_samples, surplus_shape, as_of from public.forecast_summary"
                       ).fetchone()
    samples = np.zeros((0, 0))
    as_of = dt.date.today()
    if row and row[0] and row[1]:
        samples = np.asarray(row[0], dtype=float).reshape(row[1])
        as_of = row[2] or as_of
    return GoalPlanner(currency_symbol=symbol(base_currency(conn))).fit(
        samples, as_of=pd.Timestamp(as_of))


def what_if(conn: psycopg.Connection, changes: dict[str, dict[str, Any]] | None = None,
            fitted: GoalPlanner | None = None) -> pd.DataFrame:
    """The plan of every goal with ``changes`` (goal id -> any of ``target``, ``target_date``,
    ``monthly``; ``monthly`` None = let the planner choose) applied; :data:`WHAT_IF_COLUMNS`
    plus ``id``, in plan order."""
    frame = goals(conn)
    if frame.empty:
        return pd.DataFrame(columns=["id", *WHAT_IF_COLUMNS])
    changes = changes or {}
    fitted = fitted or planner(conn)
    plan = fitted.plan([_goal(r, changes.get(r.id)) for r in frame.itertuples(index=False)]).goals
    names = dict(zip(frame["id"], frame["name"], strict=True))
    plan = plan.rename(columns={"name": "id"})
    plan.insert(1, "name", plan["id"].map(names))
    plan["explanation"] = [text.replace(gid, name) for text, gid, name in
                           zip(plan["explanation"], plan["id"], plan["name"], strict=True)]
    return plan[["id", *WHAT_IF_COLUMNS]]


def budgets(conn: psycopg.Connection, month: dt.date) -> pd.DataFrame:
    """Every spending category (leaf) with the user's budget, the suggestion and this
    month's stored status."""
    return pd.DataFrame(conn.execute("""
        select c.id::text, c.name, b.amount::float8, b.period, b.rollover,
               s.suggested::float8, s.available::float8, s.spent::float8, s.remaining::float8,
               s.pct, s.status
        from public.categories c
        left join public.budgets b on b.category_id = c.id
        left join public.budget_status s on s.category = c.name and s.month = %s
        where c.kind = 'expense'
          and not exists (select 1 from public.categories k where k.parent_id = c.id)
        order by s.spent desc nulls last, c.name""", [month]).fetchall(),
        columns=["category_id", "category", "amount", "period", "rollover", "suggested",
                 "available", "spent", "remaining", "pct", "status"])


def save_budget(conn: psycopg.Connection, category_id: str, amount: float,
                period: str = "monthly", rollover: bool = True) -> None:
    """Set the budget of ``category_id``; :class:`ValueError` if the category is gone (deleted
    or merged in another tab since the page was drawn)."""
    if conn.execute("select 1 from public.categories where id = %s", [category_id]).fetchone() is None:
        raise ValueError("this category no longer exists (deleted or merged since the page was "
                         "shown); the budget was not saved")
    conn.execute("""
        insert into public.budgets (category_id, amount, period, rollover) values (%s, %s, %s, %s)
        on conflict (user_id, category_id) do update set amount = excluded.amount,
            period = excluded.period, rollover = excluded.rollover, updated_at = now()""",
                 [category_id, amount, period, rollover])


def delete_budget(conn: psycopg.Connection, category_id: str) -> None:
    conn.execute("delete from public.budgets where category_id = %s", [category_id])


def budget_line(category: str, spent: float, available: float, remaining: float, status: str,
                currency: str) -> str:
    """A budget's progress as one line: "Groceries: €379.02 of €735.00 · €355.98 left (ok)";
    over budget, the overspend as such ("€46.55 over budget"), not as a negative amount left."""
    head = f"{category}: {format_money(spent, currency)} of {format_money(available, currency)}"
    if remaining < 0:
        return f"{head} · {format_money(-remaining, currency)} over budget"
    return f"{head} · {format_money(remaining, currency)} left ({status})"


def safe_to_spend(conn: psycopg.Connection, month: dt.date) -> dict[str, Any] | None:
    return dq.safe_to_spend(conn, month)


def readiness(conn: psycopg.Connection) -> dict[str, Any] | None:
    return dq.readiness(conn)


def unique_labels(names: Any) -> list[str]:
    """Names made unique for a select box ("Car", "Car (2)") in the same order."""
    out: list[str] = []
    for name in names:
        label, n = str(name), 2
        while label in out:
            label, n = f"{name} ({n})", n + 1
        out.append(label)
    return out

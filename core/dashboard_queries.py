"""Read models of the Dashboard: every figure is one SQL aggregate or a stored model output.

Functions take an open user-session connection (RLS applies) and return small pandas frames or
dicts; none loads transactions row by row. ``accounts`` (a list of account ids, or None/empty
for all) and a date range ``[start, end)`` filter the transaction figures. Transfers and
excluded rows never count as income or spending. Figures per category read
``public.transaction_lines`` (a split transaction counts as its parts, each under its own
category); the others (money in/out, cash flow, balances, merchants) read whole transactions.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pandas as pd
import psycopg
from psycopg.rows import dict_row

from core.queries import MERCHANT

log = logging.getLogger(__name__)

_SPENDING = "not t.is_transfer and not t.excluded"
_ACCOUNT = "(%(accounts)s::uuid[] is null or t.account_id = any(%(accounts)s::uuid[]))"


def _params(accounts: list[str] | None, **extra: Any) -> dict[str, Any]:
    return {"accounts": [str(a) for a in accounts] if accounts else None, **extra}


def _frame(conn: psycopg.Connection, query: str, params: dict[str, Any],
           columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(query, params).fetchall(), columns=columns)  # type: ignore[arg-type]


def accounts(conn: psycopg.Connection) -> pd.DataFrame:
    """Every account of the user (for the filter)."""
    return _frame(conn, "select id::text, name, kind, currency::text from public.accounts"
                        " order by kind, name", {}, ["id", "name", "kind", "currency"])


def summed_accounts(accounts: pd.DataFrame, picked: list[str] | None, base: str
                    ) -> tuple[list[str] | None, str, list[str]]:
    """Which of the ``picked`` accounts (None: all) money is added up over, in which currency,
    and the currencies left out. Amounts are never converted (there are no exchange rates), so
    accounts in several currencies are narrowed to those in the base currency (else the most
    common currency among them)."""
    chosen = accounts if not picked else accounts.loc[accounts["id"].isin(picked)]
    counts = chosen["currency"].value_counts()
    if len(counts) <= 1:
        return picked, (counts.index[0] if len(counts) else base), []
    currency = base if base in counts.index else sorted(
        counts.index, key=lambda c: (-counts[c], c))[0]
    ids = chosen.loc[chosen["currency"] == currency, "id"].tolist()
    return ids, currency, sorted(c for c in counts.index if c != currency)


def totals(conn: psycopg.Connection, start: dt.date, end: dt.date,
           accounts: list[str] | None = None) -> dict[str, float]:
    """Money in, money out and net for [start, end)."""
    row = conn.execute(f"""
        select coalesce(sum(t.amount) filter (where t.amount > 0), 0),
               coalesce(-sum(t.amount) filter (where t.amount < 0), 0)
        from public.transactions t
        where t.date >= %(start)s and t.date < %(end)s and {_SPENDING} and {_ACCOUNT}""",
        _params(accounts, start=start, end=end)).fetchone()
    income, spent = (float(row[0]), float(row[1])) if row else (0.0, 0.0)
    return {"income": income, "spent": spent, "net": income - spent}


def balances(conn: psycopg.Connection, accounts: list[str] | None = None,
             as_of: dt.date | None = None) -> pd.DataFrame:
    """Each account's balance (opening balance plus its transactions up to ``as_of``)."""
    return _frame(conn, """
        select a.name, a.kind, a.currency, a.opening_balance + coalesce(s.total, 0) as balance
        from public.accounts a
        left join (select t.account_id, sum(t.amount) as total from public.transactions t
                   where %(as_of)s::date is null or t.date <= %(as_of)s::date
                   group by t.account_id) s on s.account_id = a.id
        where %(accounts)s::uuid[] is null or a.id = any(%(accounts)s::uuid[])
        order by a.kind, a.name""", _params(accounts, as_of=as_of),
        ["account", "kind", "currency", "balance"])


def cash_flow(conn: psycopg.Connection, start: dt.date, end: dt.date,
              accounts: list[str] | None = None) -> pd.DataFrame:
    """Money in and out per calendar month in [start, end)."""
    return _frame(conn, f"""
        select date_trunc('month', t.date)::date as month,
               coalesce(sum(t.amount) filter (where t.amount > 0), 0)::float8 as money_in,
               coalesce(-sum(t.amount) filter (where t.amount < 0), 0)::float8 as money_out
        from public.transactions t
        where t.date >= %(start)s and t.date < %(end)s and {_SPENDING} and {_ACCOUNT}
        group by 1 order by 1""", _params(accounts, start=start, end=end),
        ["month", "money_in", "money_out"])


def category_vs_average(conn: psycopg.Connection, month: dt.date,
                        accounts: list[str] | None = None, months: int = 6) -> pd.DataFrame:
    """Money out per top-level category in ``month`` and its average over the ``months``
    months before it, largest first. A split transaction counts as its parts (the money-out
    parts, each under its own category)."""
    prior = (pd.Timestamp(month) - pd.DateOffset(months=months)).date()
    nxt = (pd.Timestamp(month) + pd.DateOffset(months=1)).date()
    return _frame(conn, f"""
        select coalesce(p.name, c.name, 'Uncategorized') as category,
               coalesce(-sum(t.amount) filter (where t.date >= %(month)s), 0)::float8,
               coalesce(-sum(t.amount) filter (where t.date < %(month)s), 0)::float8 / %(n)s
        from public.transaction_lines t
        left join public.categories c on c.id = t.category_id
        left join public.categories p on p.id = c.parent_id
        where t.date >= %(prior)s and t.date < %(next)s and t.amount < 0 and {_SPENDING}
          and {_ACCOUNT}
        group by 1 order by 2 desc, 3 desc""",
        _params(accounts, month=month, prior=prior, next=nxt, n=months),
        ["category", "this_month", "average"])


def top_merchants(conn: psycopg.Connection, start: dt.date, end: dt.date,
                  accounts: list[str] | None = None, limit: int = 10) -> pd.DataFrame:
    """The merchants with the most money out in [start, end)."""
    return _frame(conn, f"""
        select {MERCHANT} as merchant,
               -sum(t.amount)::float8 as spent, count(*) as n
        from public.transactions t
        where t.date >= %(start)s and t.date < %(end)s and t.amount < 0 and {_SPENDING}
          and {_ACCOUNT}
        group by 1 order by 2 desc limit %(limit)s""",
        _params(accounts, start=start, end=end, limit=limit), ["merchant", "spent", "n"])


def forecast(conn: psycopg.Connection) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """The stored forecast from the current month on, and the forecast summary."""
    months = _frame(conn, """
        select month, kind, balance_p10::float8, balance_p50::float8, balance_p90::float8,
               net_p10::float8, net_p50::float8, net_p90::float8
        from public.forecasts where month >= date_trunc('month', current_date)::date
        order by month""", {}, ["month", "kind", "balance_p10", "balance_p50", "balance_p90",
                                "net_p10", "net_p50", "net_p90"])
    summary = conn.cursor(row_factory=dict_row).execute(
        "select status, reason, buffer::float8, balance::float8, prob_below_buffer,"
        " month_end_balance_p10::float8, month_end_balance_p50::float8,"
        " month_end_balance_p90::float8, surplus_p10::float8, surplus_p50::float8,"
        " stability_score, income_regular, computed_at from public.forecast_summary").fetchone()
    return months, summary


def balance_history(conn: psycopg.Connection, total: float, months: int = 12,
                    currency: str | None = None) -> pd.DataFrame:
    """Combined month-end balance for the last ``months`` complete months (the actuals left of
    the forecast fan), walked back from today's ``total`` balance of every account (in
    ``currency``, if given): only the recent months' flows are read."""
    first = (pd.Timestamp(dt.date.today().replace(day=1)) - pd.DateOffset(months=months)).date()
    flows = _frame(conn, """
        select date_trunc('month', t.date)::date as month, sum(t.amount)::float8 as flow
        from public.transactions t join public.accounts a on a.id = t.account_id
        where t.date >= %(first)s and (%(currency)s::text is null or a.currency = %(currency)s)
        group by 1 order by 1 desc""", {"first": first, "currency": currency}, ["month", "flow"])
    later = flows["flow"].cumsum()  # money that moved from each month's start on
    out = pd.DataFrame({"month": (pd.to_datetime(flows["month"]) - pd.DateOffset(months=1)).dt.date,
                        "balance": total - later})
    return out.loc[pd.to_datetime(out["month"]) >= pd.Timestamp(first)].iloc[::-1].reset_index(
        drop=True)


def budget_progress(conn: psycopg.Connection, month: dt.date) -> pd.DataFrame:
    """Stored budget status of ``month`` (largest budgets first)."""
    return _frame(conn, """
        select category, source, budget::float8, available::float8, spent::float8,
               remaining::float8, coalesce(pct, 0), status
        from public.budget_status where month = %(month)s
        order by budget desc, category""", {"month": month},
        ["category", "source", "budget", "available", "spent", "remaining", "pct", "status"])


def safe_to_spend(conn: psycopg.Connection, month: dt.date) -> dict[str, Any] | None:
    return conn.cursor(row_factory=dict_row).execute(
        "select safe_to_spend::float8, per_day::float8, days_left, bills_due::float8,"
        " balance_based::float8, budget_based::float8"
        " from public.safe_to_spend where month = %s", [month]).fetchone()


def goal_progress(conn: psycopg.Connection) -> pd.DataFrame:
    """Every goal with its stored plan (plan columns are null until the job has run)."""
    return _frame(conn, """
        select g.id::text, g.name, g.kind, g.target::float8, g.saved::float8, g.target_date,
               g.priority, g.monthly::float8, p.allocation::float8, p.expected_completion,
               p.confidence, p.status, p.explanation, p.plan_order
        from public.goals g left join public.goal_plans p on p.goal_id = g.id
        order by p.plan_order nulls last, g.priority, g.created_at""", {},
        ["id", "name", "kind", "target", "saved", "target_date", "priority", "monthly",
         "allocation", "expected_completion", "confidence", "status", "explanation", "order"])


def readiness(conn: psycopg.Connection) -> dict[str, Any] | None:
    """The latest stored investment-readiness verdict."""
    return conn.cursor(row_factory=dict_row).execute(
        "select month, score, eligible, raw_eligible, investable_monthly::float8, horizon_years,"
        " instrument, gates, explanation, disclaimer from public.readiness"
        " order by month desc limit 1").fetchone()


def latest_activity_date(conn: psycopg.Connection) -> dt.date | None:
    row = conn.execute("select max(date) from public.transactions").fetchone()
    return row[0] if row else None

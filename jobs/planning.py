"""The planning stage: forecast -> budgets -> goals -> readiness for one user, stored.

Inputs (read under the user's RLS): the transactions of the accounts in the base currency
(money in other currencies is not converted, so it is left out of every sum here), the
recurring series and anomalies of this run (``ctx.recall``), the combined balance of those
accounts (opening balances plus every transaction),
``profiles.balance_buffer``, the essential categories (``categories.is_essential``: the median
monthly essential spend of the last 6 complete months replaces the forecaster's estimate when
there is any), the savings accounts' balances (emergency savings), the user's budgets and goals,
and the earlier readiness records (the 3-month stability filter).

Whatever is added up per category (budget actuals and suggestions, the essential spend, the
forecast's essential / discretionary / income groups) comes from the category lines
(``ctx.base_lines()``, ``public.transaction_lines``): a split transaction counts as its parts.
Recurring series are found on whole transactions, and a split transaction that is a charge of
a series reaches the forecast whole (the series' past charges are its amounts).

Outputs (written as ``pfm_job_worker``, keyed so a rerun gives the same rows): ``forecasts``
per (user, month), ``forecast_summary`` per user (with the surplus samples for the Goals
page's what-if), ``budget_status`` per (user, month, category) and ``safe_to_spend`` per (user,
month), ``goal_plans`` per goal, ``readiness`` per (user, month). Fallbacks: too little
history stores ``status='insufficient_data'`` with the reason and NULL figures; goals then get
``no_surplus`` plans and readiness "not enough history". Budget alerts (80% / 100%) and a
low-balance alert (``prob_below_buffer`` >= 0.3; high risk from 0.6) are handed to the alerts
stage through ``ctx.remember("planning_alerts", ...)``.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import pandas as pd

from core.currency import symbol as currency_symbol
from jobs.context import StageContext
from jobs.planning_store import PLANNING_VERSION as PLANNING_VERSION  # noqa: PLC0414
from jobs.planning_store import (
    num,
    store_budgets,
    store_forecast,
    store_goals,
    store_readiness,
    stored_samples,
)
from ml.budgets import BudgetPlanner
from ml.forecast import CashFlowForecaster, ForecastResult, insufficient
from ml.goals import Goal, GoalPlanner
from ml.readiness import ReadinessAssessor
from ml.recurring import RecurringDetector

log = logging.getLogger(__name__)

LOW_BALANCE_PROB, LOW_BALANCE_HIGH = 0.3, 0.6
WEEKS_PER_MONTH = 52 / 12


def load_inputs(ctx: StageContext) -> dict[str, Any]:
    """Everything the planning models need besides the transactions (one user session); sums
    of money cover the accounts in the base currency (see ``StageContext.base_transactions``)."""
    currency = ctx.currency()
    with ctx.reader() as conn:
        balance, savings = conn.execute("""
            select coalesce(sum(b.balance), 0),
                   coalesce(sum(b.balance) filter (where b.kind = 'savings'), 0)
            from (select a.kind, a.opening_balance + coalesce(
                         (select sum(t.amount) from public.transactions t
                          where t.account_id = a.id), 0) as balance
                  from public.accounts a where a.currency = %s) b""", [currency]).fetchone()
        row = conn.execute("select balance_buffer from public.profiles").fetchone()
        start = (pd.Timestamp(ctx.today).to_period("M").to_timestamp()
                 - pd.DateOffset(months=6)).date()
        essential = conn.execute("""
            select percentile_cont(0.5) within group (order by m.spent) from (
              select date_trunc('month', t.date) as month, -sum(t.amount) as spent
              from public.transaction_lines t join public.categories c on c.id = t.category_id
              join public.accounts a on a.id = t.account_id
              where c.is_essential and t.amount < 0 and not t.is_transfer and not t.excluded
                and t.date >= %s and t.date < date_trunc('month', %s::date) and a.currency = %s
              group by 1) m""", [start, ctx.today, currency]).fetchone()[0]
        budgets = conn.execute("""
            select b.category_id, c.name, b.period, b.amount, b.rollover
            from public.budgets b join public.categories c on c.id = b.category_id""").fetchall()
        categories = dict(conn.execute("select name, id from public.categories"
                                       " order by parent_id nulls first").fetchall())
        goals = conn.execute("""
            select id, name, kind, target, saved, target_date, priority, monthly
            from public.goals order by priority, created_at, id""").fetchall()
        previous = [r[0] for r in conn.execute(
            "select record from public.readiness where month < %s order by month",
            [pd.Timestamp(ctx.today).replace(day=1).date()]).fetchall()]
    return {"balance": float(balance), "savings": float(savings),
            "buffer": float(row[0]) if row else 0.0,
            "essential": float(essential) if essential is not None else None,
            "budgets": budgets, "categories": categories, "goals": goals, "previous": previous}


def forecast_input(lines: pd.DataFrame, tx: pd.DataFrame,
                   series: pd.DataFrame | None) -> pd.DataFrame:
    """The rows the forecaster learns from: the category lines (a split transaction as its
    parts, so each part lands in its own essential / discretionary / income group), except that
    a split transaction which is a charge of a recurring ``series`` stays whole, as the series
    saw it (the forecaster projects a series from the amounts of its past charges)."""
    split = lines["is_split"].astype(bool)
    if not split.any() or series is None or not len(series):
        return lines
    members = {str(i) for ids in series["transaction_ids"] for i in ids}
    whole = split & lines["id"].isin(members)
    if not whole.any():
        return lines
    kept = tx.loc[tx["id"].isin(set(lines.loc[whole, "id"]))].assign(is_split=False)
    return pd.concat([lines.loc[~whole], kept[list(lines.columns)]], ignore_index=True
                     ).sort_values(["date", "id"], kind="stable", ignore_index=True)


def forecast(ctx: StageContext, inputs: dict[str, Any]) -> ForecastResult:
    """The user's cash-flow forecast of the accounts in the base currency (essential spend from
    the user's essential categories). With accounts in other currencies too, the recurring
    series are found again on those accounts alone; with none in the base currency, an
    ``insufficient_data`` result says so."""
    tx, every = ctx.base_transactions(), ctx.transactions()
    as_of = pd.Timestamp(ctx.today)
    if tx.empty and not every.empty:
        return insufficient(f"none of your accounts is in your base currency ({ctx.currency()}):"
                            " choose one of your accounts' currencies in Settings", as_of,
                            inputs["balance"], inputs["buffer"], CashFlowForecaster().horizon)
    series = ctx.recall("series") if len(tx) == len(every) else None
    if series is None and len(tx):  # on whole transactions, as the recurring stage does
        series = RecurringDetector(as_of=as_of).fit(tx).series_
    result = CashFlowForecaster(buffer=inputs["buffer"]).fit(
        forecast_input(ctx.base_lines(), tx, series), recurring=series,
        balance=inputs["balance"], as_of=as_of).result_
    if result.status == "ok" and inputs["essential"] is not None and inputs["essential"] > 0:
        result.scalars["essential_spend"] = inputs["essential"]
    return result


def budgets(ctx: StageContext, inputs: dict[str, Any], fc: ForecastResult) -> BudgetPlanner:
    """Budgets (the user's, else suggested), progress, safe-to-spend and budget alerts.

    Suggestions leave this run's anomalies out (a one-off never inflates a budget), but
    progress counts every purchase (money spent is spent). Both come from the category lines:
    a split purchase counts each part against its own category. Weekly budgets count as
    amount x 52 / 12 a month; a budget with ``rollover`` off takes its row from a fit without
    rollover. The returned planner's ``suggested_`` is the anomaly-free one."""
    user = {str(name): float(amount) * (WEEKS_PER_MONTH if period == "weekly" else 1.0)
            for _, name, period, amount, _ in inputs["budgets"]}
    found = ctx.recall("anomalies")
    flagged = list(found["id"].astype(str)) if found is not None and len(found) else None
    tx, as_of = ctx.base_lines(), pd.Timestamp(ctx.today)  # a split counts as its parts
    clean = BudgetPlanner().fit(tx, as_of=as_of, anomaly_ids=flagged)
    chosen = {**dict(zip(clean.suggested_["category"], clean.suggested_["suggested"],
                         strict=True)), **user}
    args = {"as_of": as_of, "budgets": chosen, "balance": inputs["balance"],
            "upcoming": fc.recurring_items, "buffer": inputs["buffer"]}
    planner = BudgetPlanner().fit(tx, **args)
    no_roll = {str(name) for _, name, _, _, roll in inputs["budgets"] if not roll}
    if no_roll:
        flat = BudgetPlanner(rollover=False).fit(tx, **args)
        keep = ~planner.progress_["category"].isin(no_roll)
        planner.progress_ = pd.concat([planner.progress_[keep], flat.progress_[
            ~flat.progress_["category"].isin(planner.progress_.loc[keep, "category"])]],
            ignore_index=True)
        planner.alerts_ = pd.concat([planner.alerts_[~planner.alerts_["category"].isin(no_roll)],
                                     flat.alerts_[flat.alerts_["category"].isin(no_roll)]],
                                    ignore_index=True)
    planner.suggested_ = clean.suggested_
    return planner


def goal_list(rows: list[tuple]) -> tuple[list[Goal], list[str]]:
    """:class:`ml.goals.Goal` objects and their ids from ``public.goals`` rows; duplicate
    names get a suffix so each plan row maps back to its goal."""
    goals, ids, seen = [], [], set()
    for gid, name, kind, target, saved, date, priority, monthly in rows:
        label, n = str(name), 2
        while label in seen:
            label, n = f"{name} ({n})", n + 1
        seen.add(label)
        goals.append(Goal(label, kind, float(target), float(saved or 0), date, int(priority),
                          None if monthly is None else float(monthly)))
        ids.append(str(gid))
    return goals, ids


def _open_anomalies(ctx: StageContext) -> pd.DataFrame:
    """This run's anomalies of the last 90 days (the ones that alert), all counted as open."""
    found = ctx.recall("anomalies")
    if found is None or not len(found):
        return pd.DataFrame(columns=["risk", "status"])
    recent = pd.to_datetime(found["date"]) >= pd.Timestamp(ctx.today) - pd.Timedelta(days=90)
    return found.loc[recent, ["risk"]].assign(status="open")


def planning_alerts(ctx: StageContext, fc: ForecastResult, planner: BudgetPlanner
                    ) -> list[dict[str, Any]]:
    """Budget alerts (80% / 100%) and a low-balance alert, as alert-stage candidates."""
    symbol = currency_symbol(ctx.currency())
    out = [{"key": a.alert_key, "type": "budget", "risk": "medium",
            "title": f"{a.category}: {a.level}% of this month's budget used",
            "body": f"{symbol}{a.spent:,.2f} spent of {symbol}{a.available:,.2f}.", "ids": []}
           for a in planner.alerts_.itertuples(index=False)]
    p = fc.prob_below_buffer
    if p is not None and math.isfinite(p) and p >= LOW_BALANCE_PROB:
        month = pd.Timestamp(ctx.today).strftime("%Y-%m")
        out.append({"key": f"low_balance:{month}", "type": "low_balance",
                    "risk": "high" if p >= LOW_BALANCE_HIGH else "medium",
                    "title": "Your balance may drop below your buffer",
                    "body": f"A {p:.0%} chance that your balance falls below "
                            f"{symbol}{fc.buffer:,.2f} before the month ends (expected month-end "
                            f"balance {symbol}{num(fc.month_end_balance_p50) or 0:,.2f}).",
                    "ids": []})
    return out


def planning(ctx: StageContext) -> int:
    """Forecast, budgets, goal plans and readiness for one user, stored in one transaction."""
    inputs = load_inputs(ctx)
    fc = forecast(ctx, inputs)
    planner = budgets(ctx, inputs, fc)
    goals, ids = goal_list(inputs["goals"])
    plan = GoalPlanner(currency_symbol=currency_symbol(ctx.currency())).fit(
        stored_samples(fc), as_of=pd.Timestamp(ctx.today)).plan(goals)
    readiness = ReadinessAssessor().fit(fc, inputs["savings"], plan.goals, _open_anomalies(ctx),
                                        inputs["previous"]).result_
    ctx.remember("planning_alerts", planning_alerts(ctx, fc, planner))
    with ctx.writer() as conn:
        rows = store_forecast(conn, ctx, fc)
        rows += store_budgets(conn, ctx, inputs, planner)
        rows += store_goals(conn, ctx, ids, plan.goals, goals)
        rows += store_readiness(conn, ctx, readiness)
    log.info("user %s: forecast %s, %d budget(s), %d goal(s), readiness %.0f", ctx.user_id,
             fc.status, len(planner.progress_), len(goals), readiness.score)
    return rows

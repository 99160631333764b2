"""Writers of the planning stage: idempotent upserts of the forecast, budget status,
safe-to-spend, goal plans and readiness of one user (called inside ``ctx.writer()``).

Keys: ``forecasts`` (user, month), ``forecast_summary`` (user), ``budget_status`` (user, month,
category: the month's rows are replaced), ``safe_to_spend`` (user, month), ``goal_plans`` (user,
goal; plans of deleted goals removed), ``readiness`` (user, month). NaN figures become NULL.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from jobs.context import StageContext
from ml.budgets import BudgetPlanner
from ml.forecast import ForecastResult
from ml.goals import Goal

log = logging.getLogger(__name__)

PLANNING_VERSION = "planning-2"
"""Stored with every planning row. 2: goal plans sustain a year's average month drawn by
``ml.goals.future_months`` (1: the forecast's 3-month average)."""
MONTH_COLS = [f"{v}_p{q}" for v in ("income", "spend", "net", "balance") for q in (10, 50, 90)]


def num(value: Any, digits: int = 2) -> float | None:
    """A finite float rounded, else None (NULL)."""
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return round(x, digits) if math.isfinite(x) else None


def stored_samples(fc: object) -> np.ndarray:
    """The forecast's surplus samples as ``forecast_summary.surplus_samples`` keeps them: in
    cents, as ``real`` (float32). The job plans the goals from these very values, so the Goals
    page's what-if (which reads them back) reproduces the stored plan to the cent."""
    samples = np.asarray(getattr(fc, "surplus_samples", fc), dtype=float)
    return np.round(samples, 2).astype(np.float32).astype(float)


def store_forecast(conn: Any, ctx: StageContext, fc: ForecastResult) -> int:
    uid, run = str(ctx.user_id), str(ctx.run_id)
    months = fc.months.dropna(subset=["month"])
    for m in months.itertuples(index=False):
        conn.execute(f"""
            insert into public.forecasts (user_id, month, kind, {", ".join(MONTH_COLS)},
                recurring_in, recurring_out, model_version, run_id, computed_at)
            values (%s, %s, %s, {", ".join(["%s"] * len(MONTH_COLS))}, %s, %s, %s, %s, now())
            on conflict (user_id, month) do update set kind = excluded.kind,
                {", ".join(f"{c} = excluded.{c}" for c in MONTH_COLS)},
                recurring_in = excluded.recurring_in, recurring_out = excluded.recurring_out,
                model_version = excluded.model_version, run_id = excluded.run_id,
                computed_at = now()""",
            [uid, pd.Timestamp(m.month).date(), m.kind, *[num(getattr(m, c)) for c in MONTH_COLS],
             num(m.recurring_in), num(m.recurring_out), PLANNING_VERSION, run])
    first = pd.Timestamp(ctx.today).replace(day=1).date()
    conn.execute("delete from public.forecasts where user_id = %s and month >= %s"
                 " and not (month = any(%s))",
                 [uid, first, [pd.Timestamp(m).date() for m in months["month"]]])
    samples = stored_samples(fc)
    ok = samples.size > 0 and bool(np.isfinite(samples).all())
    cv = fc.income_cv
    stability = num(max(0.0, 1.0 - cv / 0.5), 3) if cv is not None and math.isfinite(cv) else None
    conn.execute("""
        insert into public.forecast_summary (user_id, as_of, status, reason, balance, buffer,
            month_end_balance_p10, month_end_balance_p50, month_end_balance_p90,
            prob_below_buffer, income_cv, income_regular, income_stability, spend_cv,
            essential_spend, surplus_p10, surplus_p50, prob_surplus_positive, stability_score,
            n_months, surplus_samples, surplus_shape, details, model_version, run_id, computed_at)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
                %s, %s, %s, %s, %s, now())
        on conflict (user_id) do update set as_of = excluded.as_of, status = excluded.status,
            reason = excluded.reason, balance = excluded.balance, buffer = excluded.buffer,
            month_end_balance_p10 = excluded.month_end_balance_p10,
            month_end_balance_p50 = excluded.month_end_balance_p50,
            month_end_balance_p90 = excluded.month_end_balance_p90,
            prob_below_buffer = excluded.prob_below_buffer, income_cv = excluded.income_cv,
            income_regular = excluded.income_regular, income_stability = excluded.income_stability,
            spend_cv = excluded.spend_cv, essential_spend = excluded.essential_spend,
            surplus_p10 = excluded.surplus_p10, surplus_p50 = excluded.surplus_p50,
            prob_surplus_positive = excluded.prob_surplus_positive,
            stability_score = excluded.stability_score, n_months = excluded.n_months,
            surplus_samples = excluded.surplus_samples, surplus_shape = excluded.surplus_shape,
            details = excluded.details, model_version = excluded.model_version,
            run_id = excluded.run_id, computed_at = now()""",
        [str(ctx.user_id), None if fc.as_of is None else fc.as_of.date(), fc.status, fc.reason,
         num(fc.balance), num(fc.buffer), num(fc.month_end_balance_p10),
         num(fc.month_end_balance_p50), num(fc.month_end_balance_p90),
         num(fc.prob_below_buffer, 4), num(fc.income_cv, 4), bool(fc.income_regular), stability,
         num(fc.spend_cv, 4), num(fc.essential_spend), num(fc.surplus_p10), num(fc.surplus_p50),
         num(fc.prob_surplus_positive, 4), num(fc.stability_score, 1), int(fc.n_months),
         samples.ravel().tolist() if ok else None,
         list(samples.shape) if ok else None,
         json.dumps({"methods": fc.methods, "calibration": fc.calibration}),
         PLANNING_VERSION, run])
    return len(months) + 1


def store_budgets(conn: Any, ctx: StageContext, inputs: dict[str, Any],
                   planner: BudgetPlanner) -> int:
    uid, run, month = str(ctx.user_id), str(ctx.run_id), planner.month_.date()
    periods = {str(name): (cid, period) for cid, name, period, _, _ in inputs["budgets"]}
    suggested = dict(zip(planner.suggested_["category"], planner.suggested_["suggested"],
                         strict=True))
    conn.execute("delete from public.budget_status where user_id = %s and month = %s",
                 [uid, month])
    for p in planner.progress_.itertuples(index=False):
        cid, period = periods.get(p.category, (inputs["categories"].get(p.category), "monthly"))
        conn.execute("""
            insert into public.budget_status (user_id, month, category, category_id, source,
                period, budget, suggested, rollover, available, spent, remaining, pct, status,
                weekly_budget, spent_this_week, model_version, run_id)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
            [uid, month, p.category, cid, "user" if p.category in periods else "suggested",
             period, num(p.budget), num(suggested.get(p.category)), num(p.rollover),
             num(p.available), num(p.spent), num(p.remaining), num(p.pct, 4), p.status,
             num(p.weekly_budget), num(p.spent_this_week), PLANNING_VERSION, run])
    s = planner.safe_to_spend_
    conn.execute("""
        insert into public.safe_to_spend (user_id, month, safe_to_spend, per_day, days_left,
            balance_based, budget_based, bills_due, income_due, model_version, run_id)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
        on conflict (user_id, month) do update set safe_to_spend = excluded.safe_to_spend,
            per_day = excluded.per_day, days_left = excluded.days_left,
            balance_based = excluded.balance_based, budget_based = excluded.budget_based,
            bills_due = excluded.bills_due, income_due = excluded.income_due,
            model_version = excluded.model_version, run_id = excluded.run_id,
            computed_at = now()""",
        [uid, month, num(s["safe_to_spend"]) or 0.0, num(s["per_day"]) or 0.0,
         int(s["days_left"]), num(s["balance_based"]), num(s["budget_based"]),
         num(s["bills_due"]), num(s["income_due"]), PLANNING_VERSION, run])
    return len(planner.progress_) + 1


def store_goals(conn: Any, ctx: StageContext, ids: list[str], plan: pd.DataFrame,
                 goals: list[Goal]) -> int:
    uid, run = str(ctx.user_id), str(ctx.run_id)
    by_name = dict(zip([g.name for g in goals], ids, strict=True))
    conn.execute("delete from public.goal_plans where user_id = %s and not (goal_id = any(%s))",
                 [uid, ids])
    for r in plan.itertuples(index=False):
        conn.execute("""
            insert into public.goal_plans (user_id, goal_id, plan_order, allocation,
                required_monthly, capped, expected_completion, confidence, status, explanation,
                model_version, run_id, computed_at)
            values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())
            on conflict (user_id, goal_id) do update set plan_order = excluded.plan_order,
                allocation = excluded.allocation, required_monthly = excluded.required_monthly,
                capped = excluded.capped, expected_completion = excluded.expected_completion,
                confidence = excluded.confidence, status = excluded.status,
                explanation = excluded.explanation, model_version = excluded.model_version,
                run_id = excluded.run_id, computed_at = now()""",
            [uid, by_name[r.name], int(r.order), num(r.allocation) or 0.0,
             num(r.required_monthly), bool(r.capped), r.expected_completion,
             num(r.confidence, 3), r.status, r.explanation, PLANNING_VERSION, run])
    return len(plan)


def store_readiness(conn: Any, ctx: StageContext, res: Any) -> int:
    month = pd.Timestamp(ctx.today).replace(day=1).date()
    gates = [{k: (num(v, 4) if isinstance(v, float) else v) for k, v in g.__dict__.items()}
             for g in res.gates]
    conn.execute("""
        insert into public.readiness (user_id, month, score, eligible, raw_eligible,
            investable_monthly, horizon_years, instrument, gates, explanation, disclaimer,
            record, model_version, run_id, computed_at)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())
        on conflict (user_id, month) do update set score = excluded.score,
            eligible = excluded.eligible, raw_eligible = excluded.raw_eligible,
            investable_monthly = excluded.investable_monthly,
            horizon_years = excluded.horizon_years, instrument = excluded.instrument,
            gates = excluded.gates, explanation = excluded.explanation,
            disclaimer = excluded.disclaimer, record = excluded.record,
            model_version = excluded.model_version, run_id = excluded.run_id,
            computed_at = now()""",
        [str(ctx.user_id), month, float(res.score), bool(res.eligible), bool(res.raw_eligible),
         num(res.investable_monthly) or 0.0, num(res.horizon_years, 1), res.instrument,
         json.dumps(gates), res.explanation, res.disclaimer,
         json.dumps({**res.record(), "month": month.strftime("%Y-%m")}), PLANNING_VERSION,
         str(ctx.run_id)])
    return 1

"""Pipeline stages that turn a user's transactions into stored patterns, series and anomalies.

Each stage takes a :class:`~jobs.context.StageContext`, calls a pure estimator from ``ml/``
and upserts its rows in one transaction, keyed so that a rerun produces the same rows:
monthly features by (user, month), recurring series by (user, series_key) keeping the user's
confirm/dismiss, anomalies by (user, alert_key). Rows the new run no longer produces are removed.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pandas as pd

from core.currency import symbol as currency_symbol
from jobs.context import StageContext
from ml.anomalies import AnomalyDetector
from ml.patterns import monthly_features
from ml.recurring import RecurringDetector

log = logging.getLogger(__name__)

PATTERNS_VERSION = "patterns-1"
RECURRING_VERSION = "recurring-1"
ANOMALIES_VERSION = "anomalies-1"


def _date(value: Any) -> Any:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _num(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 2)


def _features(ctx: StageContext) -> pd.DataFrame:
    """Monthly features of the user's category lines (a split transaction counts as its parts
    in ``spend_by_category`` and the fixed/variable split); the purchase counts (``n_out``,
    ``frequency_trend``) stay those of whole transactions."""
    lines, tx = ctx.lines(), ctx.transactions()
    feats = monthly_features(lines)
    if not lines["is_split"].any():
        return feats
    counts = monthly_features(tx).set_index("month")[["n_out", "frequency_trend"]]
    at = feats["month"]
    feats["n_out"] = counts["n_out"].reindex(at).fillna(0).astype("int64").to_numpy()
    feats["frequency_trend"] = counts["frequency_trend"].reindex(at).to_numpy()
    return feats


def patterns(ctx: StageContext) -> int:
    """Monthly income, spending, fixed/variable split, savings rate, volatility per month."""
    feats = _features(ctx)
    rows = [(str(ctx.user_id), _date(r.month), _num(r.income) or 0, _num(r.spend) or 0,
             _num(r.net) or 0, _num(r.fixed_spend) or 0, _num(r.variable_spend) or 0,
             _num(r.savings_rate), _num(r.volatility),
             json.dumps({"spend_by_category": {k: round(float(v), 2) for k, v in
                                               (r.spend_by_category or {}).items()},
                         "n_out": int(r.n_out), "frequency_trend": _num(r.frequency_trend),
                         "seasonality_index": _num(r.seasonality_index)}),
             PATTERNS_VERSION, str(ctx.run_id)) for r in feats.itertuples(index=False)]
    with ctx.writer() as conn:
        conn.execute("delete from public.monthly_features where user_id = %s", [str(ctx.user_id)])
        if rows:
            conn.cursor().executemany(
                "insert into public.monthly_features (user_id, month, income, spend, net,"
                " fixed_spend, variable_spend, savings_rate, volatility, features, model_version,"
                " run_id) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows)
    return len(rows)


def recurring(ctx: StageContext) -> int:
    """Subscriptions and bills with cadence, next date and amount, price changes, misses."""
    series = RecurringDetector(as_of=pd.Timestamp(ctx.today)).fit(ctx.transactions()).series_
    ctx.remember("series", series)
    keys = [str(k) for k in series["series_key"]]
    with ctx.writer() as conn:
        conn.execute("delete from public.recurring_series where user_id = %s"
                     " and not (series_key = any(%s))", [str(ctx.user_id), keys])
        for s in series.itertuples(index=False):
            change = None
            if bool(s.has_price_rise) or not pd.isna(s.price_change_pct):
                change = {"date": str(_date(s.price_change_date)), "from": _num(s.price_change_from),
                          "to": _num(s.price_change_to), "pct": _num(s.price_change_pct),
                          "rise": bool(s.has_price_rise)}
            conn.execute("""
                insert into public.recurring_series (user_id, series_key, merchant, cadence,
                    direction, mean_amount, last_amount, n, first_date, last_date, next_date,
                    next_amount, status, price_change, confidence, transaction_ids,
                    model_version, run_id, updated_at)
                values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::uuid[],
                        %s, %s, now())
                on conflict (user_id, series_key) do update set
                    merchant = excluded.merchant, cadence = excluded.cadence,
                    direction = excluded.direction, mean_amount = excluded.mean_amount,
                    last_amount = excluded.last_amount, n = excluded.n,
                    first_date = excluded.first_date, last_date = excluded.last_date,
                    next_date = excluded.next_date, next_amount = excluded.next_amount,
                    status = excluded.status, price_change = excluded.price_change,
                    confidence = excluded.confidence, transaction_ids = excluded.transaction_ids,
                    model_version = excluded.model_version, run_id = excluded.run_id,
                    updated_at = now()""",
                [str(ctx.user_id), s.series_key, s.merchant, s.cadence, s.direction,
                 _num(s.mean_amount), _num(s.last_amount), int(s.n), _date(s.first_date),
                 _date(s.last_date), _date(s.next_date), _num(s.next_amount), s.status,
                 json.dumps(change) if change else None, _num(s.confidence),
                 [str(i) for i in s.transaction_ids], RECURRING_VERSION, str(ctx.run_id)])
    return len(series)


def _verdicts(ctx: StageContext) -> list[dict[str, Any]]:
    with ctx.reader() as conn:
        rows = conn.execute("select transaction_id, merchant, kind, verdict"
                            " from public.anomaly_verdicts order by created_at").fetchall()
    return [{"transaction_id": str(t) if t else None, "merchant": m, "kind": k, "verdict": v}
            for t, m, k, v in rows]


def anomalies(ctx: StageContext) -> int:
    """Unusual charges with a score, a risk level and a reason; user verdicts applied. Each
    currency's accounts are scored on their own (amounts are never compared across them), and
    reasons are written in that currency."""
    series, verdicts, tx = ctx.recall("series"), _verdicts(ctx), ctx.transactions()
    groups = tx.groupby("account_currency", sort=True) if len(tx) else [(ctx.currency(), tx)]
    parts = [AnomalyDetector(currency_symbol=currency_symbol(code), verdicts=verdicts,
                             recurring=series).fit(group.reset_index(drop=True)).anomalies_
             for code, group in groups]  # amounts compared within one currency only
    found = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    ctx.remember("anomalies", found)
    keys = [str(k) for k in found["alert_key"]]
    with ctx.writer() as conn:
        conn.execute("delete from public.anomalies where user_id = %s and not (alert_key = any(%s))",
                     [str(ctx.user_id), keys])
        for a in found.itertuples(index=False):
            conn.execute("""
                insert into public.anomalies (user_id, alert_key, transaction_id, related_ids,
                    kind, kinds, score, risk, reason, details, model_version, run_id)
                values (%s, %s, %s, %s::uuid[], %s, %s, %s, %s, %s, %s, %s, %s)
                on conflict (user_id, alert_key) do update set
                    transaction_id = excluded.transaction_id, related_ids = excluded.related_ids,
                    kind = excluded.kind, kinds = excluded.kinds, score = excluded.score,
                    risk = excluded.risk, reason = excluded.reason, details = excluded.details,
                    model_version = excluded.model_version, run_id = excluded.run_id""",
                [str(ctx.user_id), a.alert_key, str(a.id), [str(i) for i in (a.related_ids or [])],
                 a.kind, list(a.kinds or []), float(a.score), a.risk, a.reason,
                 json.dumps(a.details or {}, default=str), ANOMALIES_VERSION, str(ctx.run_id)])
    return len(found)

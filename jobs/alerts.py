"""The alerts stage: turn this run's anomalies and series into deduplicated alerts.

An alert's ``alert_key`` names the event (``anomaly:<key>``, ``price_rise:<series>:<date>``,
``missed:<series>:<due date>``, ``upcoming:<series>:<date>``, ``new:<series>``), and inserts
ignore a key that exists, so the same event alerts once whatever the number of runs; the user's
snooze/dismiss is never overwritten. Delivery follows the risk: high = in-app + email + webhook
(+ SMS) as the user's preferences allow; medium = in-app; low = logged only.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from psycopg.rows import dict_row

from core.currency import format_money
from jobs.context import StageContext

log = logging.getLogger(__name__)

ALERTS_VERSION = "alerts-1"
ANOMALY_WINDOW_DAYS = 90  # older anomalies are listed on the page but do not raise alerts
UPCOMING_DAYS = 3
PRICE_RISE_WINDOW_DAYS = 365


def _money(amount: Any, code: str) -> str:
    return format_money(abs(float(amount)), code)


def candidate_alerts(ctx: StageContext) -> list[dict[str, Any]]:
    """Alerts implied by this run's outputs (before deduplication); a bill's amounts are in
    the currency of the account it is paid from."""
    today = pd.Timestamp(ctx.today)
    out: list[dict[str, Any]] = []
    found = ctx.recall("anomalies")
    if found is not None:
        recent = found[(pd.to_datetime(found["date"]) >= today - pd.Timedelta(days=ANOMALY_WINDOW_DAYS))
                       & found["risk"].isin(["high", "medium"])]
        for a in recent.itertuples(index=False):
            out.append({"key": f"anomaly:{a.alert_key}", "type": "anomaly", "risk": a.risk,
                        "title": f"Unusual charge at {a.merchant}", "body": a.reason,
                        "ids": [str(a.id), *[str(i) for i in (a.related_ids or [])]]})
    series = ctx.recall("series")
    if series is not None:
        tx = ctx.transactions()
        currency_of = dict(zip(tx["id"], tx["account_currency"], strict=True))
        for s in series[series["direction"] == "out"].itertuples(index=False):
            ids = [str(i) for i in s.transaction_ids][-2:]
            code = currency_of.get(ids[-1], ctx.currency()) if ids else ctx.currency()
            if bool(s.has_price_rise) and not pd.isna(s.price_change_date) and \
                    pd.Timestamp(s.price_change_date) >= today - pd.Timedelta(days=PRICE_RISE_WINDOW_DAYS):
                out.append({"key": f"price_rise:{s.series_key}:{pd.Timestamp(s.price_change_date).date()}",
                            "type": "price_rise", "risk": "medium",
                            "title": f"{s.merchant} raised its price",
                            "body": f"{s.merchant} went from {_money(s.price_change_from, code)} to "
                                    f"{_money(s.price_change_to, code)} "
                                    f"(+{float(s.price_change_pct) * 100:.0f}%).", "ids": ids})
            if s.status == "missed" and s.cadence != "irregular":
                out.append({"key": f"missed:{s.series_key}:{pd.Timestamp(s.next_date).date()}",
                            "type": "missed_bill", "risk": "medium",
                            "title": f"Expected {s.merchant} payment did not arrive",
                            "body": f"Your {s.cadence} {s.merchant} payment of about "
                                    f"{_money(s.next_amount, code)} was due on "
                                    f"{pd.Timestamp(s.next_date):%d %b}.", "ids": ids})
            elif s.status in ("active", "new") and not pd.isna(s.next_date) and \
                    today <= pd.Timestamp(s.next_date) <= today + pd.Timedelta(days=UPCOMING_DAYS):
                out.append({"key": f"upcoming:{s.series_key}:{pd.Timestamp(s.next_date).date()}",
                            "type": "upcoming_bill", "risk": "low",
                            "title": f"{s.merchant} is due soon",
                            "body": f"About {_money(s.next_amount, code)} on "
                                    f"{pd.Timestamp(s.next_date):%d %b}.", "ids": ids})
            if bool(s.is_new) and s.cadence != "irregular":
                out.append({"key": f"new:{s.series_key}", "type": "new_subscription", "risk": "low",
                            "title": f"New {s.cadence} payment: {s.merchant}",
                            "body": f"{_money(s.last_amount, code)} each time, "
                                    f"{int(s.n)} so far.", "ids": ids})
    out.extend(ctx.recall("planning_alerts") or [])  # budget and low-balance (planning stage)
    return out


def _channels(risk: str, prefs: dict[str, Any] | None) -> list[str]:
    if risk != "high":
        return ["log"] if risk == "low" else []
    prefs = prefs or {}
    return [c for c, on in (("email", prefs.get("email_enabled") and prefs.get("email_consent")),
                            ("webhook", prefs.get("webhook_enabled")),
                            ("sms", prefs.get("sms_enabled"))) if on]


def _prefs(ctx: StageContext) -> dict[str, Any] | None:
    with ctx.reader() as conn:
        return conn.cursor(row_factory=dict_row).execute(
            "select n.*, public.has_consent('email_alerts') as email_consent"
            " from public.notification_prefs n").fetchone()


def alerts(ctx: StageContext) -> int:
    """Insert new alerts (deduplicated), wake expired snoozes, queue deliveries."""
    candidates = candidate_alerts(ctx)
    prefs = _prefs(ctx)
    created = 0
    with ctx.writer() as conn:
        conn.execute("update public.alerts set status = 'open', snoozed_until = null, updated_at = now()"
                     " where user_id = %s and status = 'snoozed' and snoozed_until <= now()",
                     [str(ctx.user_id)])
        for c in candidates:
            row = conn.execute("""
                insert into public.alerts (user_id, alert_key, type, risk, title, body,
                    transaction_ids, model_version, run_id)
                values (%s, %s, %s, %s, %s, %s, %s::uuid[], %s, %s)
                on conflict (user_id, alert_key) do nothing returning id""",
                [str(ctx.user_id), c["key"], c["type"], c["risk"], c["title"], c["body"], c["ids"],
                 ALERTS_VERSION, str(ctx.run_id)]).fetchone()
            if row is None:
                continue
            created += 1
            for channel in _channels(c["risk"], prefs):
                conn.execute("insert into public.alert_deliveries (user_id, alert_id, channel,"
                             " next_attempt_at) values (%s, %s, %s, now())"
                             " on conflict (alert_id, channel) do nothing",
                             [str(ctx.user_id), row[0], channel])
    log.info("user %s: %d new alert(s) of %d candidate(s)", ctx.user_id, created, len(candidates))
    return created

"""Alerts, anomalies, subscriptions and notification preferences, for the signed-in user.

All functions take a user-session connection (RLS limits every row to the user). Users may
change only feedback: an alert's status/snooze, a series' confirm/dismiss, anomaly verdicts and
their own notification preferences. A verdict marks the user dirty (trigger), so the next
pipeline run applies it: an "expected" pattern stops alerting.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pandas as pd
import psycopg
from psycopg.rows import dict_row

log = logging.getLogger(__name__)

STATUSES = ("open", "snoozed", "dismissed", "resolved")
RISKS = ("high", "medium", "low")
TYPES = ("anomaly", "price_rise", "missed_bill", "upcoming_bill", "new_subscription",
         "low_balance", "budget")


def list_alerts(conn: psycopg.Connection, *, types: list[str] | None = None,
                risks: list[str] | None = None, statuses: list[str] | None = None,
                limit: int = 200) -> pd.DataFrame:
    """Alerts newest first, filtered; snoozes that have expired count as open."""
    rows = conn.execute("""
        select id, type, risk,
               case when status = 'snoozed' and snoozed_until <= now() then 'open' else status end
                 as status,
               title, body, transaction_ids, snoozed_until, created_at
        from public.alerts
        where (%(types)s::text[] is null or type = any(%(types)s))
          and (%(risks)s::text[] is null or risk = any(%(risks)s))
        order by case risk when 'high' then 0 when 'medium' then 1 else 2 end, created_at desc
        limit %(limit)s""", {"types": types or None, "risks": risks or None, "limit": limit}).fetchall()
    df = pd.DataFrame(rows, columns=["id", "type", "risk", "status", "title", "body",
                                     "transaction_ids", "snoozed_until", "created_at"])
    if statuses:
        df = df[df["status"].isin(statuses)].reset_index(drop=True)
    return df


def shown_risks(min_risk: str) -> list[str]:
    """The risk levels shown in the app from ``min_risk`` up (the user's "show in the app
    from" setting): ``"medium"`` -> high and medium."""
    return list(RISKS[: RISKS.index(min_risk) + 1]) if min_risk in RISKS else list(RISKS)


_OPEN = "(status = 'open' or (status = 'snoozed' and snoozed_until <= now()))"  # as list_alerts


def open_alerts(conn: psycopg.Connection, limit: int = 5, min_risk: str = "low"
                ) -> tuple[int, pd.DataFrame, int]:
    """Open alerts (expired snoozes count as open, as in :func:`list_alerts`) of the risk
    levels :func:`shown_risks` gives for ``min_risk``: their number, the newest ``limit`` of
    them (highest risk first) and how many open ones are below ``min_risk``."""
    shown = shown_risks(min_risk)
    count, hidden = conn.execute(
        f"select count(*) filter (where risk = any(%(r)s)),"
        f" count(*) filter (where not risk = any(%(r)s))"
        f" from public.alerts where {_OPEN}", {"r": shown}).fetchone()
    rows = conn.execute(f"""
        select created_at, risk, title from public.alerts where {_OPEN} and risk = any(%(r)s)
        order by case risk when 'high' then 0 when 'medium' then 1 else 2 end, created_at desc
        limit %(limit)s""", {"limit": limit, "r": shown}).fetchall()
    return int(count), pd.DataFrame(rows, columns=["created", "risk", "title"]), int(hidden)


def alert_transactions(conn: psycopg.Connection, ids: list[str]) -> pd.DataFrame:
    rows = conn.execute("select t.date, t.description, t.merchant, t.amount, a.name from"
                        " public.transactions t join public.accounts a on a.id = t.account_id"
                        " where t.id = any(%s::uuid[]) order by t.date", [list(ids)]).fetchall()
    return pd.DataFrame(rows, columns=["date", "description", "merchant", "amount", "account"])


def set_alert_status(conn: psycopg.Connection, alert_id: str, status: str,
                     snooze_days: int | None = None) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown alert status {status!r}")
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=snooze_days)) if status == "snoozed" else None
    if status == "snoozed" and not snooze_days:
        raise ValueError("snoozing needs a number of days")
    n = conn.execute("update public.alerts set status = %s, snoozed_until = %s where id = %s",
                     [status, until, alert_id]).rowcount
    if n != 1:
        raise LookupError("no such alert")


def record_verdict(conn: psycopg.Connection, alert_id: str, verdict: str) -> None:
    """The user says an anomaly alert was expected (stop alerting on it) or suspicious."""
    if verdict not in ("expected", "suspicious"):
        raise ValueError(f"unknown verdict {verdict!r}")
    row = conn.execute("""
        select an.alert_key, an.transaction_id, an.kind, t.merchant
        from public.alerts al
        join public.anomalies an on 'anomaly:' || an.alert_key = al.alert_key
        left join public.transactions t on t.id = an.transaction_id
        where al.id = %s""", [alert_id]).fetchone()
    if row is None:
        raise LookupError("this alert is not about an anomaly")
    conn.execute("insert into public.anomaly_verdicts (alert_key, transaction_id, kind, merchant, verdict)"
                 " values (%s, %s, %s, %s, %s)", [row[0], row[1], row[2], row[3], verdict])
    set_alert_status(conn, alert_id, "resolved" if verdict == "expected" else "open")


def list_anomalies(conn: psycopg.Connection, limit: int = 100) -> pd.DataFrame:
    rows = conn.execute("""
        select t.date, t.merchant, t.amount, a.risk, a.kind, a.reason, a.score
        from public.anomalies a join public.transactions t on t.id = a.transaction_id
        order by t.date desc limit %s""", [limit]).fetchall()
    return pd.DataFrame(rows, columns=["date", "merchant", "amount", "risk", "kind", "reason", "score"])


def list_series(conn: psycopg.Connection, include_dismissed: bool = False) -> pd.DataFrame:
    """Recurring bills, subscriptions and income, active ones first."""
    rows = conn.execute("""
        select s.id, s.merchant, s.cadence, s.direction, s.last_amount, s.next_date, s.next_amount,
               s.status, s.price_change, s.confidence, s.user_status, s.n,
               (select a.currency::text from public.transactions t
                join public.accounts a on a.id = t.account_id
                where t.id = any(s.transaction_ids) order by t.date desc limit 1)
        from public.recurring_series s
        where (%s or s.user_status is distinct from 'dismissed') and s.status <> 'ended'
        order by s.direction, s.status, s.next_date nulls last""", [include_dismissed]).fetchall()
    return pd.DataFrame(rows, columns=["id", "merchant", "cadence", "direction", "last_amount",
                                       "next_date", "next_amount", "status", "price_change",
                                       "confidence", "user_status", "n", "currency"])


PER_MONTH = {"weekly": 52 / 12, "biweekly": 26 / 12, "monthly": 1.0, "quarterly": 1 / 3,
             "yearly": 1 / 12}


def spending_per_month(series: pd.DataFrame) -> dict[str, float]:
    """Estimated recurring spending per month of the outgoing series the user has not
    dismissed (last amount x occurrences a month), per currency (never added across them);
    a series whose transactions are gone counts in ``""``."""
    out: dict[str, float] = {}
    for r in series.itertuples(index=False):
        if r.direction == "out" and r.user_status != "dismissed":
            key = r.currency if isinstance(r.currency, str) else ""
            out[key] = out.get(key, 0.0) + abs(float(r.last_amount or 0)) * PER_MONTH.get(r.cadence, 0)
    return out


def set_series_status(conn: psycopg.Connection, series_id: str, user_status: str | None) -> None:
    if user_status not in ("confirmed", "dismissed", None):
        raise ValueError(f"unknown series status {user_status!r}")
    conn.execute("update public.recurring_series set user_status = %s where id = %s",
                 [user_status, series_id])


PREF_FIELDS = ("in_app_min_risk", "email_enabled", "email_address", "webhook_enabled",
               "webhook_url", "sms_enabled", "sms_number")


def get_prefs(conn: psycopg.Connection) -> dict[str, Any]:
    row = conn.cursor(row_factory=dict_row).execute(
        "select * from public.notification_prefs").fetchone()
    defaults = {"in_app_min_risk": "medium", "email_enabled": False, "email_address": None,
                "webhook_enabled": False, "webhook_url": None, "sms_enabled": False, "sms_number": None}
    return {k: (row or defaults).get(k, defaults[k]) for k in PREF_FIELDS}


def save_prefs(conn: psycopg.Connection, prefs: dict[str, Any]) -> None:
    values = {k: prefs.get(k) for k in PREF_FIELDS}
    if values["webhook_enabled"] and not (values["webhook_url"] or "").startswith(("http://", "https://")):
        raise ValueError("webhook URL must start with http:// or https://")
    if values["in_app_min_risk"] not in RISKS:
        raise ValueError("in-app minimum risk must be high, medium or low")
    cols = ", ".join(PREF_FIELDS)
    conn.execute(
        f"insert into public.notification_prefs (user_id, {cols}) values (auth.uid(), "
        + ", ".join(["%s"] * len(PREF_FIELDS)) + ") on conflict (user_id) do update set "
        + ", ".join(f"{k} = excluded.{k}" for k in PREF_FIELDS) + ", updated_at = now()",
        [values[k] for k in PREF_FIELDS])

"""Delivering alerts: email over SMTP, signed webhooks, and an SMS gateway, with retries.

Pending rows of ``alert_deliveries`` are sent by :func:`deliver_pending`. A failure is recorded
with its error and retried with exponential backoff (1, 2, 4, 8 minutes) up to
:data:`MAX_ATTEMPTS`. Webhooks and the SMS gateway receive a JSON POST signed with HMAC-SHA256
over ``<timestamp>.<body>`` in the ``X-PFM-Signature`` header (``t=<timestamp>,v1=<hex>``);
nothing is sent unsigned. Low-risk alerts go to the ``log`` channel: logged, not sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import time
from email.message import EmailMessage
from typing import Any

import httpx
from psycopg.rows import dict_row

from core.config import Settings
from jobs.context import StageContext

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_signed(url: str, payload: dict[str, Any], secret: str | None, timeout: float = 10.0) -> None:
    if not secret:
        raise RuntimeError("PFM_WEBHOOK_SECRET is not set; refusing to send an unsigned webhook")
    body = json.dumps(payload, separators=(",", ":"), default=str).encode()
    stamp = int(time.time())
    response = httpx.post(url, content=body, timeout=timeout, headers={
        "Content-Type": "application/json", "X-PFM-Signature": sign(secret, body, stamp),
        "User-Agent": "pfm-alerts/1"})
    if response.status_code >= 300:
        raise RuntimeError(f"{url} answered {response.status_code}")


def send_email(settings: Settings, to: str, subject: str, text: str) -> None:
    if not settings.smtp_host:
        raise RuntimeError("PFM_SMTP_HOST is not set")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = settings.smtp_from, to, subject
    msg.set_content(text)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
        smtp.send_message(msg)


def _send(settings: Settings, channel: str, alert: dict[str, Any], prefs: dict[str, Any]) -> None:
    payload = {"id": str(alert["id"]), "type": alert["type"], "risk": alert["risk"],
               "title": alert["title"], "body": alert["body"], "created_at": alert["created_at"]}
    if channel == "log":
        log.info("alert (logged only) for %s: %s", alert["user_id"], alert["title"])
    elif channel == "email":
        send_email(settings, prefs.get("email_address") or prefs["profile_email"],
                   f"[{alert['risk']}] {alert['title']}", f"{alert['body']}\n")
    elif channel == "webhook":
        post_signed(prefs["webhook_url"], payload, settings.webhook_secret)
    elif channel == "sms":
        if not settings.sms_gateway_url:
            raise RuntimeError("PFM_SMS_GATEWAY_URL is not set")
        post_signed(settings.sms_gateway_url, {"to": prefs.get("sms_number"),
                                               "text": f"{alert['title']}: {alert['body']}"},
                    settings.webhook_secret)


def deliver_pending(ctx: StageContext, settings: Settings) -> int:
    """Send this user's due deliveries; returns how many were sent now."""
    with ctx.reader() as conn:
        cur = conn.cursor(row_factory=dict_row)
        prefs = cur.execute("select n.*, p.email as profile_email,"
                             " public.has_consent('email_alerts') as email_consent from public.profiles p"
                             " left join public.notification_prefs n on n.user_id = p.user_id"
                             ).fetchone() or {}
        due = cur.execute("""
            select d.id as delivery_id, d.channel, d.attempts, a.*
            from public.alert_deliveries d join public.alerts a on a.id = d.alert_id
            where d.status = 'pending' and d.next_attempt_at <= now()
            order by a.created_at""").fetchall()
    sent = 0
    for row in due:
        error = None
        attempts = row["attempts"] + 1
        try:
            if row["channel"] == "email" and not prefs.get("email_consent"):
                attempts = MAX_ATTEMPTS  # consent withdrawn: fail now, never retry
                raise PermissionError("no consent to email alerts")
            _send(settings, row["channel"], row, prefs)
        except Exception as exc:  # any transport error is recorded and retried
            error = f"{type(exc).__name__}: {exc}"
            log.warning("delivery %s (%s) failed: %s", row["delivery_id"], row["channel"], error)
        with ctx.writer() as conn:
            if error is None:
                conn.execute("update public.alert_deliveries set status = 'sent', attempts = %s,"
                             " sent_at = now(), last_error = null where id = %s",
                             [attempts, row["delivery_id"]])
                sent += 1
            else:
                conn.execute(
                    "update public.alert_deliveries set attempts = %s, last_error = %s,"
                    " status = case when %s >= %s then 'failed' else 'pending' end,"
                    " next_attempt_at = now() + make_interval(mins => power(2, %s - 1)::int)"
                    " where id = %s",
                    [attempts, error[:500], attempts, MAX_ATTEMPTS, attempts, row["delivery_id"]])
    return sent

"""High-risk alerts arrive by email at a real local SMTP server (aiosmtpd) and as signed
webhooks at a real local HTTP server; a failed webhook is retried with backoff."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from core.config import Settings
from core.db import Database
from jobs import pipeline

SECRET = "webhook-secret-for-tests-0123456789"


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


@pytest.fixture
def webhook():
    received: list = []
    failures = {"left": 1}

    class Hook(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if failures["left"]:
                failures["left"] -= 1
                self.send_response(500)
            else:
                received.append((self.headers["X-PFM-Signature"], body))
                self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()


def test_high_risk_alert_by_email_and_signed_webhook(db: Database, settings: Settings, household_user,
                                                     smtp, webhook) -> None:
    port, inbox = smtp
    url, received = webhook
    user = household_user(seed=7)
    with db.user_session(user) as conn:
        conn.execute("insert into notification_prefs (email_enabled, webhook_enabled, webhook_url)"
                     " values (true, true, %s)", [url])
        conn.execute("insert into consents (purpose, granted, version) values ('email_alerts', true, '1')")
    cfg = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port, webhook_secret=SECRET)
    pipeline.run_user(db, cfg, user.id)
    with db.user_session(user) as conn:
        high = conn.execute("select count(*) from alerts where risk = 'high'").fetchone()[0]
        deliveries = dict(conn.execute("select channel, status from alert_deliveries"
                                       " where channel = 'email' limit 1").fetchall())
        hook = conn.execute("select status, attempts, last_error from alert_deliveries"
                            " where channel = 'webhook' order by attempts desc limit 1").fetchone()
    assert high >= 1, "the demo household has a recent high-risk anomaly"
    assert deliveries == {"email": "sent"}
    assert len(inbox.messages) == high and inbox.messages[0][0] == [user.email]
    assert "Subject: [high]" in inbox.messages[0][1]
    # the webhook server failed the first POST: recorded, retried later with backoff
    assert hook[0] == "pending" and hook[1] == 1 and "500" in hook[2]
    with db.owner_connection() as conn:  # time passes: the retry is due
        conn.execute("update alert_deliveries set next_attempt_at = now() where user_id = %s",
                     [str(user.id)])
    pipeline.run_user(db, cfg, user.id, only={"deliver"})
    assert len(received) == high
    signature, body = received[0]
    stamp, digest = (part.split("=", 1)[1] for part in signature.split(","))
    expected = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(digest, expected)
    assert json.loads(body)["risk"] == "high"


def test_webhook_is_never_sent_unsigned(db: Database, settings: Settings, household_user, webhook) -> None:
    url, received = webhook
    user = household_user(seed=7)
    with db.user_session(user) as conn:
        conn.execute("insert into notification_prefs (webhook_enabled, webhook_url) values (true, %s)", [url])
    pipeline.run_user(db, dataclasses.replace(settings, webhook_secret=None), user.id)
    with db.user_session(user) as conn:
        errors = [r[0] for r in conn.execute("select last_error from alert_deliveries"
                                             " where channel = 'webhook'")]
    # (low-risk alerts go to the 'log' channel, which sends nothing and records no error)
    assert received == [] and errors and all("unsigned" in e for e in errors)

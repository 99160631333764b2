"""The consent ledger: what each user agreed to, when, and to which version of the text.

Consents are rows appended to ``public.consents`` (purpose, granted, version, time); nothing is
ever updated or deleted (RLS grants select and insert only), so the history is the evidence and
the current state is the latest row per purpose. Every purpose is off until the user turns it
on. Each change is also written to the audit log.

Who honours them:

* ``email_alerts`` — the alerts stage queues an email only when this consent is given *and*
  the notification preference is on; pending emails are not sent after a withdrawal
  (``jobs/alerts.py``, ``jobs/delivery.py``, through ``public.has_consent``).
* ``model_training`` — the shared categorization model trains only on the users returned by
  :func:`consenting_user_ids` (job role).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

import pandas as pd
import psycopg

from core import audit
from core.identity import AuthUser

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Purpose:
    """One thing a user can consent to; ``version`` changes whenever ``text`` does."""

    key: str
    title: str
    text: str
    version: str


PURPOSES: dict[str, Purpose] = {p.key: p for p in (
    Purpose("model_training", "Improve the shared categorization model",
            "Use my transaction descriptions, merchants and my category corrections to train the "
            "categorization model shared by all users. Amounts, notes and account numbers are "
            "never used. Withdrawing stops future training runs from using my data.",
            "2026-11-21"),
    Purpose("email_alerts", "Email alerts",
            "Send high-risk alerts (unusual charges, missed bills) to my email address. The "
            "email contains the alert's title and reason, which can mention a merchant and an "
            "amount. Also needs email turned on in the notification preferences.",
            "2026-11-21"),
)}


@dataclass(frozen=True)
class ConsentState:
    """The current state of one purpose for one user (``at``/``version`` None: never decided)."""

    purpose: str
    granted: bool
    version: str | None
    at: dt.datetime | None


def _purpose(key: str) -> Purpose:
    if key not in PURPOSES:
        raise ValueError(f"unknown consent purpose {key!r}")
    return PURPOSES[key]


def current(conn: psycopg.Connection) -> dict[str, ConsentState]:
    """The signed-in user's state for every purpose (not given by default)."""
    rows = conn.execute("""
        select distinct on (purpose) purpose, granted, version, created_at
        from public.consents order by purpose, id desc""").fetchall()
    latest = {r[0]: ConsentState(r[0], bool(r[1]), r[2], r[3]) for r in rows}
    return {key: latest.get(key, ConsentState(key, False, None, None)) for key in PURPOSES}


def history(conn: psycopg.Connection) -> pd.DataFrame:
    """The user's whole ledger, newest first."""
    rows = conn.execute("select created_at, purpose, granted, version, source from public.consents"
                        " order by id desc").fetchall()
    return pd.DataFrame(rows, columns=["when", "purpose", "granted", "version", "source"])


def set_consent(conn: psycopg.Connection, user: AuthUser, purpose: str, granted: bool,
                source: str = "settings") -> bool:
    """Record a decision for ``purpose`` (with the current text's version); True if it changed
    the ledger. Repeating the current decision appends nothing (granting again appends a row
    only when the text's version changed since the last grant)."""
    p = _purpose(purpose)
    state = current(conn)[purpose]
    if state.granted == granted and (not granted or state.version == p.version):
        return False
    conn.execute("insert into public.consents (user_id, purpose, granted, version, source)"
                 " values (%s, %s, %s, %s, %s)", [str(user.id), purpose, granted, p.version, source])
    audit.record(conn, user, "consent_changed",
                 {"purpose": purpose, "granted": granted, "version": p.version})
    log.info("user %s: consent %s -> %s (version %s)", user.id, purpose, granted, p.version)
    return True


def has_consent(conn: psycopg.Connection, purpose: str) -> bool:
    """Whether the signed-in user (or the user a job session acts for) currently consents."""
    _purpose(purpose)
    return bool(conn.execute("select public.has_consent(%s)", [purpose]).fetchone()[0])


def consenting_user_ids(job_conn: psycopg.Connection, purpose: str = "model_training") -> list[uuid.UUID]:
    """Job role (``Database.job_session``): users whose current consent for ``purpose`` is given.

    The shared categorization model must train only on these users' data."""
    _purpose(purpose)
    rows = job_conn.execute("select user_id from pipeline.consenting_users(%s)", [purpose]).fetchall()
    return [uuid.UUID(str(r[0])) for r in rows]

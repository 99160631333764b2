"""Seeding the demo household into the database (``python -m app demo`` and the first start).

The demo user gets a random password, written with the email to ``<data dir>/demo-credentials.json``
(mode 0600) so the login page can say how to sign in. Accounts and two years of transactions
come from :mod:`core.demo_data` (deterministic for a seed) and are written with COPY inside the
demo user's own RLS session, like any import.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import psycopg

from core.auth import LocalAuth, SignUpError, cookie_key
from core.bulk import copy_insert
from core.config import Settings
from core.db import Database
from core.demo_data import DemoHousehold, generate_household
from core.identity import AuthUser

log = logging.getLogger(__name__)

DEMO_EMAIL = "demo@example.org"
FRESH_DAYS = 45  # the newest rows are left for the categorizer, like a fresh import


@dataclass(frozen=True)
class DemoCredentials:
    email: str
    password: str


def credentials_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / "demo-credentials.json"


def demo_credentials(settings: Settings, db: Database | None = None) -> DemoCredentials | None:
    """The demo account's sign-in, if this installation seeded one. With ``db``: ``None`` also
    when the demo account is gone or its password was changed since it was seeded (the sign-in
    page must not offer a password that no longer works)."""
    path = credentials_path(settings)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    creds = DemoCredentials(data["email"], data["password"])
    if db is not None:
        with db.app_session() as conn:
            row = conn.execute("select private.user_claims(user_id)"
                               " from private.local_login_lookup(%s)", [creds.email]).fetchone()
        if row is None or not row[0] or row[0].get("pwv", 0) != 0:
            return None
    return creds


def _write_credentials(settings: Settings, creds: DemoCredentials) -> None:
    path = credentials_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump({"email": creds.email, "password": creds.password}, fh)
    tmp.replace(path)


def load_household(conn: psycopg.Connection, user: AuthUser, household: DemoHousehold) -> int:
    """Insert a household's accounts and transactions for ``user``; returns rows written."""
    account_ids: dict[str, str] = {}
    for acc in household.accounts:
        row = conn.execute(
            "insert into public.accounts (user_id, name, kind, currency, institution, opening_balance)"
            " values (%s, %s, %s, %s, %s, %s)"
            " on conflict (user_id, name) do update set kind = excluded.kind returning id",
            [str(user.id), acc.name, acc.kind, acc.currency, acc.institution, acc.opening_balance],
        ).fetchone()
        account_ids[acc.name] = str(row[0])
    categories = dict(conn.execute(
        "select lower(name), id from public.categories where parent_id is not null").fetchall())
    tx = household.transactions
    transfer_categories = {"Between Accounts", "Credit Card Payment", "Savings & Investments"}
    fresh_from = max(tx["date"]) - dt.timedelta(days=FRESH_DAYS) if len(tx) else None
    rows = []
    for r in tx.itertuples(index=False):
        cat = categories.get(str(r.category).lower()) if r.category else None
        if fresh_from is not None and r.date > fresh_from:
            cat = None  # recent rows arrive uncategorized: the job process categorizes them
        rows.append((str(user.id), account_ids[r.account], r.date, r.amount, r.currency,
                     r.description, r.payee, r.merchant, r.external_id, cat,
                     "user" if cat else None, 1.0 if cat else None,
                     str(r.category) in transfer_categories, f"ext:{r.external_id}"))
    copy_insert(conn, "transactions", [
        "user_id", "account_id", "date", "amount", "currency", "description", "payee", "merchant",
        "external_id", "category_id", "category_source", "category_confidence", "is_transfer",
        "dedupe_key"], rows, on_conflict="on conflict do nothing")
    n = len(rows)
    log.info("seeded %d demo transactions for %s", n, user.id)
    return n


def add_demo_goals(conn: psycopg.Connection, today: dt.date) -> None:
    """Three goals of the three kinds, so the Goals page has a plan to show."""
    from core.planning_service import save_goal

    save_goal(conn, None, "Emergency fund", "emergency_fund", 12000, saved=4000, priority=1)
    save_goal(conn, None, "Summer holiday", "short_term", 2500, saved=300,
              target_date=dt.date(today.year + 1, 7, 1), priority=2)
    save_goal(conn, None, "House deposit", "long_term", 40000, saved=8000,
              target_date=dt.date(today.year + 5, 1, 1), priority=3)


def ensure_demo(db: Database, settings: Settings, *, seed: int = 7) -> DemoCredentials | None:
    """Create the demo user and household unless it exists; return its credentials."""
    existing = demo_credentials(settings)
    auth = LocalAuth(db, cookie_key(settings))
    password = secrets.token_urlsafe(9) + "-Aa1"
    try:
        user = auth.sign_up(DEMO_EMAIL, password, "Demo Household")
    except SignUpError:
        if existing is None:
            log.warning("a demo account exists but its credentials file is missing")
        return existing
    household = generate_household(seed=seed)
    with db.user_session(user) as conn:
        load_household(conn, user, household)
        add_demo_goals(conn, dt.date.today())
    creds = DemoCredentials(DEMO_EMAIL, password)
    _write_credentials(settings, creds)
    return creds

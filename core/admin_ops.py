"""Operator commands that act as the table owner: role changes, master-key rotation and the
reset of a forgotten password (local accounts).

These run from the command line on the server (``python -m app set-role``, ``rotate-key``,
``reset-password``), never from a user's request. Each writes an audit entry.
"""

from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path

import psycopg
from argon2 import PasswordHasher

from core.auth import password_problems
from core.config import Settings
from core.crypto import LocalKeyring, rewrap_all
from core.db import Database

log = logging.getLogger(__name__)


def keyring(settings: Settings) -> LocalKeyring:
    """The local master-key provider for this installation."""
    return LocalKeyring(Path(settings.data_dir) / "keys")


def set_role(db: Database, email: str, role: str) -> None:
    """Give the user with ``email`` the app role ``role`` (user/staff/admin)."""
    if role not in ("user", "staff", "admin"):
        raise ValueError(f"unknown role {role!r}")
    with db.owner_connection() as conn, conn.transaction():
        row = conn.execute("select user_id, role from public.profiles where lower(email) = lower(%s)",
                           [email]).fetchone()
        if row is None:
            raise SystemExit(f"no user with email {email}")
        conn.execute("update public.profiles set role = %s where user_id = %s", [role, row[0]])
        conn.execute(
            "insert into public.audit_log (user_id, actor_id, action, detail)"
            " values (%s, null, 'role_changed', %s)",
            [row[0], json.dumps({"from": row[1], "to": role, "by": "operator"})])
    log.info("role of %s changed from %s to %s", email, row[1], role)


def rotate_master_key(db: Database, settings: Settings) -> int:
    """Create a new master key and re-wrap every user's data key with it."""
    ring = keyring(settings)
    ring.rotate()
    with db.owner_connection() as conn:
        return rewrap_all(conn, ring)


def reset_password(db: Database, email: str) -> str:
    """Give the local account ``email`` a new random password, lift any lockout and sign out
    every browser that remembered it; returns the password (for the operator to pass on; the
    user should change it in Settings)."""
    password = secrets.token_urlsafe(15)
    while password_problems(password, email):
        password = secrets.token_urlsafe(15)
    try:
        with db.owner_connection() as conn, conn.transaction():
            user_id = conn.execute("select private.local_reset_password(%s, %s)",
                                   [email, PasswordHasher().hash(password)]).fetchone()[0]
    except psycopg.errors.NoDataFound as exc:
        raise SystemExit(f"no local account with email {email.strip().lower()}") from exc
    log.info("password of user %s reset by the operator", user_id)
    return password

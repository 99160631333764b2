"""The append-only audit trail: logins, failed logins, role changes, exports, deletions.

Rows are inserted inside the acting user's session (RLS checks that the actor is the user);
the database rejects UPDATE, DELETE and TRUNCATE on ``audit_log`` for every role. Details never
hold transaction contents, only what happened.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import psycopg

from core.identity import AuthUser

log = logging.getLogger(__name__)


def record(conn: psycopg.Connection, user: AuthUser, action: str,
           detail: dict[str, Any] | None = None) -> None:
    """Append one audit entry for ``user`` acting on their own account."""
    conn.execute(
        "insert into public.audit_log (user_id, actor_id, action, detail) values (%s, %s, %s, %s)",
        [str(user.id), str(user.id), action, json.dumps(detail or {})],
    )
    log.info("audit: %s by %s", action, user.id)


def recent(conn: psycopg.Connection, limit: int = 50) -> list[dict[str, Any]]:
    """The signed-in user's own most recent audit entries (RLS restricts to them)."""
    rows = conn.execute(
        "select action, detail, created_at from public.audit_log order by id desc limit %s",
        [limit],
    ).fetchall()
    return [{"action": a, "detail": d, "created_at": c} for a, d, c in rows]

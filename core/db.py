"""Data access: connection pools and the transaction scopes every query runs in.

* :meth:`Database.user_session` — the only way the app reads or writes a user's data: one
  transaction on a pooled connection of the ``pfm_app`` login role (NOINHERIT, not the table
  owner), with ``set_config('request.jwt.claims', ..., true)`` and ``SET LOCAL ROLE
  authenticated``, so row-level security decides what the user sees.
* :meth:`Database.app_session` — ``pfm_app`` itself, for the login functions in ``private``.
* :meth:`Database.job_session` / :meth:`Database.job_user_session` — the job process's
  ``pfm_jobs`` role, as the least-privilege ``pfm_job_worker`` or as one user.
* :meth:`Database.owner_connection` — migrations and operator commands only.

Nothing session-level is ever set on a pooled connection; a reset check on return to the pool
discards any connection whose role or claims were not cleaned up.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool

from core.config import Settings, get_settings
from core.identity import AuthUser

log = logging.getLogger(__name__)

APP_ROLE = "pfm_app"
JOBS_ROLE = "pfm_jobs"


def role_conninfo(owner_conninfo: str, role: str, password: str | None) -> str:
    """The owner's connection parameters with another login role (Supabase pooler names
    users ``role.projectref``; the suffix is kept)."""
    params = conninfo_to_dict(owner_conninfo)
    owner_user = str(params.get("user") or "postgres")
    params["user"] = f"{role}.{owner_user.split('.', 1)[1]}" if "." in owner_user else role
    params.pop("password", None)
    if password:
        params["password"] = password
    params.setdefault("application_name", f"pfm-{role}")
    return make_conninfo(**params)


def _check_clean(conn: psycopg.Connection) -> None:
    """Pool reset hook: a connection goes back only if no role or claims linger on it."""
    conn.row_factory = tuple_row  # a caller may have changed it; never leak that either
    row = conn.execute(
        "select current_user = session_user, coalesce(current_setting('request.jwt.claims', true), '')"
    ).fetchone()
    conn.rollback()
    if row is None or not row[0] or row[1] != "":
        log.error("pooled connection returned with role/claims set; discarding it")
        raise psycopg.InterfaceError("dirty pooled connection")


class Database:
    """Pools for one installation; one instance per process (pools hold no user state)."""

    def __init__(self, owner_conninfo: str, settings: Settings | None = None,
                 *, pool_size: int = 4) -> None:
        self.settings = settings or get_settings()
        self.owner_conninfo = owner_conninfo
        self.app_conninfo = role_conninfo(owner_conninfo, APP_ROLE, self.settings.app_db_password)
        self.jobs_conninfo = role_conninfo(owner_conninfo, JOBS_ROLE, self.settings.jobs_db_password)
        self._pool_size = pool_size
        self._pools: dict[str, ConnectionPool] = {}
        self._lock = threading.Lock()

    def _pool(self, conninfo: str) -> ConnectionPool:
        with self._lock:
            pool = self._pools.get(conninfo)
            if pool is None:
                pool = ConnectionPool(conninfo, min_size=1, max_size=self._pool_size,
                                      reset=_check_clean, open=True, name=conninfo.split()[0],
                                      kwargs={"autocommit": False})
                self._pools[conninfo] = pool
            return pool

    def close(self) -> None:
        with self._lock:
            for pool in self._pools.values():
                pool.close()
            self._pools.clear()

    @contextmanager
    def _scoped(self, conninfo: str, role: str, claims: dict | None) -> Iterator[psycopg.Connection]:
        with self._pool(conninfo).connection() as conn:
            with conn.transaction():
                if claims is not None:
                    conn.execute("select set_config('request.jwt.claims', %s, true)",
                                 [json.dumps(claims)])
                if role:
                    conn.execute(f'set local role "{role}"')
                yield conn

    @contextmanager
    def user_session(self, user: AuthUser) -> Iterator[psycopg.Connection]:
        """One transaction as ``user`` under RLS (committed on success, rolled back on error)."""
        with self._scoped(self.app_conninfo, "authenticated", user.jwt_claims()) as conn:
            yield conn

    @contextmanager
    def anon_session(self) -> Iterator[psycopg.Connection]:
        """One transaction as the ``anon`` role (a visitor who has not signed in)."""
        with self._scoped(self.app_conninfo, "anon", {"role": "anon"}) as conn:
            yield conn

    @contextmanager
    def app_session(self) -> Iterator[psycopg.Connection]:
        """``pfm_app`` itself: may only call the login functions granted to it."""
        with self._scoped(self.app_conninfo, "", None) as conn:
            yield conn

    @contextmanager
    def job_session(self) -> Iterator[psycopg.Connection]:
        """The job process's cross-user bookkeeping role ``pfm_job_worker``."""
        with self._scoped(self.jobs_conninfo, "pfm_job_worker", None) as conn:
            yield conn

    @contextmanager
    def job_user_session(self, user_id: UUID | str) -> Iterator[psycopg.Connection]:
        """The job process acting for one user, under that user's RLS."""
        claims = {"sub": str(user_id), "role": "authenticated"}
        with self._scoped(self.jobs_conninfo, "authenticated", claims) as conn:
            yield conn

    @contextmanager
    def owner_connection(self) -> Iterator[psycopg.Connection]:
        """The table owner: migrations and operator commands, never user requests."""
        with psycopg.connect(self.owner_conninfo) as conn:
            yield conn


_default: Database | None = None
_default_lock = threading.Lock()


def resolve_owner_conninfo(settings: Settings) -> str:
    """``DATABASE_URL`` if set, else the embedded server (started if needed, left running)."""
    if settings.database_url:
        return settings.database_url
    from core import embedded

    return embedded.start(settings.pgdata)


def get_database(settings: Settings | None = None) -> Database:
    """The process-wide :class:`Database` for the configured installation."""
    global _default
    with _default_lock:
        if _default is None:
            settings = settings or get_settings()
            _default = Database(resolve_owner_conninfo(settings), settings)
        return _default


def set_database(db: Database | None) -> None:
    """Install ``db`` as the process-wide database (tests, the launcher)."""
    global _default
    with _default_lock:
        _default = db

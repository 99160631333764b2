"""Migration runner: applies ``supabase/migrations/*.sql`` in order, once each.

Applied versions are recorded in ``supabase_migrations.schema_migrations``, the same table the
Supabase CLI uses, so ``supabase db push`` and this runner agree about what is applied. On a
database that is not Supabase, the local shim (``supabase/local/*.sql``: the ``auth`` schema,
``auth.uid()``, the ``anon``/``authenticated``/``service_role`` roles) is applied first. Running
twice is safe: a transaction-level advisory lock serializes concurrent runners, and each
migration commits together with its record.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from core.config import PROJECT_ROOT

log = logging.getLogger(__name__)

MIGRATIONS_DIR = PROJECT_ROOT / "supabase" / "migrations"
SHIM_DIR = PROJECT_ROOT / "supabase" / "local"
_LOCK_ID = 7_301_220_611
_NAME = re.compile(r"^(\d{14})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    path: Path


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """All migration files, sorted by version; a misnamed file is an error, not skipped."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise ValueError(f"{path}: migration files must be named <14-digit timestamp>_<name>.sql")
        found.append(Migration(m.group(1), m.group(2), path))
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise ValueError(f"{directory}: two migrations share a version")
    return found


def is_supabase(conn: psycopg.Connection) -> bool:
    """A hosted (or CLI-local) Supabase database has GoTrue's admin role."""
    row = conn.execute("select 1 from pg_roles where rolname = 'supabase_auth_admin'").fetchone()
    return row is not None


def _set_role_password(conn: psycopg.Connection, role: str, password: str | None) -> None:
    if password:
        conn.execute(sql.SQL("alter role {} with login password {}").format(
            sql.Identifier(role), sql.Literal(password)))


def migrate(
    owner_conninfo: str,
    *,
    app_password: str | None = None,
    jobs_password: str | None = None,
    directory: Path = MIGRATIONS_DIR,
) -> list[str]:
    """Apply pending migrations as the database owner; return the versions applied now."""
    migrations = discover(directory)
    applied_now: list[str] = []
    with psycopg.connect(owner_conninfo, autocommit=False) as conn:
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(%s)", [_LOCK_ID])
            if not is_supabase(conn):
                for shim in sorted(SHIM_DIR.glob("*.sql")):
                    conn.execute(shim.read_text())  # type: ignore[arg-type]
            conn.execute("create schema if not exists supabase_migrations")
            conn.execute(
                "create table if not exists supabase_migrations.schema_migrations"
                " (version text primary key, statements text[], name text)"
            )
            done = {r[0] for r in conn.execute(
                "select version from supabase_migrations.schema_migrations")}
            for mig in migrations:
                if mig.version in done:
                    continue
                log.info("applying migration %s_%s", mig.version, mig.name)
                body = mig.path.read_text()
                try:
                    with conn.transaction():
                        conn.execute(body)  # type: ignore[arg-type]
                except psycopg.Error as exc:
                    raise RuntimeError(f"migration {mig.path.name} failed: {exc}") from exc
                conn.execute(
                    "insert into supabase_migrations.schema_migrations (version, statements, name)"
                    " values (%s, %s, %s)",
                    [mig.version, [body], mig.name],
                )
                applied_now.append(mig.version)
            _set_role_password(conn, "pfm_app", app_password)
            _set_role_password(conn, "pfm_jobs", jobs_password)
            apply_queue_schema(conn)
    if applied_now:
        log.info("applied %d migration(s): %s", len(applied_now), ", ".join(applied_now))
    return applied_now


def apply_queue_schema(conn: psycopg.Connection) -> bool:
    """Install procrastinate's own schema into the (not exposed) ``procrastinate`` schema and let
    the job role use it. Returns True when it was installed now."""
    from importlib.resources import files

    if conn.execute("select to_regclass('procrastinate.procrastinate_jobs')").fetchone()[0]:
        return False
    schema_sql = files("procrastinate.sql").joinpath("schema.sql").read_text()
    with conn.transaction():
        conn.execute("create schema if not exists procrastinate")
        conn.execute("revoke all on schema procrastinate from public")
        conn.execute("set local search_path to procrastinate")
        conn.execute(schema_sql)  # type: ignore[arg-type]
        conn.execute("grant usage on schema procrastinate to pfm_jobs")
        conn.execute("grant select, insert, update, delete on all tables in schema procrastinate"
                     " to pfm_jobs")
        conn.execute("grant usage, select on all sequences in schema procrastinate to pfm_jobs")
        conn.execute("grant execute on all functions in schema procrastinate to pfm_jobs")
    log.info("installed the procrastinate queue schema")
    return True


def applied_versions(owner_conninfo: str) -> list[str]:
    """Versions recorded as applied, oldest first."""
    with psycopg.connect(owner_conninfo) as conn:
        rows = conn.execute(
            "select version from supabase_migrations.schema_migrations order by version").fetchall()
    return [r[0] for r in rows]

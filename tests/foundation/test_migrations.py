"""The migrations: applied once, safe to rerun, and every exposed table protected by RLS."""

from __future__ import annotations

from core import migrate
from core.db import Database

EXPOSED_SCHEMAS = ("public",)


def test_second_run_applies_nothing(db: Database, owner_url: str) -> None:
    assert migrate.migrate(owner_url) == []
    applied = migrate.applied_versions(owner_url)
    assert applied == [m.version for m in migrate.discover()]


def test_every_exposed_table_has_rls_and_user_index(db: Database) -> None:
    with db.owner_connection() as conn:
        tables = conn.execute(
            "select c.relname, c.relrowsecurity from pg_class c"
            " join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname = any(%s) and c.relkind in ('r', 'p')", [list(EXPOSED_SCHEMAS)]
        ).fetchall()
        assert tables, "no tables found"
        missing_rls = [t for t, rls in tables if not rls]
        assert missing_rls == [], f"tables without row-level security: {missing_rls}"
        for (table, _) in tables:
            has_user = conn.execute(
                "select 1 from information_schema.columns where table_schema = 'public'"
                " and table_name = %s and column_name = 'user_id'", [table]).fetchone()
            if not has_user:
                continue
            indexed = conn.execute(
                "select 1 from pg_index i join pg_class c on c.oid = i.indrelid"
                " join pg_attribute a on a.attrelid = c.oid and a.attnum = i.indkey[0]"
                " where c.relname = %s and c.relnamespace = 'public'::regnamespace"
                " and a.attname = 'user_id'", [table]).fetchone()
            assert indexed, f"public.{table} has no index leading with user_id"


def test_policies_are_for_authenticated_and_use_select_auth_uid(db: Database) -> None:
    with db.owner_connection() as conn:
        rows = conn.execute(
            "select tablename, policyname, roles::text[], coalesce(qual, '') || coalesce(with_check, '')"
            " from pg_policies where schemaname = 'public'").fetchall()
    assert rows
    for table, policy, roles, expr in rows:
        if roles == ["pfm_job_worker"]:  # the job process writes model outputs
            assert policy.startswith(f"{table}_job_"), f"{table}.{policy}"
            continue
        assert roles == ["authenticated"], f"{table}.{policy} is for {roles}"
        assert "( SELECT auth.uid()" in expr, f"{table}.{policy}: {expr}"


def test_app_and_job_roles_are_noinherit_logins_not_owners(db: Database) -> None:
    with db.owner_connection() as conn:
        rows = dict((r[0], r[1:]) for r in conn.execute(
            "select rolname, rolinherit, rolcanlogin, rolsuper, rolbypassrls from pg_roles"
            " where rolname in ('pfm_app', 'pfm_jobs')").fetchall())
        owners = {r[0] for r in conn.execute(
            "select distinct tableowner from pg_tables where schemaname = 'public'")}
    assert set(rows) == {"pfm_app", "pfm_jobs"}
    for role, (inherit, login, superuser, bypass) in rows.items():
        assert (inherit, login, superuser, bypass) == (False, True, False, False), role
        assert role not in owners


def test_misnamed_migration_is_an_error(tmp_path) -> None:
    (tmp_path / "001_bad.sql").write_text("select 1")
    try:
        migrate.discover(tmp_path)
    except ValueError as exc:
        assert "001_bad.sql" in str(exc)
    else:
        raise AssertionError("a misnamed migration was accepted")

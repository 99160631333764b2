"""RLS matrix: every table x every command as the owner, another user, staff and anon.

The owner may do what the table's policies allow; nobody else reads or changes a row. The set
of tables here must equal the set of tables in the exposed schema, so a new table without an
entry (and therefore without this check) fails the suite.
"""

from __future__ import annotations

import uuid

import psycopg
import pytest

from core import audit
from core.admin_ops import keyring
from core.crypto import user_cipher
from core.db import Database

ALL = {"select", "insert", "update", "delete"}
# table -> (commands the owner may run, column to update, extra insert columns as SQL values)
SPEC: dict[str, tuple[set[str], str, dict[str, str]]] = {
    "profiles": ({"select", "update"}, "display_name", {"email": "'x@example.org'"}),
    "accounts": (ALL, "name", {"name": "'acc-' || gen_random_uuid()"}),
    "categories": (ALL, "name", {"name": "'cat-' || gen_random_uuid()"}),
    "import_batches": (ALL, "filename", {"filename": "'f.csv'", "file_format": "'csv'"}),
    "transactions": (ALL, "description", {
        "account_id": "{account}", "date": "current_date", "amount": "-1.00",
        "dedupe_key": "'k-' || gen_random_uuid()"}),
    "rules": (ALL, "name", {"name": "'r'"}),
    # merchants the user said are different shops (session 22): kept or forgotten, never edited
    "merchant_pairs_apart": ({"select", "insert", "delete"}, "name_a", {
        "name_a": "'a-' || gen_random_uuid()", "name_b": "'b-' || gen_random_uuid()"}),
    "corrections": (ALL, "source", {"transaction_id": "{transaction}"}),
    "user_keys": ({"select", "insert"}, "master_key_id", {
        "wrapped_key": "'\\x00'::bytea", "master_key_id": "'k'"}),
    "audit_log": ({"select", "insert"}, "action", {"action": "'test'", "actor_id": "{user}"}),
    # pipeline outputs: written by the job worker; users read them and give feedback
    "monthly_features": ({"select"}, "features", {
        "month": "date '1999-01-01'", "model_version": "'t'", "run_id": "gen_random_uuid()"}),
    "recurring_series": ({"select", "update"}, "user_status", {
        "series_key": "'k-' || gen_random_uuid()", "merchant": "'m'", "cadence": "'monthly'",
        "status": "'active'", "model_version": "'t'", "run_id": "gen_random_uuid()"}),
    "anomalies": ({"select"}, "reason", {
        "alert_key": "'k-' || gen_random_uuid()", "kind": "'spike'", "score": "0.9",
        "risk": "'high'", "reason": "'r'", "model_version": "'t'", "run_id": "gen_random_uuid()"}),
    "anomaly_verdicts": (ALL, "verdict", {"verdict": "'expected'", "kind": "'spike'"}),
    "alerts": ({"select", "update"}, "status", {
        "alert_key": "'k-' || gen_random_uuid()", "type": "'anomaly'", "risk": "'high'",
        "title": "'t'", "body": "'b'", "model_version": "'t'", "run_id": "gen_random_uuid()"}),
    "alert_deliveries": ({"select"}, "status", {"alert_id": "{alert}", "channel": "'log'"}),
    "notification_prefs": (ALL, "email_enabled", {}),
    # statement import (issue 3)
    "import_mappings": (ALL, "layout_signature", {
        "account_id": "{account}", "layout_signature": "'csv:' || gen_random_uuid()"}),
    "transaction_splits": (ALL, "memo", {"transaction_id": "{transaction}", "amount": "-1.00"}),
    "user_secrets": ({"select", "insert"}, "name", {
        "name": "'s-' || gen_random_uuid()", "value_enc": "'\\x00'::bytea"}),
    # consent ledger (issue 7): append-only (select + insert), rows leave only with the account
    "consents": ({"select", "insert"}, "granted", {
        "purpose": "'email_alerts'", "granted": "true", "version": "'1'"}),
    # planning (issue 6): budgets and goals are user input; the rest are job outputs
    "budgets": (ALL, "amount", {"amount": "100", "category_id": (
        "(select c.id from public.categories c where c.name <> 'Mine' order by c.id limit 1)")}),
    "goals": (ALL, "name", {"name": "'g'", "kind": "'short_term'", "target": "1000"}),
    "forecasts": ({"select"}, "net_p50", {
        "month": "date '1999-01-01'", "kind": "'forecast'", "model_version": "'t'",
        "run_id": "gen_random_uuid()"}),
    "forecast_summary": ({"select"}, "reason", {
        "status": "'ok'", "model_version": "'t'", "run_id": "gen_random_uuid()"}),
    "budget_status": ({"select"}, "spent", {
        "month": "date '1999-01-01'", "category": "'c-' || gen_random_uuid()", "status": "'ok'",
        "model_version": "'t'", "run_id": "gen_random_uuid()"}),
    "safe_to_spend": ({"select"}, "per_day", {
        "month": "date '1999-01-01'", "safe_to_spend": "0",
        "per_day": "0", "days_left": "1", "model_version": "'t'", "run_id": "gen_random_uuid()"}),
    "goal_plans": ({"select"}, "status", {
        "goal_id": "{goal}", "plan_order": "1", "status": "'on_track'", "explanation": "'e'",
        "model_version": "'t'", "run_id": "gen_random_uuid()"}),
    "readiness": ({"select"}, "score", {
        "month": "date '1999-01-01'", "score": "0",
        "eligible": "false", "raw_eligible": "false", "explanation": "'e'", "disclaimer": "'d'",
        "model_version": "'t'", "run_id": "gen_random_uuid()"}),
}
# views in the exposed schema: read-only for the owner, security invoker (so the base tables'
# row-level security decides what a caller sees); a new view without an entry fails the suite
VIEWS = {"transaction_lines"}
# one row per user (primary key user_id): the owner's own insert happens in `world`
ONE_PER_USER = {"user_keys", "notification_prefs", "forecast_summary"}
# rows the job worker writes for A, as the job process does
WORKER_ROWS = ["monthly_features", "recurring_series", "anomalies", "alerts", "forecasts",
               "forecast_summary", "budget_status", "safe_to_spend", "goal_plans", "readiness"]


@pytest.fixture(scope="module")
def world(db: Database, make_user, settings):
    """User A owning one row in every table, plus B, a staff user and an admin."""
    a, b = make_user(name="owner"), make_user(name="other")
    staff, admin = make_user("staff", "staff"), make_user("admin", "admin")
    with db.user_session(a.user) as conn:
        account = conn.execute("insert into accounts (name) values ('Main') returning id").fetchone()[0]
        conn.execute("insert into categories (name) values ('Mine')")
        batch = conn.execute("insert into import_batches (filename, file_format, account_id)"
                             " values ('a.csv', 'csv', %s) returning id", [account]).fetchone()[0]
        tx = conn.execute(
            "insert into transactions (account_id, batch_id, date, amount, description, dedupe_key)"
            " values (%s, %s, current_date, -12.50, 'TESCO', 'k1') returning id",
            [account, batch]).fetchone()[0]
        conn.execute("insert into rules (name) values ('r1')")
        conn.execute("insert into merchant_pairs_apart (name_a, name_b) values ('atm', 'atmd')")
        conn.execute("insert into corrections (transaction_id) values (%s)", [tx])
        user_cipher(conn, a.user.id, keyring(settings))
        audit.record(conn, a.user, "test_entry")
        conn.execute("insert into anomaly_verdicts (verdict, kind) values ('expected', 'spike')")
        conn.execute("insert into notification_prefs (email_enabled) values (false)")
        conn.execute("insert into import_mappings (account_id, layout_signature) values (%s, 'csv:test')",
                     [account])
        conn.execute("insert into transaction_splits (transaction_id, amount) values (%s, -12.50)", [tx])
        conn.execute("insert into user_secrets (name, value_enc) values ('test', '\\x00'::bytea)")
        conn.execute("insert into consents (purpose, granted, version) values ('email_alerts', true, '1')")
        category = conn.execute("select id from categories where name = 'Mine'").fetchone()[0]
        conn.execute("insert into budgets (category_id, amount) values (%s, 50)", [category])
        goal = conn.execute("insert into goals (name, kind, target) values ('Trip', 'short_term', 900)"
                            " returning id").fetchone()[0]
    world = {"a": a, "b": b, "staff": staff, "admin": admin, "account": account, "transaction": tx,
             "category": category, "goal": goal}
    with db.job_user_session(a.user.id) as conn:
        conn.execute("set local role pfm_job_worker")
        for table in WORKER_ROWS:
            conn.execute(_insert_sql(table, world, a.user.id))
        world["alert"] = conn.execute("select id from alerts where user_id = %s",
                                      [str(a.user.id)]).fetchone()[0]
        conn.execute(_insert_sql("alert_deliveries", world, a.user.id))
    return world


def test_matrix_covers_every_public_table(db: Database) -> None:
    with db.owner_connection() as conn:
        tables = {r[0] for r in conn.execute(
            "select tablename from pg_tables where schemaname = 'public'")}
    assert tables == set(SPEC), f"RLS matrix out of date: {tables ^ set(SPEC)}"


def test_matrix_covers_every_public_view(db: Database) -> None:
    with db.owner_connection() as conn:
        views = {r[0] for r in conn.execute("select viewname from pg_views where schemaname = 'public'")}
        invoker = {r[0] for r in conn.execute(
            "select c.relname from pg_class c where c.relnamespace = 'public'::regnamespace"
            " and c.relkind = 'v' and 'security_invoker=true' = any(coalesce(c.reloptions, '{}'))")}
        grants = {(r[0], r[1]) for r in conn.execute(
            "select grantee, privilege_type from information_schema.role_table_grants"
            " where table_schema = 'public' and table_name = any(%s)"
            " and grantee in ('anon', 'authenticated', 'pfm_app', 'pfm_jobs', 'PUBLIC')",
            [sorted(VIEWS)])}
    assert views == VIEWS, f"RLS matrix out of date (views): {views ^ VIEWS}"
    assert invoker == views, f"views without security_invoker: {views - invoker}"
    assert grants == {("authenticated", "SELECT")}, f"views must be read-only: {grants}"


@pytest.mark.parametrize("who", ["a", "b", "staff", "admin", "anon"])
@pytest.mark.parametrize("view", sorted(VIEWS))
@pytest.mark.parametrize("command", sorted(ALL))
def test_views_show_the_owner_their_rows_only_and_change_nothing(db: Database, world, who: str,
                                                                  view: str, command: str) -> None:
    a_id = world["a"].user.id
    statements = {
        "select": f"select count(*) from public.{view} where user_id = '{a_id}'",
        "insert": f"insert into public.{view} (user_id) values ('{a_id}')",
        "update": f"update public.{view} set user_id = user_id where user_id = '{a_id}'",
        "delete": f"delete from public.{view} where user_id = '{a_id}'",
    }
    session = db.anon_session() if who == "anon" else db.user_session(world[who].user)
    try:
        with session as conn:
            outcome: int | str = conn.execute(statements[command]).fetchone()[0]
            conn.execute("select 1/0")  # never keep what the probe changed
    except psycopg.errors.DivisionByZero:
        pass
    except (psycopg.errors.InsufficientPrivilege,  # no grant
            psycopg.errors.ObjectNotInPrerequisiteState) as exc:  # a view nobody can write
        outcome = f"denied: {exc.diag.message_primary}"
    if who == "a" and command == "select":
        assert isinstance(outcome, int) and outcome >= 1, f"owner select on {view}: {outcome}"
    elif command == "select" and who != "anon":
        assert outcome == 0, f"{who} saw {outcome} {view} rows of another user"
    else:
        assert str(outcome).startswith("denied"), f"{who} {command} {view}: {outcome}"


def _insert_sql(table: str, world: dict, owner_id: uuid.UUID) -> str:
    cols = dict(SPEC[table][2])
    cols["user_id"] = f"'{owner_id}'"
    values = [v.format(account=f"'{world['account']}'", transaction=f"'{world['transaction']}'",
                       user=f"'{owner_id}'", alert=f"'{world.get('alert')}'",
                       category=f"'{world.get('category')}'", goal=f"'{world.get('goal')}'")
              for v in cols.values()]
    return f"insert into public.{table} ({', '.join(cols)}) values ({', '.join(values)})"


def _attempt(db: Database, who, table: str, command: str, world: dict) -> int | str:
    """Run ``command`` on A's rows of ``table`` as ``who``; rows affected/seen, or 'denied'."""
    a_id = world["a"].user.id
    column = SPEC[table][1]
    statements = {
        "select": f"select count(*) from public.{table} where user_id = '{a_id}'",
        "insert": _insert_sql(table, world, a_id),
        "update": f"update public.{table} set {column} = {column} where user_id = '{a_id}'",
        "delete": f"delete from public.{table} where user_id = '{a_id}'",
    }
    session = db.anon_session() if who == "anon" else db.user_session(who.user)
    try:
        with session as conn:
            cur = conn.execute(statements[command])
            result = cur.fetchone()[0] if command == "select" else cur.rowcount
            conn.execute("select 1/0")  # never keep what the probe changed
    except psycopg.errors.DivisionByZero:
        return result
    except (psycopg.errors.InsufficientPrivilege, psycopg.errors.RaiseException) as exc:
        return f"denied: {exc.diag.message_primary}"
    raise AssertionError("unreachable")


@pytest.mark.parametrize("table", sorted(SPEC))
@pytest.mark.parametrize("command", sorted(ALL))
def test_owner_can_only_do_what_policies_allow(db: Database, world, table: str, command: str) -> None:
    if table in ONE_PER_USER and command == "insert":
        # one row per user (primary key): A's own insert already happened through RLS in `world`
        with db.user_session(world["a"].user) as conn:
            assert conn.execute(f"select count(*) from {table}").fetchone()[0] == 1
        return
    outcome = _attempt(db, world["a"], table, command, world)
    if command in SPEC[table][0]:
        assert isinstance(outcome, int) and outcome >= 1, f"owner {command} on {table}: {outcome}"
    else:
        assert outcome == 0 or str(outcome).startswith("denied"), f"{table} {command}: {outcome}"


@pytest.mark.parametrize("who", ["b", "staff", "admin", "anon"])
@pytest.mark.parametrize("table", sorted(SPEC))
@pytest.mark.parametrize("command", sorted(ALL))
def test_nobody_else_reads_or_changes_a_row(db: Database, world, who: str, table: str,
                                            command: str) -> None:
    actor = "anon" if who == "anon" else world[who]
    outcome = _attempt(db, actor, table, command, world)
    assert outcome == 0 or str(outcome).startswith("denied"), (
        f"{who} could {command} {table} rows of another user: {outcome}")
    if who == "anon":
        assert str(outcome).startswith("denied"), f"anon reached {table}: {outcome}"


def test_owner_rows_are_really_there(db: Database, world) -> None:
    with db.user_session(world["a"].user) as conn:
        assert conn.execute("select count(*) from transactions").fetchone()[0] == 1
        assert conn.execute("select count(*) from categories").fetchone()[0] > 50

"""Pooled connections never keep a user's role or claims once the transaction ends."""

from __future__ import annotations

import psycopg
import pytest

from core.db import Database, role_conninfo


def _state(conn: psycopg.Connection) -> tuple:
    return conn.execute(
        "select current_user, session_user,"
        " coalesce(current_setting('request.jwt.claims', true), '')").fetchone()


@pytest.fixture
def one_conn_db(db: Database, owner_url: str, settings):
    """A pool of exactly one connection, so consecutive checkouts share it."""
    single = Database(owner_url, settings, pool_size=1)
    yield single
    single.close()


def test_pooled_connection_is_clean_after_user_transaction(one_conn_db: Database, make_user) -> None:
    db = one_conn_db
    user = make_user().user
    with db.user_session(user) as conn:
        pid = conn.info.backend_pid
        current, session, claims = _state(conn)
        assert (current, session) == ("authenticated", "pfm_app")
        assert conn.execute("select auth.uid()").fetchone()[0] == user.id
        assert str(user.id) in claims
    with db.app_session() as conn:
        assert conn.info.backend_pid == pid
        assert _state(conn) == ("pfm_app", "pfm_app", "")


def test_error_inside_user_transaction_rolls_back_and_cleans(db: Database, make_user) -> None:
    user = make_user().user
    with pytest.raises(psycopg.errors.DivisionByZero):
        with db.user_session(user) as conn:
            conn.execute("insert into accounts (name) values ('Temp')")
            conn.execute("select 1/0")
    with db.user_session(user) as conn:
        assert conn.execute("select count(*) from accounts where name = 'Temp'").fetchone()[0] == 0
    with db.app_session() as conn:
        assert _state(conn)[:3] == ("pfm_app", "pfm_app", "")


def test_dirty_connection_is_discarded_not_reused(one_conn_db: Database) -> None:
    db = one_conn_db
    with db.app_session() as conn:
        pid = conn.info.backend_pid
        conn.execute("select set_config('request.jwt.claims', '{\"sub\": \"x\"}', false)")
    with db.app_session() as conn:
        assert conn.info.backend_pid != pid
        assert _state(conn)[2] == ""


def test_app_role_cannot_read_tables_without_becoming_a_user(db: Database) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with db.app_session() as conn:
            conn.execute("select count(*) from public.transactions")


def test_app_role_cannot_become_owner_or_bypass(db: Database, owner_url: str) -> None:
    with psycopg.connect(role_conninfo(owner_url, "pfm_app", None)) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("set role postgres")


def test_job_worker_role_cannot_read_user_tables(db: Database) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with db.job_session() as conn:
            conn.execute("select count(*) from public.transactions")


def test_job_user_session_sees_only_that_user(db: Database, make_user) -> None:
    a, b = make_user().user, make_user().user
    with db.user_session(a) as conn:
        conn.execute("insert into accounts (name) values ('A-only')")
    with db.job_user_session(b.id) as conn:
        assert conn.execute("select count(*) from accounts where name = 'A-only'").fetchone()[0] == 0
    with db.job_user_session(a.id) as conn:
        assert conn.execute("select count(*) from accounts where name = 'A-only'").fetchone()[0] == 1

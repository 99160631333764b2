"""The shared merchant prior end to end (real database, real model): only users who consented
to ``model_training`` feed it, only default-taxonomy categories of merchants at least K users
filed are shared, a withdrawal takes the user out at the next rebuild, and a brand-new user's
transaction at a shared merchant is categorized with the shared explanation."""

from __future__ import annotations

import datetime as dt
import random
import string
import uuid

import pytest

from core import consents
from core.config import Settings
from core.corrections import correct_category
from core.db import Database
from core.identity import AuthUser
from jobs import pipeline, queue, shared_prior
from jobs.scheduler import make_scheduler
from ml.text import merchant_key

K = shared_prior.MIN_USERS


def _merchant() -> str:
    """A merchant nobody else in the session database uses (letters only: digits are noise)."""
    rng = random.Random(uuid.uuid4().int)
    return "Kwembe " + "".join(rng.choice(string.ascii_uppercase) for _ in range(8)) + " Traders"


def _shared(db: Database, merchant: str) -> dict[str, tuple[int, int]]:
    with db.owner_connection() as conn:
        rows = conn.execute("select category, n_users, n_labels from ml_cache.shared_merchant_categories"
                            " where merchant_key = %s", [merchant_key(merchant)]).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def _category(conn, name: str) -> str:
    row = conn.execute("select id from categories where name = %s and parent_id is not null",
                       [name]).fetchone()
    if row:
        return row[0]
    parent = conn.execute("select id from categories where parent_id is null order by name"
                          " limit 1").fetchone()[0]
    return conn.execute("insert into categories (name, parent_id) values (%s, %s) returning id",
                        [name, parent]).fetchone()[0]


def _labeler(db: Database, make_user, merchant: str, category: str, consent: bool,
             n: int = 2) -> AuthUser:
    """A user who filed ``n`` charges at ``merchant`` under ``category`` themselves."""
    user = make_user(name="labeler").user
    with db.user_session(user) as conn:
        account = conn.execute("insert into accounts (name) values ('Cheque') returning id").fetchone()[0]
        cat = _category(conn, category)
        for i in range(n):
            tx = conn.execute(
                "insert into transactions (account_id, date, amount, description, merchant, dedupe_key)"
                " values (%s, %s, %s, %s, %s, %s) returning id",
                [account, dt.date(2026, 10, 1 + i), -20 - i, f"POS PURCHASE {merchant.upper()} 0{i + 1} OCT",
                 merchant, f"k-{i}"]).fetchone()[0]
            correct_category(conn, tx, cat)
        if consent:
            assert consents.set_consent(conn, user, "model_training", True)
    return user


def _withdraw(db: Database, user: AuthUser) -> None:
    with db.user_session(user) as conn:
        assert consents.set_consent(conn, user, "model_training", False)


def test_without_consent_nothing_is_shared(db: Database, make_user) -> None:
    merchant = _merchant()
    for _ in range(K + 1):
        _labeler(db, make_user, merchant, "Groceries", consent=False)
    shared_prior.rebuild(db)
    assert _shared(db, merchant) == {}


def test_k_consenting_users_share_a_merchant_and_a_new_user_benefits(
        db: Database, settings: Settings, make_user) -> None:
    merchant = _merchant()
    for _ in range(K):
        _labeler(db, make_user, merchant, "Groceries", consent=True)
    _labeler(db, make_user, merchant, "Pharmacy", consent=False)  # not counted
    assert shared_prior.rebuild(db) >= 1
    assert _shared(db, merchant) == {"Groceries": (K, 2 * K)}
    assert shared_prior.load(db, [merchant_key(merchant)]) == {merchant_key(merchant): {"Groceries": 1.0}}

    newcomer = make_user(name="newcomer").user  # no history, no consent of their own
    with db.user_session(newcomer) as conn:
        account = conn.execute("insert into accounts (name) values ('Main') returning id").fetchone()[0]
        conn.execute("insert into transactions (account_id, date, amount, description, merchant,"
                     " dedupe_key) values (%s, %s, -31.70, %s, %s, 'fresh')",
                     [account, dt.date(2026, 11, 2), f"CARD PURCHASE {merchant.upper()} 02 NOV", merchant])
        conn.execute("update profiles set auto_apply_threshold = 0.5")
    pipeline.run_user(db, settings, newcomer.id, only={"categorize"})
    with db.user_session(newcomer) as conn:
        name, source, conf, explanation, suggestions = conn.execute(
            "select c.name, t.category_source, t.category_confidence, t.category_explanation,"
            " t.category_suggestions from transactions t left join categories c on c.id = t.category_id"
            " where t.dedupe_key = 'fresh'").fetchone()
    assert explanation == f"Other users file '{merchant_key(merchant)}' under Groceries"
    assert suggestions[0]["category"] == "Groceries"
    assert (name, source) == ("Groceries", "model")
    assert 0.5 <= conf < 0.995  # others' habits are evidence, not certainty


def test_fewer_than_k_users_or_a_custom_category_share_nothing(db: Database, make_user) -> None:
    few, custom = _merchant(), _merchant()
    for _ in range(K - 1):
        _labeler(db, make_user, few, "Groceries", consent=True)
    for _ in range(K + 1):
        _labeler(db, make_user, custom, "Kwembe Club Nights", consent=True)
    shared_prior.rebuild(db)
    assert _shared(db, few) == {}
    assert _shared(db, custom) == {}


def test_withdrawing_consent_removes_the_contribution(db: Database, make_user) -> None:
    merchant = _merchant()
    users = [_labeler(db, make_user, merchant, "Fuel", consent=True) for _ in range(K + 1)]
    shared_prior.rebuild(db)
    assert _shared(db, merchant) == {"Fuel": (K + 1, 2 * (K + 1))}
    _withdraw(db, users[0])
    shared_prior.rebuild(db)
    assert _shared(db, merchant) == {"Fuel": (K, 2 * K)}
    _withdraw(db, users[1])  # now fewer than K consenting users filed it
    shared_prior.rebuild(db)
    assert _shared(db, merchant) == {}


def test_the_latest_correction_is_a_users_vote(db: Database, make_user) -> None:
    merchant = _merchant()
    users = [_labeler(db, make_user, merchant, "Groceries", consent=True) for _ in range(K)]
    with db.user_session(users[0]) as conn:  # one user changes their mind about one charge
        tx = conn.execute("select id from transactions order by date limit 1").fetchone()[0]
        correct_category(conn, tx, _category(conn, "Household"))
    shared_prior.rebuild(db)
    # K-1 users still say Groceries; the one Household vote is below the pair minimum
    assert _shared(db, merchant) == {"Groceries": (K - 1, 2 * (K - 1))}


def test_the_job_role_alone_may_touch_the_table(db: Database, make_user) -> None:
    user = make_user().user
    with pytest.raises(Exception, match="permission denied"), db.user_session(user) as conn:
        conn.execute("select * from ml_cache.shared_merchant_categories")
    with pytest.raises(Exception, match="permission denied"), db.app_session() as conn:
        conn.execute("select * from ml_cache.shared_merchant_categories")
    with pytest.raises(Exception, match="permission denied"), db.job_session() as conn:
        conn.execute("update ml_cache.shared_merchant_categories set n_users = 99")


def test_rebuild_is_scheduled(db: Database) -> None:
    scheduler = make_scheduler(db, queue.make_app(db), 15)
    job = scheduler.get_job("shared-prior-rebuild")
    assert job is not None and "hour='2'" in str(job.trigger)

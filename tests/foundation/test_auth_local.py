"""Local sign-in: wrong password, lockout, sign-up validation, logout, session tokens, audit."""

from __future__ import annotations

import psycopg
import pytest

from core.auth import (
    AccountLocked,
    InvalidCredentials,
    LocalAuth,
    SignUpError,
    cookie_key,
    password_problems,
)
from core.config import Settings
from core.db import Database
from core.taxonomy import DEFAULT_TAXONOMY


def _actions(db: Database, user) -> list[str]:
    with db.user_session(user) as conn:
        return [r[0] for r in conn.execute("select action from audit_log order by id")]


def test_sign_in_with_right_password(auth: LocalAuth, make_user, db: Database) -> None:
    made = make_user()
    user = auth.sign_in(made.email.upper(), made.password)
    assert user.id == made.user.id and user.app_role == "user"
    assert _actions(db, user) == ["signup", "login"]


def test_wrong_password_and_unknown_email_say_the_same(auth: LocalAuth, make_user) -> None:
    made = make_user()
    with pytest.raises(InvalidCredentials) as wrong:
        auth.sign_in(made.email, "Not-The-Password-1")
    with pytest.raises(InvalidCredentials) as unknown:
        auth.sign_in("nobody-here@example.org", "Whatever-Pass-1")
    assert str(wrong.value) == str(unknown.value) == "Wrong email or password."


def test_five_failures_lock_the_account_even_for_the_right_password(
        auth: LocalAuth, make_user, db: Database) -> None:
    made = make_user()
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            auth.sign_in(made.email, "Wrong-Password-9")
    with pytest.raises(AccountLocked) as locked:
        auth.sign_in(made.email, "Wrong-Password-9")
    assert "locked for 15 more minute" in str(locked.value)
    with pytest.raises(AccountLocked):
        auth.sign_in(made.email, made.password)
    # after the lock expires (moved into the past as an operator would), the right password works
    with db.owner_connection() as conn:
        conn.execute("update private.local_credentials set locked_until = now() - interval '1 second'"
                     " where user_id = %s", [str(made.user.id)])
    assert auth.sign_in(made.email, made.password).id == made.user.id
    assert _actions(db, made.user).count("login_failed") == 5


@pytest.mark.parametrize("password, problem", [
    ("short1A!", "at least 10 characters"),
    ("alllowercaseletters", None),  # 16+ characters: accepted as a passphrase
    ("lowercase123", "three of"),
    ("aaaaaaaaaaaaaaaaaaaa", "more different characters"),
])
def test_password_strength(password: str, problem: str | None) -> None:
    problems = password_problems(password, "someone@example.org")
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_sign_up_validation(auth: LocalAuth, make_user) -> None:
    with pytest.raises(SignUpError, match="not a valid email"):
        auth.sign_up("not-an-email", "Good-Password-12")
    with pytest.raises(SignUpError, match="too weak"):
        auth.sign_up("weak@example.org", "password")
    made = make_user()
    with pytest.raises(SignUpError, match="already exists"):
        auth.sign_up(made.email, "Another-Good-Pass-3")


def test_new_user_gets_profile_and_two_level_taxonomy(auth: LocalAuth, make_user, db: Database) -> None:
    made = make_user(name="fresh")
    with db.user_session(made.user) as conn:
        parents = conn.execute("select count(*) from categories where parent_id is null").fetchone()[0]
        children = conn.execute("select count(*) from categories c join categories p"
                                " on p.id = c.parent_id where p.parent_id is null").fetchone()[0]
        profile = conn.execute("select email, role from profiles").fetchall()
    assert parents >= 15 and children >= 50
    assert profile == [(made.email, "user")]
    # the migration seeds exactly the taxonomy the code knows (core.taxonomy, ml.prior)
    with db.user_session(made.user) as conn:
        tree = conn.execute("select p.name, array_agg(c.name order by c.name)"
                            " from categories c join categories p on p.id = c.parent_id"
                            " group by p.name").fetchall()
    assert {p: sorted(leaves) for p, leaves in tree} == {
        p: sorted(leaves) for p, leaves in DEFAULT_TAXONOMY.items()}


def test_logout_is_audited(auth: LocalAuth, make_user, db: Database) -> None:
    made = make_user()
    auth.sign_out(made.user)
    assert _actions(db, made.user)[-1] == "logout"


def test_session_token_round_trip_and_tamper(auth: LocalAuth, make_user, db: Database) -> None:
    made = make_user()
    token = auth.session_token(made.user)
    assert auth.restore(token).id == made.user.id
    assert auth.restore(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]) is None
    other_key = LocalAuth(db, "another-key-" + "x" * 40)
    assert other_key.restore(token) is None


def test_hashes_are_argon2_and_unreadable_by_app_roles(make_user, db: Database) -> None:
    made = make_user()
    with db.owner_connection() as conn:
        stored = conn.execute("select password_hash from private.local_credentials where user_id = %s",
                              [str(made.user.id)]).fetchone()[0]
    assert stored.startswith("$argon2id$") and made.password not in stored
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with db.user_session(made.user) as conn:
            conn.execute("select * from private.local_credentials")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with db.app_session() as conn:
            conn.execute("select * from private.local_credentials")


def test_cookie_key_is_generated_once_with_0600(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path)
    key = cookie_key(settings)
    assert len(key) >= 32 and cookie_key(settings) == key
    assert (tmp_path / "cookie.key").stat().st_mode & 0o777 == 0o600
    assert cookie_key(Settings(data_dir=tmp_path / "other")) != key

"""Local sign-in: wrong password, lockout, sign-up validation, logout, session tokens, audit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from core.auth import (
    AccountLocked,
    AuthError,
    InvalidCredentials,
    LocalAuth,
    PasswordChangeError,
    SignUpError,
    cookie_key,
    password_problems,
)
from core.config import Settings
from core.db import Database
from core.taxonomy import DEFAULT_TAXONOMY

ROOT = Path(__file__).resolve().parents[2]


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


def test_password_change(auth: LocalAuth, make_user, db: Database) -> None:
    made = make_user()
    user = auth.sign_in(made.email, made.password)
    other_browser = auth.session_token(user)
    new = "Brand-New-Passw0rd"
    with pytest.raises(PasswordChangeError, match="too weak"):
        auth.change_password(user, made.password, "short")
    with pytest.raises(PasswordChangeError, match="same as the current"):
        auth.change_password(user, made.password, made.password)
    with pytest.raises(InvalidCredentials, match="current password is not right"):
        auth.change_password(user, "Not-The-Passw0rd", new)
    auth.change_password(user, made.password, new)
    with pytest.raises(InvalidCredentials):
        auth.sign_in(made.email, made.password)
    assert auth.sign_in(made.email, new).id == user.id
    # a browser that remembered the old sign-in is signed out; a token issued now restores
    assert auth.restore(other_browser) is None
    assert auth.restore(auth.session_token(user)).id == user.id
    # the check of the current password is not a sign-in, but a wrong one is a failed attempt
    assert _actions(db, user) == ["signup", "login", "login_failed", "password_changed",
                                  "login_failed", "login"]


def test_wrong_current_passwords_lock_the_account(auth: LocalAuth, make_user) -> None:
    made = make_user()
    user = auth.sign_in(made.email, made.password)
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            auth.change_password(user, "Wrong-Passw0rd-9", "Brand-New-Passw0rd")
    with pytest.raises(AccountLocked):
        auth.change_password(user, "Wrong-Passw0rd-9", "Brand-New-Passw0rd")
    with pytest.raises(AccountLocked):  # even with the right one, until the lock ends
        auth.change_password(user, made.password, "Brand-New-Passw0rd")


def test_operator_reset_sets_a_new_password_and_lifts_a_lockout(auth: LocalAuth, make_user,
                                                                db: Database) -> None:
    from core.admin_ops import reset_password

    made = make_user()
    token = auth.session_token(made.user)
    for _ in range(5):
        with pytest.raises(AuthError):
            auth.sign_in(made.email, "Wrong-Passw0rd-9")
    password = reset_password(db, made.email.upper())
    assert not password_problems(password, made.email)
    assert auth.sign_in(made.email, password).id == made.user.id
    assert auth.restore(token) is None
    with db.owner_connection() as conn:
        row = conn.execute("select actor_id, detail from audit_log where user_id = %s"
                           " and action = 'password_reset'", [str(made.user.id)]).fetchone()
    assert row == (None, {"by": "operator"})
    with pytest.raises(SystemExit, match="no local account with email nobody@example.org"):
        reset_password(db, "nobody@example.org")


def test_reset_password_command(auth: LocalAuth, make_user, settings, owner_url) -> None:
    """``python -m app reset-password EMAIL`` as the README gives it, in a subprocess."""
    made = make_user()
    env = {**os.environ, "PFM_DATA_DIR": str(settings.data_dir), "DATABASE_URL": owner_url}
    proc = subprocess.run([sys.executable, "-m", "app", "reset-password", made.email],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    match = re.search(rf"New password for {re.escape(made.email)}: (\S+)", proc.stdout)
    assert match and "Settings > Password" in proc.stdout
    assert auth.sign_in(made.email, match.group(1)).id == made.user.id
    unknown = subprocess.run([sys.executable, "-m", "app", "reset-password", "nobody@example.org"],
                             cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert unknown.returncode != 0 and "no local account with email nobody@example.org" in unknown.stderr


def test_sign_in_page_stops_offering_a_changed_demo_password(auth: LocalAuth, make_user,
                                                             db: Database, tmp_path) -> None:
    from core.demo_seed import DemoCredentials, _write_credentials, demo_credentials

    made = make_user(name="demo-like")
    settings = Settings(data_dir=tmp_path)
    assert demo_credentials(settings, db) is None  # no demo seeded here
    _write_credentials(settings, DemoCredentials(made.email, made.password))
    assert demo_credentials(settings, db) == DemoCredentials(made.email, made.password)
    auth.change_password(made.user, made.password, "Brand-New-Passw0rd")
    assert demo_credentials(settings, db) is None
    assert demo_credentials(settings) == DemoCredentials(made.email, made.password)  # file only

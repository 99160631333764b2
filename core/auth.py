"""Authentication: one interface, two backends (local and Supabase).

The local backend (default) keeps argon2id password hashes in ``private.local_credentials``,
reached only through ``security definer`` functions that the ``pfm_app`` role may execute.
Five failed attempts lock an account for 15 minutes (enforced in the database). Sign-in is
remembered in the browser by a signed, expiring token (HS256 with the cookie key from secrets or
a generated 0600 key file in the data dir — never a default literal). The Supabase backend lives
in ``core.auth_supabase``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import secrets
import uuid
from pathlib import Path
from typing import Protocol

import jwt
import psycopg
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.config import Settings
from core.db import Database
from core.identity import AuthUser

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
SESSION_DAYS = 14
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
_hasher = PasswordHasher()
# verified against when the account does not exist, so timing does not reveal which emails exist
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AuthError(Exception):
    """A sign-in or sign-up problem; ``str(exc)`` is safe to show to the user."""


class InvalidCredentials(AuthError):
    pass


class AccountLocked(AuthError):
    def __init__(self, until: dt.datetime) -> None:
        minutes = max(1, int((until - dt.datetime.now(dt.UTC)).total_seconds() // 60) + 1)
        super().__init__(f"Too many failed attempts: this account is locked for {minutes} more "
                         "minute(s). Try again later.")
        self.until = until


class SignUpError(AuthError):
    pass


class PasswordChangeError(AuthError):
    pass


def check_new_password(email: str, current: str, new: str) -> None:
    """:class:`PasswordChangeError` when ``new`` may not replace ``current``."""
    if new == current:
        raise PasswordChangeError("The new password is the same as the current one.")
    problems = password_problems(new, email)
    if problems:
        raise PasswordChangeError("New password too weak: " + "; ".join(problems) + ".")


class AuthBackend(Protocol):
    """What the app needs from an auth backend."""

    name: str

    def sign_up(self, email: str, password: str, display_name: str = "") -> AuthUser: ...
    def sign_in(self, email: str, password: str) -> AuthUser: ...
    def sign_out(self, user: AuthUser) -> None: ...
    def session_token(self, user: AuthUser) -> str | None: ...
    def restore(self, token: str) -> AuthUser | None: ...
    def change_password(self, user: AuthUser, current: str, new: str) -> None: ...


def password_problems(password: str, email: str = "") -> list[str]:
    """Reasons a password is too weak (empty list = acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"at least {MIN_PASSWORD_LENGTH} characters")
    classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z\d]"))
    if len(password) < 16 and classes < 3:
        problems.append("three of: lowercase, uppercase, digit, symbol (or 16+ characters)")
    local = email.split("@", 1)[0].lower()
    if len(local) >= 4 and local in password.lower():
        problems.append("must not contain your email name")
    if len(set(password)) < 5:
        problems.append("more different characters")
    return problems


def validate_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise SignUpError(f"'{email}' is not a valid email address")
    return email


def cookie_key(settings: Settings) -> str:
    """The cookie signing key: from secrets/env, else a generated key file (mode 0600)."""
    if settings.cookie_key:
        if len(settings.cookie_key) < 32:
            raise SystemExit("PFM_COOKIE_KEY must be at least 32 characters")
        return settings.cookie_key
    path = Path(settings.data_dir) / "cookie.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
        log.info("generated cookie key at %s", path)
    return path.read_text().strip()


class LocalAuth:
    """Email + password accounts stored in this database."""

    name = "local"

    def __init__(self, db: Database, signing_key: str) -> None:
        self.db = db
        self._key = signing_key

    def _claims(self, user_id: uuid.UUID | str) -> dict | None:
        with self.db.app_session() as conn:
            row = conn.execute("select private.user_claims(%s)", [str(user_id)]).fetchone()
        return row[0] if row and row[0] else None

    def _load(self, user_id: uuid.UUID | str, claims: dict | None = None) -> AuthUser | None:
        claims = claims or self._claims(user_id)
        if claims is None:
            return None
        return AuthUser(id=uuid.UUID(claims["sub"]), email=claims["email"],
                        app_role=claims.get("app_role", "user"),
                        display_name=claims.get("display_name", ""), claims={})

    def sign_up(self, email: str, password: str, display_name: str = "") -> AuthUser:
        email = validate_email(email)
        problems = password_problems(password, email)
        if problems:
            raise SignUpError("Password too weak: " + "; ".join(problems) + ".")
        name = display_name.strip() or email.split("@", 1)[0]
        try:
            with self.db.app_session() as conn:
                user_id = conn.execute("select private.local_signup(%s, %s, %s)",
                                       [email, _hasher.hash(password), name]).fetchone()[0]
        except psycopg.errors.UniqueViolation as exc:
            raise SignUpError("An account with this email already exists.") from exc
        user = self._load(user_id)
        assert user is not None
        log.info("signed up user %s", user.id)
        return user

    def sign_in(self, email: str, password: str) -> AuthUser:
        user_id = self._verify(email, password)
        user = self._load(user_id)
        assert user is not None
        return user

    def _verify(self, email: str, password: str, wrong: str = "Wrong email or password.",
                sign_in: bool = True) -> str:
        """The user id when ``password`` is right; a wrong one counts towards the lockout. A
        right one is recorded as a sign-in unless ``sign_in`` is false."""
        email = email.strip().lower()
        with self.db.app_session() as conn:
            row = conn.execute("select user_id, password_hash, locked_until"
                               " from private.local_login_lookup(%s)", [email]).fetchone()
        if row and row[2] is not None:
            raise AccountLocked(row[2])
        ok = False
        try:
            ok = _hasher.verify(row[1] if row else _DUMMY_HASH, password) and row is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if ok and not sign_in:
            return row[0]
        with self.db.app_session() as conn:
            locked = conn.execute("select private.local_login_result(%s, %s)",
                                  [email, ok]).fetchone()[0]
        if not ok:
            if locked is not None:
                raise AccountLocked(locked)
            raise InvalidCredentials(wrong)
        return row[0]

    def change_password(self, user: AuthUser, current: str, new: str) -> None:
        """Replace the signed-in user's password after checking the current one (a wrong one
        counts towards the lockout, as at sign-in). Other browsers that remembered the sign-in
        are signed out; call :meth:`session_token` again for this one."""
        check_new_password(user.email, current, new)
        user_id = self._verify(user.email, current, "Your current password is not right.",
                               sign_in=False)
        if str(user_id) != str(user.id):
            raise InvalidCredentials("Your current password is not right.")
        with self.db.app_session() as conn:
            conn.execute("select private.local_set_password(%s, %s)",
                         [str(user.id), _hasher.hash(new)])
        log.info("user %s changed their password", user.id)

    def sign_out(self, user: AuthUser) -> None:
        with self.db.user_session(user) as conn:
            conn.execute("insert into public.audit_log (user_id, actor_id, action)"
                         " values (%s, %s, 'logout')", [str(user.id), str(user.id)])

    def session_token(self, user: AuthUser) -> str:
        """A signed token that restores this sign-in for 14 days, until the password changes."""
        now = dt.datetime.now(dt.UTC)
        version = (self._claims(user.id) or {}).get("pwv", 0)
        return jwt.encode({"sub": str(user.id), "iat": now, "exp": now + dt.timedelta(days=SESSION_DAYS),
                           "aud": "pfm-local", "pwv": version}, self._key, algorithm="HS256")

    def restore(self, token: str) -> AuthUser | None:
        try:
            token_claims = jwt.decode(token, self._key, algorithms=["HS256"], audience="pfm-local")
        except jwt.PyJWTError:
            return None
        claims = self._claims(token_claims["sub"])
        if claims is None or token_claims.get("pwv", 0) != claims.get("pwv", 0):
            return None  # the account is gone, or its password changed since the token
        return self._load(token_claims["sub"], claims)

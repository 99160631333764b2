"""Supabase Auth backend: sign-in, sign-up, sign-out and password change through GoTrue with
``supabase-py``.

One client per browser session (the page layer keeps this backend in ``st.session_state``),
with token auto-refresh off and no session persistence. Every access token is verified here —
signature (HS256 with the project's JWT secret, or the project's JWKS for asymmetric keys),
expiry and audience — before any claim is trusted; the database then sees only those verified
claims through ``core.db``.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import jwt

from core.auth import (
    AuthError,
    InvalidCredentials,
    PasswordChangeError,
    SignUpError,
    check_new_password,
    password_problems,
    validate_email,
)
from core.db import Database
from core.identity import AuthUser

log = logging.getLogger(__name__)


class SupabaseAuth:
    """Accounts managed by a Supabase project's Auth (GoTrue)."""

    name = "supabase"

    def __init__(self, db: Database, url: str, anon_key: str, jwt_secret: str | None = None) -> None:
        from supabase import ClientOptions, create_client

        if not url or not anon_key:
            raise SystemExit("PFM_SUPABASE_URL and PFM_SUPABASE_ANON_KEY are required "
                             "for the supabase auth backend")
        self.db = db
        self.url = url.rstrip("/")
        self._secret = jwt_secret
        self._jwks = None if jwt_secret else jwt.PyJWKClient(f"{self.url}/auth/v1/.well-known/jwks.json")
        self.client = create_client(self.url, anon_key, options=ClientOptions(
            auto_refresh_token=False, persist_session=False))

    def verify(self, token: str) -> dict[str, Any]:
        """Verified claims of an access token, or :class:`InvalidCredentials`."""
        try:
            if self._secret:
                return jwt.decode(token, self._secret, algorithms=["HS256"], audience="authenticated")
            assert self._jwks is not None
            key = self._jwks.get_signing_key_from_jwt(token)
            return jwt.decode(token, key.key, algorithms=["RS256", "ES256"], audience="authenticated")
        except jwt.PyJWTError as exc:
            log.warning("rejected a Supabase token: %s", exc)
            raise InvalidCredentials("The sign-in token could not be verified.") from exc

    def _user(self, token: str) -> AuthUser:
        claims = self.verify(token)
        user = AuthUser(id=uuid.UUID(claims["sub"]), email=claims.get("email", ""), claims=claims)
        with self.db.user_session(user) as conn:
            row = conn.execute("select public.my_role(), (select display_name from public.profiles"
                               " where user_id = auth.uid())").fetchone()
        return AuthUser(id=user.id, email=user.email, app_role=(row and row[0]) or "user",
                        display_name=(row and row[1]) or "", claims=claims)

    def sign_up(self, email: str, password: str, display_name: str = "") -> AuthUser:
        email = validate_email(email)
        problems = password_problems(password, email)
        if problems:
            raise SignUpError("Password too weak: " + "; ".join(problems) + ".")
        try:
            res = self.client.auth.sign_up({"email": email, "password": password,
                                            "options": {"data": {"display_name": display_name}}})
        except Exception as exc:  # supabase raises AuthApiError and friends
            raise SignUpError(f"Sign-up failed: {getattr(exc, 'message', exc)}") from exc
        if res.session is None:
            raise SignUpError("Check your inbox to confirm your email, then sign in.")
        return self._user(res.session.access_token)

    def sign_in(self, email: str, password: str) -> AuthUser:
        try:
            res = self.client.auth.sign_in_with_password({"email": email.strip().lower(),
                                                          "password": password})
        except Exception as exc:
            raise InvalidCredentials("Wrong email or password.") from exc
        if res.session is None:
            raise AuthError("Sign-in did not return a session.")
        self._token = res.session.access_token
        return self._user(res.session.access_token)

    def sign_out(self, user: AuthUser) -> None:
        try:
            self.client.auth.sign_out()
        except Exception as exc:
            log.warning("Supabase sign-out failed: %s", exc)

    def change_password(self, user: AuthUser, current: str, new: str) -> None:
        """Check the current password by signing in with it, then set the new one (GoTrue's
        ``PUT /auth/v1/user``); this client keeps the fresh session."""
        check_new_password(user.email, current, new)
        try:
            res = self.client.auth.sign_in_with_password({"email": user.email, "password": current})
        except Exception as exc:
            raise InvalidCredentials("Your current password is not right.") from exc
        if res.session is None or self.verify(res.session.access_token)["sub"] != str(user.id):
            raise InvalidCredentials("Your current password is not right.")
        self._token = res.session.access_token
        try:
            self.client.auth.update_user({"password": new})
        except Exception as exc:
            raise PasswordChangeError(f"The password was not changed: {getattr(exc, 'message', exc)}"
                                      ) from exc
        log.info("user %s changed their password", user.id)

    def session_token(self, user: AuthUser) -> str | None:
        return getattr(self, "_token", None)

    def restore(self, token: str) -> AuthUser | None:
        try:
            return self._user(token)
        except AuthError:
            return None

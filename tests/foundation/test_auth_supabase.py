"""Supabase backend against a local HTTP server that answers like GoTrue's documented endpoints.

A hosted Supabase Auth cannot be reached from this machine, so GoTrue is the one thing mocked
here: a small local server implements POST /auth/v1/signup, /auth/v1/token?grant_type=password
and /auth/v1/logout and PUT /auth/v1/user (the password change), writes users into the test
database's auth.users as GoTrue does, and signs access tokens with the project's JWT secret.
Everything after the token — verification, RLS, the database — is real.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest

from core.auth import InvalidCredentials, PasswordChangeError, SignUpError
from core.auth_supabase import SupabaseAuth
from core.db import Database

SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"


class FakeGoTrue(BaseHTTPRequestHandler):
    db: Database
    users: dict[str, tuple[str, str]] = {}
    calls: list[str] = []

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _json(self, status: int, body: dict | None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _session(self, user_id: str, email: str, signing_secret: str = SECRET) -> dict:
        now = int(time.time())
        token = jwt.encode({"sub": user_id, "email": email, "aud": "authenticated",
                            "role": "authenticated", "iat": now, "exp": now + 3600},
                           signing_secret, algorithm="HS256")
        user = {"id": user_id, "aud": "authenticated", "role": "authenticated", "email": email,
                "app_metadata": {"provider": "email"}, "user_metadata": {},
                "created_at": "2026-01-01T00:00:00Z"}
        return {"access_token": token, "token_type": "bearer", "expires_in": 3600,
                "expires_at": now + 3600, "refresh_token": uuid.uuid4().hex, "user": user}

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.calls.append(self.path)
        if self.headers.get("apikey") != "anon-key":
            return self._json(401, {"msg": "no api key"})
        if self.path.startswith("/auth/v1/signup"):
            email = body["email"]
            if email in self.users:
                return self._json(422, {"code": 422, "error_code": "user_already_exists",
                                        "msg": "User already registered"})
            user_id = str(uuid.uuid4())
            with self.db.owner_connection() as conn:  # GoTrue writes auth.users itself
                conn.execute("insert into auth.users (id, email, raw_user_meta_data) values (%s, %s, %s)",
                             [user_id, email, json.dumps(body.get("data") or {})])
            self.users[email] = (user_id, body["password"])
            return self._json(200, self._session(user_id, email))
        if self.path.startswith("/auth/v1/token"):
            found = self.users.get(body.get("email", ""))
            if not found or found[1] != body.get("password"):
                return self._json(400, {"code": 400, "error_code": "invalid_credentials",
                                        "msg": "Invalid login credentials"})
            secret = "forged-secret-" + "x" * 40 if body["email"].startswith("forged") else SECRET
            return self._json(200, self._session(found[0], body["email"], secret))
        if self.path.startswith("/auth/v1/logout"):
            return self._json(204, None)
        return self._json(404, {"msg": "not found"})

    def do_PUT(self) -> None:  # noqa: N802 (http.server API)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.calls.append("PUT " + self.path)
        if self.headers.get("apikey") != "anon-key" or not self.path.startswith("/auth/v1/user"):
            return self._json(404, {"msg": "not found"})
        try:  # GoTrue takes the user from the bearer token it issued
            claims = jwt.decode(self.headers.get("Authorization", "").removeprefix("Bearer "),
                                SECRET, algorithms=["HS256"], audience="authenticated")
        except jwt.PyJWTError:
            return self._json(401, {"code": 401, "msg": "invalid JWT"})
        self.users[claims["email"]] = (claims["sub"], body["password"])
        return self._json(200, self._session(claims["sub"], claims["email"])["user"])


@pytest.fixture(scope="module")
def gotrue(db: Database):
    FakeGoTrue.db = db
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGoTrue)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _backend(db: Database, url: str) -> SupabaseAuth:
    return SupabaseAuth(db, url, "anon-key", SECRET)


def test_sign_up_sign_in_and_rls_with_verified_token(db: Database, gotrue: str) -> None:
    email = f"supa-{uuid.uuid4().hex[:6]}@example.org"
    backend = _backend(db, gotrue)
    user = backend.sign_up(email, "Str0ng-Passw0rd!", "Supa")
    assert user.email == email and user.app_role == "user"
    with db.user_session(user) as conn:
        assert conn.execute("select count(*) from categories").fetchone()[0] > 50
    signed_in = _backend(db, gotrue).sign_in(email, "Str0ng-Passw0rd!")
    assert signed_in.id == user.id
    assert signed_in.claims["aud"] == "authenticated"
    backend.sign_out(signed_in)
    assert any(c.startswith("/auth/v1/logout") for c in FakeGoTrue.calls)


def test_wrong_password_is_rejected(db: Database, gotrue: str) -> None:
    email = f"supa-{uuid.uuid4().hex[:6]}@example.org"
    _backend(db, gotrue).sign_up(email, "Str0ng-Passw0rd!")
    with pytest.raises(InvalidCredentials):
        _backend(db, gotrue).sign_in(email, "wrong-password-1A")


def test_token_with_wrong_signature_is_never_trusted(db: Database, gotrue: str) -> None:
    email = f"forged-{uuid.uuid4().hex[:6]}@example.org"
    FakeGoTrue.users[email] = (str(uuid.uuid4()), "Str0ng-Passw0rd!")
    with pytest.raises(InvalidCredentials, match="could not be verified"):
        _backend(db, gotrue).sign_in(email, "Str0ng-Passw0rd!")
    expired = jwt.encode({"sub": str(uuid.uuid4()), "aud": "authenticated", "exp": 1}, SECRET)
    assert _backend(db, gotrue).restore(expired) is None


def test_weak_password_rejected_before_calling_gotrue(db: Database, gotrue: str) -> None:
    before = len(FakeGoTrue.calls)
    with pytest.raises(SignUpError, match="too weak"):
        _backend(db, gotrue).sign_up("weak@example.org", "short")
    assert len(FakeGoTrue.calls) == before


def test_client_does_not_refresh_or_persist(db: Database, gotrue: str) -> None:
    backend = _backend(db, gotrue)
    assert backend.client.auth._auto_refresh_token is False
    assert backend.client.auth._persist_session is False


def test_password_change_checks_the_current_one_then_updates_gotrue(db: Database,
                                                                     gotrue: str) -> None:
    email = f"supa-{uuid.uuid4().hex[:6]}@example.org"
    backend = _backend(db, gotrue)
    user = backend.sign_up(email, "Str0ng-Passw0rd!")
    before = len(FakeGoTrue.calls)
    with pytest.raises(PasswordChangeError, match="too weak"):
        backend.change_password(user, "Str0ng-Passw0rd!", "short")
    with pytest.raises(PasswordChangeError, match="same as the current"):
        backend.change_password(user, "Str0ng-Passw0rd!", "Str0ng-Passw0rd!")
    assert len(FakeGoTrue.calls) == before  # rejected before calling GoTrue
    with pytest.raises(InvalidCredentials, match="current password"):
        backend.change_password(user, "Wr0ng-Passw0rd!", "An0ther-Passw0rd!")
    assert not any(c.startswith("PUT") for c in FakeGoTrue.calls[before:])
    backend.change_password(user, "Str0ng-Passw0rd!", "An0ther-Passw0rd!")
    assert FakeGoTrue.calls[-1] == "PUT /auth/v1/user"
    with pytest.raises(InvalidCredentials):
        _backend(db, gotrue).sign_in(email, "Str0ng-Passw0rd!")
    assert _backend(db, gotrue).sign_in(email, "An0ther-Passw0rd!").id == user.id
    assert backend.restore(backend.session_token(user)).id == user.id

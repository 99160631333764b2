"""Audit log is append-only for every app role; envelope encryption and key rotation."""

from __future__ import annotations

import psycopg
import pytest

from core import audit
from core.admin_ops import keyring, rotate_master_key
from core.crypto import DecryptionError, LocalKeyring, UserCipher, user_cipher
from core.db import Database


def test_audit_rows_cannot_be_updated_or_deleted_by_app_roles(db: Database, make_user) -> None:
    made = make_user()
    with db.user_session(made.user) as conn:
        audit.record(conn, made.user, "export", {"files": 3})
    for statement in ("update public.audit_log set action = 'x'", "delete from public.audit_log",
                      "truncate public.audit_log"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            with db.user_session(made.user) as conn:
                conn.execute(statement)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with db.job_session() as conn:
            conn.execute("delete from public.audit_log")
    # even the table owner is stopped by the append-only trigger
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with db.owner_connection() as conn:
            conn.execute("delete from public.audit_log")
    with db.user_session(made.user) as conn:
        assert [r["action"] for r in audit.recent(conn)][:2] == ["export", "signup"]


def test_user_cannot_forge_audit_entries_for_someone_else(db: Database, make_user) -> None:
    a, b = make_user().user, make_user().user
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        with db.user_session(a) as conn:
            conn.execute("insert into audit_log (user_id, actor_id, action) values (%s, %s, 'x')",
                         [str(b.id), str(a.id)])


def test_field_encryption_binds_user_and_field(tmp_path) -> None:
    import secrets
    dek = secrets.token_bytes(32)
    a = UserCipher("a", dek)
    blob = a.encrypt("NL91ABNA0417164300", "account_number")
    assert b"NL91" not in blob
    assert a.decrypt(blob, "account_number") == "NL91ABNA0417164300"
    with pytest.raises(DecryptionError):
        a.decrypt(blob, "notes")
    with pytest.raises(DecryptionError):
        UserCipher("b", dek).decrypt(blob, "account_number")
    with pytest.raises(DecryptionError):
        a.decrypt(blob[:-1] + bytes([blob[-1] ^ 1]), "account_number")


def test_rotation_rewraps_keys_without_touching_data(db: Database, make_user, settings, tmp_path) -> None:
    made = make_user()
    ring = keyring(settings)
    with db.user_session(made.user) as conn:
        cipher = user_cipher(conn, made.user.id, ring)
        account = conn.execute("insert into accounts (name, account_number_enc) values ('Enc', %s)"
                               " returning id", [cipher.encrypt("GB33BUKB20201555555555",
                                                                "account_number")]).fetchone()[0]
        before = conn.execute("select account_number_enc from accounts where id = %s",
                              [account]).fetchone()[0]
    old_key = ring.key_id
    assert rotate_master_key(db, settings) >= 1
    assert ring.key_id != old_key
    ring.retire(old_key)  # the old master key is gone: only the re-wrapped key can work now
    with db.user_session(made.user) as conn:
        wrapped_id = conn.execute("select master_key_id from user_keys").fetchone()[0]
        after = conn.execute("select account_number_enc from accounts where id = %s",
                             [account]).fetchone()[0]
        cipher = user_cipher(conn, made.user.id, LocalKeyring(ring.directory))
    assert wrapped_id == ring.key_id
    assert bytes(after) == bytes(before)
    assert cipher.decrypt(after, "account_number") == "GB33BUKB20201555555555"


def test_master_key_file_is_private(tmp_path) -> None:
    ring = LocalKeyring(tmp_path / "keys")
    key_file = tmp_path / "keys" / f"master-{ring.key_id}.key"
    assert key_file.stat().st_mode & 0o777 == 0o600

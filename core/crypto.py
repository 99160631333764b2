"""Envelope encryption for personal fields nobody searches on (account numbers, notes, raw lines).

Each user has a random 256-bit data key (DEK). The DEK is stored only wrapped (AES-GCM) by a
master key from a :class:`KeyProvider`; the wrapped DEK is bound to the user id, so it cannot be
moved to another user. Field values are encrypted with the DEK (AES-GCM, a fresh 96-bit nonce,
the user id and field name as associated data). Rotating the master key re-wraps the DEKs and
leaves every encrypted field untouched.

:class:`LocalKeyring` keeps master keys in 0600 files under ``<data dir>/keys``; a cloud KMS
provider implements the same two methods (``wrap``/``unwrap``) and ``key_id``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import uuid
from pathlib import Path
from typing import Protocol

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

log = logging.getLogger(__name__)

_VERSION = b"\x01"


class DecryptionError(Exception):
    """Ciphertext was tampered with, or belongs to another user, field or key."""


class KeyProvider(Protocol):
    """Wraps and unwraps data keys with a master key it never reveals."""

    @property
    def key_id(self) -> str: ...
    def wrap(self, dek: bytes, context: bytes) -> bytes: ...
    def unwrap(self, wrapped: bytes, context: bytes, key_id: str) -> bytes: ...


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(12)
    return _VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if len(blob) < 29 or blob[:1] != _VERSION:
        raise DecryptionError("not a recognised ciphertext")
    try:
        return AESGCM(key).decrypt(blob[1:13], blob[13:], aad)
    except InvalidTag as exc:
        raise DecryptionError("ciphertext does not verify (wrong user, field or key)") from exc


class LocalKeyring:
    """Master keys as 0600 files ``master-<id>.key``; ``current`` names the active one."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not (self.directory / "current").exists():
            self.rotate()

    def _write_private(self, path: Path, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)

    def rotate(self) -> str:
        """Create a new master key and make it current; old keys stay for unwrapping."""
        key = secrets.token_bytes(32)
        key_id = hashlib.sha256(key).hexdigest()[:16]
        self._write_private(self.directory / f"master-{key_id}.key", key)
        tmp = self.directory / "current.tmp"
        tmp.write_text(key_id)
        tmp.replace(self.directory / "current")
        log.info("new master key %s", key_id)
        return key_id

    @property
    def key_id(self) -> str:
        return (self.directory / "current").read_text().strip()

    def _key(self, key_id: str) -> bytes:
        path = self.directory / f"master-{key_id}.key"
        if not path.exists():
            raise DecryptionError(f"master key {key_id} is not in the keyring {self.directory}")
        return path.read_bytes()

    def wrap(self, dek: bytes, context: bytes) -> bytes:
        return _seal(self._key(self.key_id), dek, b"dek|" + context)

    def unwrap(self, wrapped: bytes, context: bytes, key_id: str) -> bytes:
        return _open(self._key(key_id), wrapped, b"dek|" + context)

    def retire(self, key_id: str) -> None:
        """Delete an old master key once nothing is wrapped with it."""
        if key_id == self.key_id:
            raise ValueError("cannot retire the current master key")
        (self.directory / f"master-{key_id}.key").unlink(missing_ok=True)


class UserCipher:
    """Encrypts and decrypts one user's fields with that user's data key."""

    def __init__(self, user_id: uuid.UUID | str, dek: bytes) -> None:
        self._user = str(user_id).encode()
        self._dek = dek

    def encrypt(self, value: str | None, field: str) -> bytes | None:
        if value is None:
            return None
        return _seal(self._dek, value.encode(), self._user + b"|" + field.encode())

    def decrypt(self, blob: bytes | memoryview | None, field: str) -> str | None:
        if blob is None:
            return None
        return _open(self._dek, bytes(blob), self._user + b"|" + field.encode()).decode()

    def encrypt_bytes(self, value: bytes, field: str) -> bytes:
        """Like :meth:`encrypt` for binary data (a compressed blob)."""
        return _seal(self._dek, value, self._user + b"|" + field.encode())

    def decrypt_bytes(self, blob: bytes | memoryview, field: str) -> bytes:
        return _open(self._dek, bytes(blob), self._user + b"|" + field.encode())


def user_cipher(conn: psycopg.Connection, user_id: uuid.UUID | str,
                provider: KeyProvider) -> UserCipher:
    """The user's cipher, creating and storing a wrapped data key on first use.

    ``conn`` must be inside that user's session (RLS limits ``user_keys`` to the owner).
    """
    context = str(user_id).encode()
    row = conn.execute("select wrapped_key, master_key_id from public.user_keys where user_id = %s",
                       [str(user_id)]).fetchone()
    if row is None:
        dek = secrets.token_bytes(32)
        conn.execute(
            "insert into public.user_keys (user_id, wrapped_key, master_key_id) values (%s, %s, %s)"
            " on conflict (user_id) do nothing",
            [str(user_id), provider.wrap(dek, context), provider.key_id])
        row = conn.execute("select wrapped_key, master_key_id from public.user_keys"
                           " where user_id = %s", [str(user_id)]).fetchone()
    return UserCipher(user_id, provider.unwrap(bytes(row[0]), context, row[1]))


def rewrap_all(owner_conn: psycopg.Connection, provider: KeyProvider) -> int:
    """Re-wrap every data key with the provider's current master key (run after a rotation,
    as the owner). Encrypted fields are not touched. Returns the number of keys re-wrapped."""
    n = 0
    with owner_conn.transaction():
        rows = owner_conn.execute(
            "select user_id, wrapped_key, master_key_id from public.user_keys"
            " where master_key_id <> %s for update", [provider.key_id]).fetchall()
        for user_id, wrapped, key_id in rows:
            context = str(user_id).encode()
            dek = provider.unwrap(bytes(wrapped), context, key_id)
            owner_conn.execute(
                "update public.user_keys set wrapped_key = %s, master_key_id = %s, rotated_at = now()"
                " where user_id = %s", [provider.wrap(dek, context), provider.key_id, user_id])
            n += 1
    log.info("re-wrapped %d data key(s) with master key %s", n, provider.key_id)
    return n

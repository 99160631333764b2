"""Searchable encrypted notes: a blind index of keyed word hashes.

Notes are stored encrypted (``transactions.notes_enc``). For search, each note also stores
``notes_terms``: HMAC-SHA256 (truncated to 96 bits) of every word and of each word's
prefixes of 3 to 19 characters, under a random per-user search key. A query word matches a
note holding that word or a word starting with it. The search key lives in
``public.user_secrets`` encrypted with the user's data key, so the database never sees a
note's words, only opaque tokens (it can still see how many distinct terms a note has and
which notes share a term).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
import uuid

import psycopg

from core.crypto import UserCipher

log = logging.getLogger(__name__)

SECRET_NAME = "notes_search"  # noqa: S105 - a row name, not a secret
_WORD = re.compile(r"\w+")
MAX_PREFIX = 20


def search_key(conn: psycopg.Connection, cipher: UserCipher, user_id: uuid.UUID | str) -> bytes:
    """The user's notes search key, created on first use (inside the user's session)."""
    sql = "select value_enc from public.user_secrets where name = %s and user_id = %s"
    row = conn.execute(sql, [SECRET_NAME, str(user_id)]).fetchone()
    if row is None:
        blob = cipher.encrypt(secrets.token_hex(32), SECRET_NAME)
        conn.execute("insert into public.user_secrets (user_id, name, value_enc) values (%s, %s, %s)"
                     " on conflict (user_id, name) do nothing", [str(user_id), SECRET_NAME, blob])
        row = conn.execute(sql, [SECRET_NAME, str(user_id)]).fetchone()
    return bytes.fromhex(cipher.decrypt(row[0], SECRET_NAME) or "")


def _words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return [w for w in _WORD.findall(folded) if len(w) >= 2]


def _token(key: bytes, word: str) -> str:
    return hmac.new(key, b"note|" + word.encode(), hashlib.sha256).hexdigest()[:24]


def note_terms(text: str | None, key: bytes) -> list[str]:
    """Blind-index tokens for a note (empty for no note)."""
    terms: set[str] = set()
    for word in _words(text or ""):
        terms.add(_token(key, word))
        for n in range(3, min(len(word), MAX_PREFIX)):
            terms.add(_token(key, word[:n]))
    return sorted(terms)


def query_terms(text: str, key: bytes) -> list[str]:
    """One token per query word (a word of 20+ characters matches only in full)."""
    return [_token(key, w) for w in _words(text)]

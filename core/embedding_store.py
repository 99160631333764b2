"""The shared embedding cache in the database (``ml_cache.embeddings``).

Implements the ``get_many``/``put_many`` protocol of :class:`ml.embeddings.EmbeddingCache`, so
the app (after a correction) and the job process (bulk categorization) embed each distinct
normalized description once. Keys are SHA-256 of model name and text; vectors are float32 bytes.
Each call is its own short transaction on the login role (not inside a user's session).

:func:`forget_texts` erases the entries of given texts for every model (account deletion: a
vector can be partly inverted to its text, so none may outlive the account);
:func:`embedded_texts` lists what was embedded for a user's descriptions.
"""

from __future__ import annotations

import hashlib
import logging

import numpy as np
import psycopg

from core.db import Database
from ml.text import merchant_key

log = logging.getLogger(__name__)


def cache_key(model: str, text: str) -> bytes:
    """The stored key of ``text``'s embedding by ``model``."""
    return hashlib.sha256(f"{model}\x00{text}".encode()).digest()


def embedded_texts(conn: psycopg.Connection) -> set[str]:
    """The texts the categorizer embeds for the session user's transactions (their merchant
    keys, see :func:`ml.text.merchant_key`); read under RLS, so only that user's."""
    rows = conn.execute("select distinct description from transactions").fetchall()
    return {merchant_key(r[0]) for r in rows}


def forget_texts(db: Database, texts: set[str]) -> int:
    """Delete the cached embeddings of ``texts`` for every model; returns how many rows went."""
    if not texts:
        return 0
    with db.app_session() as conn:
        models = [r[0] for r in conn.execute("select distinct model from ml_cache.embeddings")]
        keys = [cache_key(m, t) for m in models for t in texts]
        deleted = conn.execute("delete from ml_cache.embeddings where key = any(%s)",
                               [keys]).rowcount if keys else 0
    log.info("forgot %d cached embedding(s) of %d text(s)", deleted, len(texts))
    return deleted


class DbEmbeddingCache:
    """Database-backed embedding cache for one model, with a small per-process memo."""

    def __init__(self, db: Database, model: str, *, role: str = "app") -> None:
        self.db = db
        self.model = model
        self.role = role
        self._memo: dict[str, np.ndarray] = {}

    def _key(self, text: str) -> bytes:
        return cache_key(self.model, text)

    def _session(self):
        return self.db.app_session() if self.role == "app" else self.db.job_session()

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        found = {k: self._memo[k] for k in keys if k in self._memo}
        missing = [k for k in keys if k not in found]
        if missing:
            by_hash = {self._key(k): k for k in missing}
            with self._session() as conn:
                rows = conn.execute("select key, vector from ml_cache.embeddings"
                                    " where model = %s and key = any(%s)",
                                    [self.model, list(by_hash)]).fetchall()
            for key, vector in rows:
                vec = np.frombuffer(bytes(vector), dtype=np.float32)
                found[by_hash[bytes(key)]] = vec
                self._memo[by_hash[bytes(key)]] = vec
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        if not items:
            return
        rows = [(self.model, self._key(k), np.asarray(v, dtype=np.float32).tobytes())
                for k, v in items.items()]
        with self._session() as conn:
            with conn.cursor() as cur:
                cur.executemany("insert into ml_cache.embeddings (model, key, vector)"
                                " values (%s, %s, %s) on conflict do nothing", rows)
        self._memo.update({k: np.asarray(v, dtype=np.float32) for k, v in items.items()})
        log.debug("cached %d embedding(s) for %s", len(items), self.model)

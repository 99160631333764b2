"""The shared embedding cache in the database (``ml_cache.embeddings``) and its owners.

Implements the ``get_many``/``put_many`` protocol of :class:`ml.embeddings.EmbeddingCache`, so
every categorization run (in any worker process, for any user) embeds each distinct merchant
key once. Keys are SHA-256 of model name and text; vectors are float32 bytes.
Each call is its own short transaction on the job login role (not inside a user's session);
the app role has no access to the cache.

:func:`record_owners` notes which user's transactions use which entries; deleting an account
deletes its owner rows, and the database then drops every entry nobody else uses (a vector
can be partly inverted to its text, so none may outlive the account). :func:`prune_unowned`
(nightly) drops entries nobody ever recorded.
"""

from __future__ import annotations

import hashlib
import logging

import numpy as np

from core.db import Database

log = logging.getLogger(__name__)


def cache_key(model: str, text: str) -> bytes:
    """The stored key of ``text``'s embedding by ``model``."""
    return hashlib.sha256(f"{model}\x00{text}".encode()).digest()


def record_owners(db: Database, user_id: object, model: str, texts: set[str]) -> None:
    """Note that ``user_id``'s transactions use the embeddings of ``texts`` (by ``model``), in
    ``ml_cache.embedding_owners``: when the last user of an entry deletes their account, the
    database drops the entry (see migration 20261122200000_embedding_erasure)."""
    if not texts:
        return
    keys = [cache_key(model, t) for t in texts]
    with db.job_session() as conn:
        conn.execute("insert into ml_cache.embedding_owners (user_id, model, key)"
                     " select %s, %s, k from unnest(%s::bytea[]) k on conflict do nothing",
                     [str(user_id), model, keys])


def prune_unowned(db: Database, min_age_hours: int = 48) -> int:
    """Drop cached entries no user has recorded for ``min_age_hours`` (nightly); returns how
    many went. An entry in use is embedded again, and recorded, by the next run needing it."""
    with db.job_session() as conn:
        n = int(conn.execute("select private.prune_unowned_embeddings(%s)",
                             [min_age_hours]).fetchone()[0])
    log.info("pruned %d unowned cached embedding(s)", n)
    return n


class DbEmbeddingCache:
    """Database-backed embedding cache for one model, with a small per-process memo."""

    def __init__(self, db: Database, model: str) -> None:
        self.db = db
        self.model = model
        self._memo: dict[str, np.ndarray] = {}

    def _key(self, text: str) -> bytes:
        return cache_key(self.model, text)

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        found = {k: self._memo[k] for k in keys if k in self._memo}
        missing = [k for k in keys if k not in found]
        if missing:
            by_hash = {self._key(k): k for k in missing}
            with self.db.job_session() as conn:
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
        with self.db.job_session() as conn:
            with conn.cursor() as cur:
                cur.executemany("insert into ml_cache.embeddings (model, key, vector)"
                                " values (%s, %s, %s) on conflict do nothing", rows)
        self._memo.update({k: np.asarray(v, dtype=np.float32) for k, v in items.items()})
        log.debug("cached %d embedding(s) for %s", len(items), self.model)

"""The raw statement lines behind imported transactions, encrypted at rest.

An import stores its raw lines once per batch: a JSON array of strings, zlib-compressed and
sealed with the user's data key (AES-GCM, field ``raw_lines``) in ``import_batches.raw_enc``;
each transaction records its position in that array (``transactions.raw_pos``). One
ciphertext per batch instead of one per row keeps the import fast (see the migration
``20261122000000_import_speed``). Transactions imported before that carry their own
``raw_enc`` (field ``raw_line``); :func:`raw_lines_for` reads both kinds.
"""

from __future__ import annotations

import json
import logging
import uuid
import zlib
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg

from core.crypto import DecryptionError, UserCipher

log = logging.getLogger(__name__)

FIELD = "raw_lines"
ROW_FIELD = "raw_line"


def seal_lines(cipher: UserCipher, lines: Sequence[str | None]) -> bytes:
    """Encrypt ``lines`` (``None`` kept as null) as one blob."""
    packed = json.dumps(list(lines), ensure_ascii=False, separators=(",", ":")).encode()
    return cipher.encrypt_bytes(zlib.compress(packed, 1), FIELD)


def open_lines(cipher: UserCipher, blob: bytes | memoryview) -> list[str | None]:
    """The lines sealed by :func:`seal_lines`; raises ``DecryptionError`` for a wrong key."""
    try:
        packed = zlib.decompress(cipher.decrypt_bytes(blob, FIELD))
    except zlib.error as exc:
        raise DecryptionError("raw lines do not decompress") from exc
    lines = json.loads(packed)
    if not isinstance(lines, list):
        raise DecryptionError("raw lines are not a list")
    return lines


def store_batch_lines(conn: psycopg.Connection, batch_id: Any, sealed: bytes) -> None:
    """Save a batch's sealed raw lines (from :func:`seal_lines`; position ``i`` is
    ``transactions.raw_pos`` ``i``)."""
    conn.execute("update public.import_batches set raw_enc = %s where id = %s", [sealed, batch_id])


def raw_lines_for(conn: psycopg.Connection, cipher: UserCipher, transaction_ids: Iterable[Any],
                  unreadable: str | None = None) -> dict[uuid.UUID, str | None]:
    """Transaction id -> its raw statement line, for the transactions this session can see:
    ``None`` if none was kept, ``unreadable`` if one was kept but cannot be decrypted."""
    ids = [str(i) for i in transaction_ids]
    if not ids:
        return {}
    rows = conn.execute("""
        select t.id, t.raw_enc, t.raw_pos, t.batch_id from public.transactions t
        where t.id = any(%s::uuid[])""", [ids]).fetchall()
    batches = {r[3] for r in rows if r[1] is None and r[2] is not None and r[3] is not None}
    blobs = dict(conn.execute("select id, raw_enc from public.import_batches where id = any(%s)"
                              " and raw_enc is not null", [list(batches)]).fetchall()) if batches else {}
    opened: dict[Any, list[str | None]] = {}
    out: dict[uuid.UUID, str | None] = {}
    for tx_id, own, pos, batch in rows:
        out[tx_id] = None
        try:
            if own is not None:
                out[tx_id] = cipher.decrypt(own, ROW_FIELD)
            elif pos is not None and batch in blobs:
                if batch not in opened:
                    opened[batch] = open_lines(cipher, blobs[batch])
                lines = opened[batch]
                out[tx_id] = lines[pos] if pos < len(lines) else unreadable
        except DecryptionError:
            log.warning("raw line of transaction %s does not decrypt with this user's key", tx_id)
            out[tx_id] = unreadable
            if own is None:  # the batch's blob failed: do not try it again for its other rows
                opened[batch] = []
    return out

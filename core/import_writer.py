"""Build the rows of an import (rules applied) and write them fast.

PostgreSQL refuses ``COPY FROM`` into a table with row-level security, so rows are COPYed
in binary format into a transaction-scoped temporary table and moved with one
``INSERT ... SELECT``, which RLS still checks row by row (see :func:`insert_rows`). Rows are
built in chunks of ``CHUNK`` so that building and writing overlap.
"""

from __future__ import annotations

import io
import itertools
import logging
import os
import queue
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql
from psycopg.copy import Copy, FileWriter

from core.dedupe import CENT
from core.importing import ParsedTransaction
from core.rules import Compiled, RowView, evaluate

log = logging.getLogger(__name__)

# column -> binary COPY type (currency goes through text: there is no binary dumper for char(n))
COLUMNS: dict[str, str] = {
    "id": "uuid", "user_id": "uuid", "account_id": "uuid", "batch_id": "uuid", "date": "date",
    "amount": "numeric", "currency": "text", "description": "text", "payee": "text", "merchant": "text",
    "external_id": "text", "balance": "numeric", "pending": "bool", "category_id": "uuid",
    "category_source": "text", "category_confidence": "float4", "category_explanation": "text",
    "is_transfer": "bool", "excluded": "bool", "tags": "text[]", "raw_pos": "int4", "dedupe_key": "text",
}
_ISO = re.compile(r"^[A-Z]{3}$")
_KEY = list(COLUMNS).index("dedupe_key")
CHUNK = 10_000
FIRST_CHUNK = 2_000  # the database starts on these while the next chunk is built
SWITCH_INTERVAL = 0.0002  # seconds, while an import's writer thread runs


def time_ordered_ids() -> Callable[[], uuid.UUID]:
    """Ids in UUIDv7 layout (RFC 9562: 48-bit Unix milliseconds, version 7, variant, then a
    random 59-bit start that counts up), increasing within one import: new rows go to the
    right edge of the primary-key index instead of onto random pages, so a bulk insert dirties
    (and logs after a checkpoint) a few pages rather than every page of a large index. Ids are
    not secrets: row-level security guards the rows."""
    base = (time.time_ns() // 1_000_000) << 80 | 0x7 << 76 | 0b10 << 62
    counter = itertools.count(int.from_bytes(os.urandom(8)) >> 5)
    new, assign, safe = object.__new__, object.__setattr__, uuid.SafeUUID.unknown

    def next_id() -> uuid.UUID:  # uuid.UUID(int=...) validates; this is 4x faster
        value = new(uuid.UUID)
        assign(value, "int", base | next(counter))
        assign(value, "is_safe", safe)
        return value

    return next_id


@dataclass
class NewRows:
    """What :func:`build_rows` produced: one tuple per row in ``COLUMNS`` order, plus counts."""

    rows: list[tuple] = field(default_factory=list)
    rule_matches: int = 0


def build_rows(txns: Sequence[ParsedTransaction], indexes: Iterable[int], keys: Sequence[str], *,
               user_id: Any, account_id: uuid.UUID, account_currency: str, batch_id: uuid.UUID,
               rules: Sequence[Compiled], first_pos: int = 0,
               next_id: Callable[[], uuid.UUID] | None = None) -> NewRows:
    """Rows for the transactions at ``indexes``: rules decide category, merchant, tags,
    transfer and exclusion; rows no rule categorized keep ``category_source`` null. The n-th
    row gets ``raw_pos`` ``first_pos + n``: its place in the batch's raw lines
    (:mod:`core.import_raw`)."""
    out = NewRows()
    uid, account = uuid.UUID(str(user_id)), str(account_id)
    next_id = next_id or time_ordered_ids()
    for pos, i in enumerate(indexes, first_pos):
        t = txns[i]
        cat = source = conf = expl = None
        merchant, tags, transfer, excluded = t.merchant, [], False, False
        if rules:
            decided = evaluate(rules, RowView(t.description, t.merchant or "", t.payee or "", t.amount,
                                              account, t.date))
            if decided.matched:
                out.rule_matches += 1
                if decided.category_by is not None:
                    cat, source, conf = uuid.UUID(decided.category_by.category_id), "rule", 1.0
                    expl = f"Rule: {decided.category_by.rule.name}"
                merchant = decided.merchant or merchant
                tags = list(dict.fromkeys(tag for tag, _ in decided.tags))
                transfer, excluded = bool(decided.transfer_by), bool(decided.exclude_by)
        currency = (t.currency or account_currency).upper()
        out.rows.append((
            next_id(), uid, account_id, batch_id, t.date, t.amount.quantize(CENT),
            currency if _ISO.match(currency) else account_currency, t.description, t.payee, merchant,
            t.external_id, None if t.balance is None else t.balance.quantize(CENT), t.pending, cat, source,
            conf, expl, transfer, excluded, tags, pos, keys[i]))
    return out


def _stage(conn: psycopg.Connection) -> tuple[sql.Composed, sql.Composed]:
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in COLUMNS)
    select = sql.SQL(", ").join(
        sql.SQL("{}::text").format(sql.Identifier(c)) if c == "currency" else sql.Identifier(c)
        for c in COLUMNS)
    conn.execute(sql.SQL("create temp table if not exists _import_stage on commit drop as"
                         " select {} from public.transactions with no data").format(select))
    insert = sql.SQL("insert into public.transactions ({}) select {} from _import_stage").format(cols, cols)
    return cols, insert


@dataclass
class Payload:
    """One chunk as binary COPY data, encoded before it is sent, plus its dedupe keys."""

    data: bytes
    keys: list[str]


def encode_rows(conn: psycopg.Connection, rows: Sequence[tuple]) -> Payload:
    """Binary COPY data for ``rows`` (``COLUMNS`` order), built without touching the server
    (psycopg's ``FileWriter``), so that the caller's thread can encode the next chunk while
    the writer thread's connection waits for the database."""
    buf = io.BytesIO()
    with conn.cursor() as cur, Copy(cur, binary=True, writer=FileWriter(buf)) as copy:
        copy.set_types(list(COLUMNS.values()))
        for row in rows:
            copy.write_row(row)
    return Payload(buf.getvalue(), [r[_KEY] for r in rows])


def _insert_chunk(conn: psycopg.Connection, payload: Payload, cols: sql.Composed,
                  insert: sql.Composed) -> set[str]:
    conn.execute("truncate _import_stage")
    with conn.cursor() as cur, cur.copy(sql.SQL("copy _import_stage ({}) from stdin (format binary)")
                                        .format(cols)) as copy:
        copy.write(payload.data)
    try:
        with conn.transaction():
            conn.execute(insert)
        return set(payload.keys)
    except psycopg.errors.UniqueViolation:
        log.warning("a concurrent change took some dedupe keys; inserting the others")
    cur = conn.execute(insert + sql.SQL(" on conflict (user_id, account_id, dedupe_key) do nothing"
                                        " returning dedupe_key"))
    return {r[0] for r in cur.fetchall()}


def insert_rows(conn: psycopg.Connection, chunks: Iterable[Sequence[tuple]]) -> set[str]:
    """Insert the row chunks (``COLUMNS`` order); returns the dedupe keys actually inserted.

    Chunks are encoded as binary COPY data in the caller's thread and written by a background
    thread on ``conn`` while the caller's iterator builds and encodes the next one (Python
    work on one core, the server's inserts on another); the caller must not use ``conn``
    until this returns (progress is best reported by the iterator, which runs in the
    caller's thread). Each chunk is COPYed into a temporary table and moved with one
    INSERT. The importer holds the account's advisory lock and has removed every known
    duplicate, so a plain INSERT is tried first (cheaper than ``ON CONFLICT``); if a row
    written outside the importer holds one of the keys, that chunk is redone with ``ON
    CONFLICT DO NOTHING`` and the row is left out. The GIN pending list limit is raised for
    this transaction so the full-text index takes the rows as one pending list (merged later
    by autovacuum) instead of merging many times.
    """
    cols, insert = _stage(conn)
    conn.execute("set local gin_pending_list_limit = '64MB'")
    work: queue.Queue[Payload | None] = queue.Queue(maxsize=1)
    inserted: set[str] = set()
    errors: list[BaseException] = []

    def writer() -> None:
        while (payload := work.get()) is not None:
            if errors:
                continue
            try:
                inserted.update(_insert_chunk(conn, payload, cols, insert))
            except BaseException as exc:  # re-raised in the caller's thread
                errors.append(exc)

    thread = threading.Thread(target=writer, name="import-writer", daemon=True)
    switch = sys.getswitchinterval()
    # The writer needs the GIL briefly for every block it sends; at the default 5 ms switch
    # interval it would wait that long behind this thread's row building each time.
    sys.setswitchinterval(min(switch, SWITCH_INTERVAL))
    thread.start()
    try:
        for rows in chunks:
            if errors:
                break
            if rows:
                work.put(encode_rows(conn, rows))
    finally:
        work.put(None)
        thread.join()
        sys.setswitchinterval(switch)
    if errors:
        raise errors[0]
    return inserted

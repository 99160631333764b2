"""A delimited file's layout, for the mapping step: its columns and a stable signature.

The signature identifies "the same kind of export" independently of its rows: the format,
the delimiter and the normalized header names (or the column count of a headerless file).
A mapping the user confirmed is remembered per account and signature
(``public.import_mappings``) and reused for the next file with that layout. Only the first
256 KB are read, so this is cheap for large files. Self-describing formats (OFX, QIF, MT940,
camt) have no layout: :func:`describe_layout` returns ``None`` for them.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import psycopg

from core.importing.csv_layout import choose_delimiter, find_layout
from core.importing.detect import detect_format, looks_binary
from core.importing.encoding import decode_bytes

log = logging.getLogger(__name__)

HEAD_BYTES = 256 * 1024
ROLES = ("date", "amount", "debit", "credit", "description", "payee", "balance", "reference",
         "currency", "flag", "status", "external_id")


@dataclass(frozen=True)
class FileLayout:
    """``columns``: header names, or ``"0"``, ``"1"`` ... for a headerless file (the names
    ``parse_statement``'s ``mapping`` accepts); ``sample``: the first data rows' cells."""

    signature: str
    delimiter: str
    columns: list[str]
    has_header: bool
    sample: list[list[str]]


def describe_layout(data: bytes, filename: str) -> FileLayout | None:
    """The layout of a delimited export, or ``None`` (another format, or not a table)."""
    if not data or looks_binary(data):
        return None
    head = data[:HEAD_BYTES]
    if len(data) > HEAD_BYTES and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    text, _, _ = decode_bytes(head)
    if detect_format(text, filename) != "csv":
        return None
    delimiter = choose_delimiter(text)
    if delimiter is None:
        return None
    layout = find_layout(text, delimiter)
    if not layout.rows:
        return None
    if layout.header:
        columns = [c or str(i) for i, c in enumerate(layout.header)]
        shape = "|".join(" ".join(c.casefold().split()) for c in layout.header)
    else:
        columns = [str(i) for i in range(layout.width)]
        shape = f"headerless:{layout.width}"
    digest = hashlib.sha256(f"csv|{delimiter}|{shape}".encode()).hexdigest()[:32]
    sample = [list(r.cells) for r in layout.rows[:5]]
    return FileLayout(f"csv:{digest}", delimiter, columns, bool(layout.header), sample)


@dataclass(frozen=True)
class SavedMapping:
    mapping: dict[str, str]
    date_order: str | None


def remembered_mapping(conn: psycopg.Connection, account_id: Any, signature: str) -> SavedMapping | None:
    """The mapping the user confirmed for this account and layout, if any."""
    row = conn.execute("select mapping, date_order from public.import_mappings"
                       " where account_id = %s and layout_signature = %s",
                       [account_id, signature]).fetchone()
    return SavedMapping(dict(row[0]), row[1]) if row else None


def remember_mapping(conn: psycopg.Connection, account_id: Any, layout: FileLayout,
                     mapping: dict[str, str], date_order: str | None) -> None:
    """Store (or replace) the confirmed mapping for this account and layout."""
    # "" means "the file has no such column" and is remembered as such
    clean = {k: v for k, v in mapping.items() if v is not None and (k in ROLES or k == "sign")}
    conn.execute("""
        insert into public.import_mappings (account_id, layout_signature, mapping, date_order, columns)
        values (%s, %s, %s, %s, %s)
        on conflict (user_id, account_id, layout_signature)
        do update set mapping = excluded.mapping, date_order = excluded.date_order,
                      columns = excluded.columns""",
                 [account_id, layout.signature, json.dumps(clean), date_order, layout.columns])
    log.info("remembered mapping for layout %s", layout.signature)

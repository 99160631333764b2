"""The upload page's import flow, without any UI: analyze a file, confirm, import.

:func:`analyze_upload` parses the file for an account, reusing the mapping the user
confirmed earlier for this account and file layout; it says whether the user should check
the column mapping first (a delimited file detected with confidence below
:data:`CONFIRM_BELOW` and no remembered mapping), and turns a parse failure into the
parser's message (file, line, field, what was expected). :func:`import_upload` imports the
analyzed file and remembers a mapping the user confirmed; a database error becomes
:class:`~core.importer.ImportFailed` (the whole import is rolled back). :func:`undo_choices`
says which imports an undo can act on, each with an unambiguous label.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import psycopg

from core.identity import AuthUser
from core.import_layout import FileLayout, describe_layout, remember_mapping, remembered_mapping
from core.importer import ImportFailed, ImportSummary, Progress, import_parsed
from core.importing import ParseResult, StatementParseError, parse_statement, to_json_records
from core.preferences import base_currency
from core.transaction_rows import cipher_for

log = logging.getLogger(__name__)

CONFIRM_BELOW = 0.8


@dataclass
class Upload:
    """An analyzed file. ``mapping_source``: ``detected``, ``remembered`` or ``yours``."""

    filename: str
    data: bytes
    layout: FileLayout | None
    result: ParseResult | None = None
    error: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    date_order: str | None = None
    mapping_source: str = "detected"
    needs_confirmation: bool = False
    file_currency: str | None = None  # the currency the file itself states, if any

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def preview(self, n: int = 10) -> list[dict[str, Any]]:
        """The first ``n`` normalized transactions, as the CLI's ``--dry-run --json`` shows them."""
        if self.result is None:
            return []
        head = ParseResult(self.result.filename, self.result.file_format, self.result.transactions[:n])
        return to_json_records(head)


def analyze_upload(conn: psycopg.Connection, data: bytes, filename: str, account_id: Any, *,
                   mapping: dict[str, str] | None = None, date_order: str | None = None,
                   currency: str | None = None) -> Upload:
    """Parse ``data`` for ``account_id`` (no writes). ``mapping``/``date_order`` are the
    user's choices; without them a remembered mapping for this layout is used if any.
    ``currency`` fills rows without one when there is no account yet (a new account); without
    it they get the user's base currency, which a new account also takes unless the file
    states its own (``Upload.file_currency``)."""
    layout = describe_layout(data, filename)
    upload = Upload(filename, data, layout, date_order=date_order)
    if mapping:
        upload.mapping, upload.mapping_source = dict(mapping), "yours"
    elif layout is not None and account_id is not None:
        saved = remembered_mapping(conn, account_id, layout.signature)
        if saved:
            upload.mapping, upload.date_order = saved.mapping, saved.date_order
            upload.mapping_source = "remembered"
    if account_id is not None:
        row = conn.execute("select currency from public.accounts where id = %s", [account_id]).fetchone()
        currency = row[0] if row else None
    try:
        upload.result = parse_statement(data, filename, mapping=upload.mapping or None,
                                        date_order=upload.date_order, default_currency=currency)
    except StatementParseError as exc:
        upload.error = str(exc)
        upload.needs_confirmation = layout is not None
        return upload
    if account_id is None and currency is None:
        upload.file_currency = upload.result.currency
        if upload.file_currency is None:  # what the new account (and so its rows) will get
            fill = base_currency(conn)
            upload.result.currency = fill
            for txn in upload.result.transactions:
                txn.currency = txn.currency or fill
    if upload.mapping_source == "detected" and upload.result.column_mapping:
        upload.mapping = dict(upload.result.column_mapping)
    confidence = upload.result.mapping_confidence
    upload.needs_confirmation = (layout is not None and upload.mapping_source == "detected"
                                 and confidence is not None and confidence < CONFIRM_BELOW)
    return upload


def import_upload(conn: psycopg.Connection, user: AuthUser, upload: Upload, account_id: Any, *,
                  progress: Progress | None = None) -> ImportSummary:
    """Import an analyzed file into ``account_id``; a mapping the user chose is remembered
    for this account and layout (in the same transaction as the import)."""
    if upload.result is None:
        raise StatementParseError(upload.filename, detail=upload.error or "the file was not read")
    cipher = cipher_for(conn, user.id)
    try:
        summary = import_parsed(conn, user, cipher, account_id, upload.result, file_sha256=upload.sha256,
                                progress=progress)
    except psycopg.Error as exc:  # the transaction rolls back: nothing of the file is kept
        log.exception("import of %s failed in the database", upload.filename)
        raise ImportFailed(f"the database refused the data ({exc.diag.message_primary or exc})") from exc
    if upload.mapping_source == "yours" and upload.layout is not None:
        remember_mapping(conn, account_id, upload.layout, upload.mapping, upload.date_order)
    return summary


def undo_choices(batches: list[dict[str, Any]]) -> dict[str, str]:
    """``{batch id: label}`` for the batches of ``batches`` (as
    :func:`~core.importer.list_batches` returns them, newest first) that an undo can act on:
    completed and with at least one imported row; a batch that added nothing (a re-import)
    or was undone already has nothing to undo. The label names the file, the time of the
    import (UTC, to the second), the rows and the account, e.g.
    ``test.qif · 2024-05-01 09:12:03 UTC · 6 rows · Checking``."""
    choices: dict[str, str] = {}
    for b in batches:
        if b["status"] != "completed" or not b["imported"]:
            continue
        when = b["created_at"].astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        label = (f"{b['filename']} · {when} · {b['imported']:,} row{'s' if b['imported'] != 1 else ''}"
                 f" · {b['account'] or 'deleted account'}")
        if label in choices.values():  # same file, account and second: tell them apart
            label += f" · batch {str(b['id'])[:8]}"
        choices[str(b["id"])] = label
    return choices

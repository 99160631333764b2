"""Privacy rights: export everything a user owns, and delete the account for good.

**Export** (:func:`export_user_data`): every table in the exposed schema with a ``user_id``
column is discovered from the catalog at run time (so tables added later are included without
touching this module) and read inside the user's own RLS session, filtered on their id as
well. Each table becomes ``csv/<table>.csv`` and ``json/<table>.json`` in a ZIP, with a
``manifest.json``. Encrypted fields are decrypted with the user's data key into a plain column
(``notes_enc`` -> ``notes``); key material (the wrapped data key, per-user secrets) is withheld.
The export is audited (``data_export``) in the same transaction.

**Deletion** (:func:`delete_account`): ``private.delete_my_account`` deletes, in one
transaction, every row with the user's id in the schemas ``public``, ``private``, ``pipeline``
and ``analytics``, the user's queued jobs, the wrapped data key (so any copy of their encrypted
fields, e.g. in a backup, can no longer be decrypted), the user's own audit entries and the auth
user, and appends one ``account_deleted`` entry holding only the (now meaningless) id, row
counts and whether a key was destroyed. Audit entries where the user only acted on *another*
account (an admin changing someone's role) stay: they belong to that other account's trail.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import logging
import uuid
import zipfile
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from core import audit
from core.crypto import DecryptionError, KeyProvider, UserCipher, user_cipher
from core.db import Database
from core.identity import AuthUser
from core.import_raw import raw_lines_for

log = logging.getLogger(__name__)

EXPORT_SCHEMA = "public"
# encrypted column -> (plain column, the field name it was encrypted under)
ENCRYPTED_FIELDS: dict[tuple[str, str], tuple[str, str]] = {
    ("accounts", "account_number_enc"): ("account_number", "account_number"),
    ("transactions", "notes_enc"): ("notes", "notes"),
    ("transactions", "raw_enc"): ("raw_line", "raw_line"),
}
# key material: useless to the user and never to leave the database in the clear
WITHHELD = {("user_keys", "wrapped_key"), ("user_secrets", "value_enc")}
WITHHELD_TEXT = "[withheld: key material]"
# one sealed blob of raw lines per import batch: exported per transaction as ``raw_line``
BATCH_RAW = ("import_batches", "raw_enc")
BATCH_RAW_TEXT = "[raw lines: see raw_line in transactions]"


class DeletionRefused(Exception):
    """The account was not deleted; ``str(exc)`` says why and is safe to show."""


def owned_tables(conn: psycopg.Connection) -> list[str]:
    """Tables of the exposed schema with a ``user_id`` column that this session may read."""
    rows = conn.execute("""
        select c.relname from pg_catalog.pg_class c
        join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attname = 'user_id'
             and not a.attisdropped
        where n.nspname = %s and c.relkind in ('r', 'p')
          and has_table_privilege(c.oid, 'select')
        order by c.relname""", [EXPORT_SCHEMA]).fetchall()
    return [r[0] for r in rows]


def _plain(value: Any) -> Any:
    """A JSON/CSV-friendly value."""
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _plain_name(table: str, column: str) -> str:
    """The export's name for an encrypted column (``notes_enc`` -> ``notes``)."""
    if (table, column) in ENCRYPTED_FIELDS:
        return ENCRYPTED_FIELDS[(table, column)][0]
    return column if (table, column) in WITHHELD else column.removesuffix("_enc")


def _decrypt(cipher: UserCipher | None, table: str, column: str, blob: Any) -> str | None:
    if blob is None:
        return None
    if (table, column) in WITHHELD:
        return WITHHELD_TEXT
    if (table, column) == BATCH_RAW:
        return BATCH_RAW_TEXT
    _, field = ENCRYPTED_FIELDS.get((table, column), (column, column.removesuffix("_enc")))
    if cipher is None:
        return "[encrypted]"
    try:
        return cipher.decrypt(bytes(blob), field)
    except DecryptionError:
        return "[encrypted]"


def _table_records(conn: psycopg.Connection, table: str, user: AuthUser,
                   cipher: UserCipher | None) -> tuple[list[str], list[dict[str, Any]]]:
    cur = conn.execute(sql.SQL("select * from {} where user_id = %s order by 1").format(
        sql.Identifier(EXPORT_SCHEMA, table)), [str(user.id)])
    names = [d.name for d in cur.description or []]
    binary = {d.name for d in cur.description or [] if d.type_code == 17}  # bytea
    out_names = [_plain_name(table, n) if n in binary else n for n in names]
    records = []
    for row in cur.fetchall():
        rec = {}
        for name, out, value in zip(names, out_names, row, strict=True):
            rec[out] = _decrypt(cipher, table, name, value) if name in binary else _plain(value)
        records.append(rec)
    if table == "transactions" and cipher is not None:
        _batch_raw_lines(conn, cipher, records)
    return out_names, records


def _batch_raw_lines(conn: psycopg.Connection, cipher: UserCipher, records: list[dict[str, Any]]) -> None:
    """Fill ``raw_line`` of rows whose raw line lives in their import batch's blob."""
    missing = [r for r in records if r.get("raw_line") is None and r.get("raw_pos") is not None]
    if not missing:
        return
    lines = raw_lines_for(conn, cipher, [r["id"] for r in missing], unreadable="[encrypted]")
    for rec in missing:
        rec["raw_line"] = lines.get(uuid.UUID(rec["id"]))


def _csv(columns: list[str], records: list[dict[str, Any]]) -> str:
    frame = pd.DataFrame(records, columns=columns)
    for col in frame.columns:
        frame[col] = frame[col].map(lambda v: json.dumps(v, ensure_ascii=False)
                                    if isinstance(v, list | dict) else v)
    return frame.to_csv(index=False)


def export_user_data(db: Database, user: AuthUser, provider: KeyProvider | None = None) -> bytes:
    """A ZIP (CSV + JSON per table, plus ``manifest.json``) of everything ``user`` owns."""
    if provider is None:
        from core.admin_ops import keyring
        from core.config import get_settings

        provider = keyring(get_settings())
    buf = io.BytesIO()
    counts: dict[str, int] = {}
    with db.user_session(user) as conn:
        has_key = conn.execute("select exists (select 1 from public.user_keys where user_id = %s)",
                               [str(user.id)]).fetchone()[0]
        # no key yet means nothing was ever encrypted: do not create one just to export
        cipher = user_cipher(conn, user.id, provider) if has_key else None
        tables = owned_tables(conn)
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            for table in tables:
                columns, records = _table_records(conn, table, user, cipher)
                counts[table] = len(records)
                zf.writestr(f"csv/{table}.csv", _csv(columns, records))
                zf.writestr(f"json/{table}.json",
                            json.dumps(records, ensure_ascii=False, indent=1, default=str))
            manifest = {
                "user_id": str(user.id), "email": user.email,
                "exported_at": dt.datetime.now(dt.UTC).isoformat(),
                "tables": counts,
                "notes": "One CSV and one JSON file per table. Encrypted fields are decrypted; "
                         "key material is withheld. Amounts are signed (negative = money out).",
            }
            zf.writestr("manifest.json", json.dumps(manifest, indent=1))
        audit.record(conn, user, "data_export",
                     {"tables": len(tables), "rows": sum(counts.values())})
    log.info("exported %d table(s), %d row(s) for %s", len(counts), sum(counts.values()), user.id)
    return buf.getvalue()


def delete_account(db: Database, user: AuthUser, confirmation: str) -> dict[str, Any]:
    """Delete ``user``'s account and all their data; ``confirmation`` must be their email.

    Raises :class:`DeletionRefused` (nothing deleted) when the confirmation does not match or
    the user is the last admin. Returns ``{"rows_deleted", "tables", "key_destroyed"}``."""
    if confirmation.strip().lower() != user.email.strip().lower():
        raise DeletionRefused("Type your email address exactly to confirm.")
    try:
        with db.user_session(user) as conn:
            result = conn.execute("select private.delete_my_account(%s)", [confirmation]).fetchone()[0]
    except (psycopg.errors.InvalidParameterValue, psycopg.errors.CheckViolation) as exc:
        raise DeletionRefused(exc.diag.message_primary or "Deletion refused.") from exc
    log.info("account %s deleted (%s)", user.id, result)
    return dict(result)

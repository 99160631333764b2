"""One transaction row of the table: its notes, tags and exclusion, its split label, and
the user's decision on a possible duplicate, all in SQL under the user's RLS.

* :func:`cipher_for`: the user's field cipher (notes are encrypted).
* :func:`set_notes` / :func:`read_notes` / :func:`set_tags` / :func:`set_excluded`: per-row
  edits (the table's cell edits are checked against what it showed first,
  :mod:`core.table_edits`); :func:`save_details`: Row details' tags and exclusion in one
  save, returning what it changed for the table's Undo.
* :func:`split_label`: a split row's Category cell, from its parts (``split_parts``).
* :func:`possible_duplicates` / :func:`resolve_duplicate`: the user's decision on a row the
  import flagged. "delete" removes the new row and remembers its dedupe key as an alias of
  the kept one, so re-importing that file does not bring it back.

The table's search, filters and totals are in :mod:`core.transactions_search`.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg

from core.admin_ops import keyring
from core.config import get_settings
from core.crypto import DecryptionError, UserCipher, user_cipher
from core.notes_index import note_terms, search_key
from core.undo import Change, tracked_fields
from core.undo_rows import DETAILS

log = logging.getLogger(__name__)

MAX_NOTE = 2000
MAX_TAG, MAX_TAGS = 40, 20
"""Characters per tag, tags per transaction (the table's tag editor and bulk tagging)."""


def cipher_for(conn: psycopg.Connection, user_id: Any) -> UserCipher:
    """The user's field cipher with this installation's key provider."""
    return user_cipher(conn, user_id, keyring(get_settings()))


def split_label(parts: list[str]) -> str:
    """The table's Category cell of a split transaction: "Split: Groceries -60.00, Household -21.99"."""
    return "Split: " + ", ".join(parts)


def decrypt_note(cipher: UserCipher, blob: Any) -> str:
    try:
        return cipher.decrypt(blob, "notes") or ""
    except DecryptionError:
        return "(note cannot be decrypted)"


def clean_note(text: str | None) -> str:
    """A note as it is stored: trimmed, at most :data:`MAX_NOTE` characters ("" for none)."""
    return (text or "").strip()[:MAX_NOTE]


def set_notes(conn: psycopg.Connection, cipher: UserCipher, user_id: Any, tx_id: Any,
              text: str | None) -> None:
    """Store a note encrypted, with its blind index; an empty note removes it."""
    text = clean_note(text) or None
    key = search_key(conn, cipher, user_id)
    conn.execute("update public.transactions set notes_enc = %s, notes_terms = %s where id = %s",
                 [cipher.encrypt(text, "notes"), note_terms(text, key), tx_id])


def read_notes(conn: psycopg.Connection, cipher: UserCipher, tx_id: Any) -> str:
    row = conn.execute("select notes_enc from public.transactions where id = %s", [tx_id]).fetchone()
    return decrypt_note(cipher, row[0]) if row and row[0] else ""


def set_tags(conn: psycopg.Connection, tx_id: Any, tags: list[str]) -> list[str]:
    """Replace a transaction's tags (trimmed, at most :data:`MAX_TAG` characters each,
    :data:`MAX_TAGS` tags, no repeats)."""
    clean = list(dict.fromkeys(t.strip()[:MAX_TAG] for t in tags if t and t.strip()))[:MAX_TAGS]
    conn.execute("update public.transactions set tags = %s where id = %s", [clean, tx_id])
    return clean


def set_excluded(conn: psycopg.Connection, tx_id: Any, excluded: bool) -> None:
    conn.execute("update public.transactions set excluded = %s where id = %s", [excluded, tx_id])


def save_details(conn: psycopg.Connection, tx_id: Any, tags: list[str],
                 excluded: bool) -> Change | None:
    """Row details' save: the transaction's tags (as :func:`set_tags`) and exclusion; what it
    changed, for its undo (``None``: both were as saved already)."""
    def write() -> None:
        set_tags(conn, tx_id, tags)
        set_excluded(conn, tx_id, excluded)
    return tracked_fields(conn, [tx_id], DETAILS, write)


def possible_duplicates(conn: psycopg.Connection, limit: int = 100) -> list[dict[str, Any]]:
    """Rows flagged by an import, side by side with the row they may duplicate."""
    rows = conn.execute("""
        select t.id, t.date, t.amount, t.currency, t.description, t.duplicate_reason, a.name,
               o.id, o.date, o.description, ob.filename
        from public.transactions t
        join public.accounts a on a.id = t.account_id
        join public.transactions o on o.id = t.possible_duplicate_of
        left join public.import_batches ob on ob.id = o.batch_id
        where t.possible_duplicate_of is not null
        order by t.date desc, t.id limit %s""", [limit]).fetchall()
    names = ["id", "date", "amount", "currency", "description", "reason", "account", "original_id",
             "original_date", "original_description", "original_file"]
    return [dict(zip(names, r, strict=True)) for r in rows]


def resolve_duplicate(conn: psycopg.Connection, tx_id: Any, action: str) -> None:
    """``keep``: both rows stay, the flag goes; ``delete``: the flagged row goes."""
    if action not in ("keep", "delete"):
        raise ValueError("action must be 'keep' or 'delete'")
    row = conn.execute("select possible_duplicate_of, dedupe_key from public.transactions where id = %s",
                       [tx_id]).fetchone()
    if row is None:
        raise ValueError("this transaction no longer exists")
    if action == "keep":
        conn.execute("update public.transactions set possible_duplicate_of = null, duplicate_reason = null"
                     " where id = %s", [tx_id])
        return
    if row[0] is not None:
        conn.execute("update public.transactions set dedupe_aliases = array_append(dedupe_aliases, %s)"
                     " where id = %s", [row[1], row[0]])
    conn.execute("delete from public.transactions where id = %s", [tx_id])

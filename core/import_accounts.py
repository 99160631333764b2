"""Which account a statement goes into: by name, by the account number in the file, or new.

Account numbers are stored encrypted (``accounts.account_number_enc``), so a file's account
hint (IBAN or number) is matched by decrypting the user's few account numbers in the app
and comparing them without spaces, dashes or case.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import psycopg

from core.crypto import DecryptionError, UserCipher
from core.currency import normalize_code
from core.preferences import base_currency

log = logging.getLogger(__name__)

KINDS = ("checking", "savings", "credit", "cash", "investment", "loan")
_SQUASH = re.compile(r"[\s/.\-]+")


def list_accounts(conn: psycopg.Connection) -> list[dict[str, Any]]:
    rows = conn.execute("select id, name, kind, currency from public.accounts"
                        " order by lower(name)").fetchall()
    return [{"id": r[0], "name": r[1], "kind": r[2], "currency": r[3]} for r in rows]


def _norm(number: str) -> str:
    return _SQUASH.sub("", number).upper()


def match_account(conn: psycopg.Connection, cipher: UserCipher, hint: str | None) -> uuid.UUID | None:
    """The account whose stored number equals ``hint`` (ignoring spaces and punctuation)."""
    if not hint or len(_norm(hint)) < 4:
        return None
    want = _norm(hint)
    for acc_id, blob in conn.execute("select id, account_number_enc from public.accounts"
                                     " where account_number_enc is not null"):
        try:
            number = cipher.decrypt(blob, "account_number") or ""
        except DecryptionError:
            log.warning("account %s: number does not decrypt", acc_id)
            continue
        if _norm(number) == want:
            return acc_id
    return None


def create_account(conn: psycopg.Connection, cipher: UserCipher, name: str, *, kind: str = "checking",
                   currency: str | None = None, number: str | None = None) -> uuid.UUID:
    """A new account (currency: the given one, else the user's base currency). The user's
    first account also sets their base currency (Settings can change it later)."""
    name = " ".join(name.split())[:120]
    if not name:
        raise ValueError("an account needs a name")
    if kind not in KINDS:
        raise ValueError(f"account kind must be one of {', '.join(KINDS)}")
    first = conn.execute("select not exists (select 1 from public.accounts)").fetchone()[0]
    currency = normalize_code(currency or base_currency(conn))
    if first:  # a new user's totals are written in the currency of their first account
        conn.execute("update public.profiles set base_currency = %s", [currency])
    row = conn.execute(
        "insert into public.accounts (name, kind, currency, account_number_enc) values (%s, %s, %s, %s)"
        " returning id",
        [name, kind, currency, cipher.encrypt(number, "account_number") if number else None],
    ).fetchone()
    log.info("account %s created", row[0])
    return row[0]


def account_for_file(conn: psycopg.Connection, cipher: UserCipher, *, name: str | None = None,
                     hint: str | None = None, currency: str | None = None) -> uuid.UUID:
    """Find the account by ``name`` (created if missing), else by the file's account number
    ``hint``, else create one named after the number (or "Imported")."""
    if name and name.strip():
        row = conn.execute("select id from public.accounts where lower(name) = lower(%s)",
                           [" ".join(name.split())]).fetchone()
        if row:
            return row[0]
        return create_account(conn, cipher, name, currency=currency, number=hint)
    found = match_account(conn, cipher, hint)
    if found:
        return found
    label = f"Account …{_norm(hint)[-4:]}" if hint and len(_norm(hint)) >= 4 else "Imported"
    row = conn.execute("select id from public.accounts where name = %s", [label]).fetchone()
    if row:
        return row[0]
    return create_account(conn, cipher, label, currency=currency, number=hint)

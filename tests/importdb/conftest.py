"""Fixtures for the import tests: the real statement files and an ``import_file`` helper that
goes through the same path as the upload page and the CLI (parse, account, import)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from core.import_accounts import account_for_file
from core.importer import ImportSummary, import_parsed
from core.importing import parse_statement
from core.transaction_rows import cipher_for


@pytest.fixture(scope="session")
def statements(shared_data: Path) -> Path:
    return shared_data / "statements"


@pytest.fixture(scope="session")
def import_bytes(db):
    """``import_bytes(user, data, filename, account="Main", **parse_options)`` -> ImportSummary."""

    def run(user, data: bytes, filename: str, account: str = "Main", **options) -> ImportSummary:
        result = parse_statement(data, filename, **options)
        with db.user_session(user) as conn:
            cipher = cipher_for(conn, user.id)
            account_id = account_for_file(conn, cipher, name=account, hint=result.account_hint,
                                          currency=result.currency)
            return import_parsed(conn, user, cipher, account_id, result,
                                 file_sha256=hashlib.sha256(data).hexdigest())

    return run


@pytest.fixture(scope="session")
def import_file(statements: Path, import_bytes):
    """``import_file(user, "bank2ynab/test/test-data/x.csv", account="Main")``."""

    def run(user, relative: str, account: str = "Main", **options) -> ImportSummary:
        path = statements / relative
        return import_bytes(user, path.read_bytes(), path.name, account, **options)

    return run


@pytest.fixture(scope="session")
def boi_twice(statements: Path, import_bytes):
    """``boi_twice(user)``: the BOI export imported into account "BOI", then again with two
    rows reformatted (a date moved by a day or two, the description spelled differently), so
    that those two rows come back as *possible duplicates* of the first import's."""
    boi = statements / "bank2ynab/test/test-data/test_BOI_TransactionExport.csv"

    def run(user) -> None:
        header, *rows = boi.read_text("utf-8").splitlines()
        import_bytes(user, ("\n".join([header, *rows]) + "\n").encode(), "a.csv", "BOI")
        moved = [r.replace("12/09/2017,POS10SEP DOMINO'S PIZ,", "14/09/2017,POS 10SEP DOMINOS PIZZA,")
                 .replace("27/09/2017,POS25SEP TEXACO SPAR ,", "28/09/2017,POS25SEP TEXACO,")
                 for r in rows]
        import_bytes(user, ("\n".join([header, *moved]) + "\n").encode(), "b.csv", "BOI")

    return run


@pytest.fixture(scope="session")
def tx_count(db):
    """``tx_count(user, "where clause", params)``: the user's transactions matching it (RLS)."""

    def run(user, where: str = "true", params: list | None = None) -> int:
        with db.user_session(user) as conn:
            return conn.execute(f"select count(*) from transactions where {where}",
                                params or []).fetchone()[0]

    return run

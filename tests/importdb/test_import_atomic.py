"""All or nothing: a file that fails to parse, or a database error on row 26 of 27, leaves no
rows and no batch; undo removes exactly one batch."""

from __future__ import annotations

from decimal import Decimal

import psycopg
import pytest

from core.admin_ops import keyring
from core.importer import ImportFailed, import_statement, list_batches, undo_batch
from core.importing import StatementParseError
from core.transaction_rows import possible_duplicates

BOI = "bank2ynab/test/test-data/test_BOI_TransactionExport.csv"
BROKEN = "ofxparse/tests/fixtures/fail_nice/date_missing.ofx"


def _batches(db, user) -> int:
    with db.user_session(user) as conn:
        return conn.execute("select count(*) from import_batches").fetchone()[0]


def test_a_file_that_fails_to_parse_imports_nothing(db, make_user, settings, statements, tx_count) -> None:
    user = make_user(name="broken").user
    with db.user_session(user) as conn:
        account = conn.execute("insert into accounts (name) values ('Main') returning id").fetchone()[0]
    data = (statements / BROKEN).read_bytes()
    with pytest.raises(StatementParseError) as exc, db.user_session(user) as conn:
        import_statement(conn, user, keyring(settings), data, "date_missing.ofx", account)
    assert "date_missing.ofx, line 33, field 'DTPOSTED': expected a date" in str(exc.value)
    assert tx_count(user) == 0 and _batches(db, user) == 0
    with pytest.raises(ImportFailed), db.user_session(user) as conn:
        import_statement(conn, user, keyring(settings), data, "x.ofx", "00000000-0000-0000-0000-000000000000")


def test_a_database_error_mid_file_leaves_no_rows_and_no_batch(db, make_user, import_file, tx_count) -> None:
    user = make_user(name="midfile").user
    with db.user_session(user) as conn:
        account = conn.execute("insert into accounts (name) values ('Atomic') returning id").fetchone()[0]
    constraint = f"test_reject_texaco_{str(account)[:8]}"
    with db.owner_connection() as conn:  # the 26th of 27 rows violates it
        conn.execute(f"alter table transactions add constraint {constraint} check"
                     f" (account_id <> '{account}' or description not like '%%TEXACO%%') not valid")
    try:
        with pytest.raises(psycopg.errors.CheckViolation):
            import_file(user, BOI, "Atomic")
        assert tx_count(user) == 0 and _batches(db, user) == 0
    finally:
        with db.owner_connection() as conn:
            conn.execute(f"alter table transactions drop constraint {constraint}")
    assert import_file(user, BOI, "Atomic").n_imported == 27


def test_undo_removes_exactly_that_batch(db, make_user, import_file, tx_count) -> None:
    user = make_user(name="undo").user
    first = import_file(user, BOI, "BOI")
    other = import_file(user, "ofxparse/tests/fixtures/checking.ofx", "Checking")
    same_account = import_file(user, "bank2ynab/test/test-data/test_headers.csv", "BOI")
    before = tx_count(user)
    with db.user_session(user) as conn:
        assert undo_batch(conn, user, first.batch_id) == 27
        assert undo_batch(conn, user, first.batch_id) == 0  # already undone
        batches = {b["id"]: b for b in list_batches(conn)}
        actions = [r[0] for r in conn.execute("select action from audit_log where action like 'import%%'")]
    assert batches[first.batch_id]["status"] == "undone"
    assert batches[other.batch_id]["status"] == batches[same_account.batch_id]["status"] == "completed"
    assert tx_count(user) == before - 27
    assert tx_count(user, "batch_id = %s", [first.batch_id]) == 0
    assert tx_count(user, "batch_id = %s", [other.batch_id]) == other.n_imported
    assert tx_count(user, "batch_id = %s", [same_account.batch_id]) == same_account.n_imported
    assert sorted(actions) == ["import", "import", "import", "import_undone"]
    assert import_file(user, BOI, "BOI").n_imported == 27  # the file can come back


def test_undo_clears_duplicate_flags_pointing_into_the_batch(db, make_user, import_bytes, statements) -> None:
    header, *rows = (statements / BOI).read_text("utf-8").splitlines()
    user = make_user(name="undo-flags").user
    first = import_bytes(user, ("\n".join([header, *rows]) + "\n").encode(), "a.csv", "BOI")
    moved = [r.replace("12/09/2017,POS10SEP DOMINO'S PIZ,", "13/09/2017,POS10SEP DOMINOS PIZZA,")
             for r in rows]
    second = import_bytes(user, ("\n".join([header, *moved]) + "\n").encode(), "b.csv", "BOI")
    assert second.n_possible_duplicates == 1
    with db.user_session(user) as conn:
        undo_batch(conn, user, first.batch_id)
        assert possible_duplicates(conn) == []
        left = conn.execute("select count(*) from transactions"
                            " where duplicate_reason is not null").fetchone()[0]
    assert left == 0


def test_a_key_taken_outside_the_importer_is_skipped_not_fatal(db, make_user, import_file,
                                                                statements) -> None:
    from core.dedupe import dedupe_keys
    from core.importing import parse_statement

    user = make_user(name="race").user
    parsed = parse_statement((statements / BOI).read_bytes(), "boi.csv")
    key = dedupe_keys((t.date, t.amount, t.description, t.payee, t.external_id)
                      for t in parsed.transactions)[5]
    with db.user_session(user) as conn:  # far outside the file's dates: the importer does not see it
        account = conn.execute("insert into accounts (name) values ('BOI') returning id").fetchone()[0]
        conn.execute("insert into transactions (account_id, date, amount, description, dedupe_key)"
                     " values (%s, '2000-01-01', -1, 'manual', %s)", [account, key])
    summary = import_file(user, BOI, "BOI")
    assert (summary.n_imported, summary.n_duplicates) == (26, 1)


def test_a_bank_id_matches_even_when_the_date_moved(db, make_user, import_bytes, statements) -> None:
    data = (statements / "ofxparse/tests/fixtures/checking.ofx").read_bytes()
    user = make_user(name="fitid").user
    assert import_bytes(user, data, "checking.ofx", "Checking").n_imported == 3
    moved = data.replace(b"<DTPOSTED>20110405120000.000", b"<DTPOSTED>20120405120000.000")
    assert moved != data
    again = import_bytes(user, moved, "checking-2.ofx", "Checking")
    assert (again.n_imported, again.n_duplicates) == (0, 3)


def test_amounts_too_large_for_the_database_are_rejected_rows(db, make_user, import_bytes, tx_count) -> None:
    user = make_user(name="huge").user
    data = b"Date,Description,Amount\n2024-03-01,SALARY,2500.00\n2024-03-02,TYPO,-99999999999999.00\n" \
           b"2024-03-03,BAKERY,-3.20\n"
    summary = import_bytes(user, data, "huge.csv", "Main")
    assert (summary.n_imported, summary.n_rejected) == (2, 1)
    assert summary.rejected == [{"line": 3, "field": "amount", "value": "-99999999999999.00",
                                 "reason": "expected an amount below 1,000,000,000,000"}]
    only_huge = b"Date,Description,Amount\n2024-03-02,TYPO,-99999999999999.00\n"
    with pytest.raises(ImportFailed, match="no transaction with a usable amount"):
        import_bytes(user, only_huge, "only-huge.csv", "Main")
    assert tx_count(user) == 2 and _batches(db, user) == 1


def test_unknown_batch_and_bad_duplicate_action(db, make_user) -> None:
    from core.transaction_rows import resolve_duplicate

    user = make_user(name="unknown").user
    with pytest.raises(ImportFailed, match="does not exist"), db.user_session(user) as conn:
        undo_batch(conn, user, "00000000-0000-0000-0000-000000000000")
    with pytest.raises(ValueError, match="'keep' or 'delete'"), db.user_session(user) as conn:
        resolve_duplicate(conn, "00000000-0000-0000-0000-000000000000", "merge")


def test_a_new_account_ends_at_the_files_closing_balance(db, make_user, import_file, import_bytes,
                                                         shared_data) -> None:
    from core.dashboard_queries import balances

    user = make_user(name="opening").user
    first = import_file(user, "csv2ofx/data/test/schwab-checking-baltest-case1.csv",
                        account="Schwab")  # newest first, running balance 878.47 at the end
    assert first.notes == ["Opening balance set to 1,093.74 so that the account ends at the"
                           " file's closing balance of 878.47."]
    with db.user_session(user) as conn:
        assert conn.execute("select opening_balance from accounts where name = 'Schwab'"
                            ).fetchone()[0] == Decimal("1093.74")
        assert float(balances(conn)["balance"].iloc[0]) == 878.47
    # a later file into the same account leaves the opening balance alone
    later = import_file(user, "csv2ofx/data/test/schwab-checking-baltest-case3.csv",
                        account="Schwab")
    assert later.notes == []
    # balances that do not add up: a warning, and the opening balance stays 0
    za = shared_data / "labeled" / "yassirawad_za_labeled" / "data" / "transactions.csv"
    mixed = import_bytes(user, za.read_bytes(), za.name, "ZA")
    assert mixed.notes == [] and any("balance column does not add up" in w
                                     for w in mixed.warnings)
    with db.user_session(user) as conn:
        assert conn.execute("select opening_balance from accounts where name = 'ZA'"
                            ).fetchone()[0] == 0


def test_undoing_the_import_that_set_the_opening_balance_takes_it_back(db, make_user,
                                                                        import_file) -> None:
    user = make_user(name="undo-opening").user
    schwab = "csv2ofx/data/test/schwab-checking-baltest-case1.csv"

    def opening(account: str) -> Decimal:
        with db.user_session(user) as conn:
            return conn.execute("select opening_balance from accounts where name = %s",
                                [account]).fetchone()[0]

    def undo(batch_id) -> int:
        with db.user_session(user) as conn:
            return undo_batch(conn, user, batch_id)

    first = import_file(user, schwab, account="A")
    later = import_file(user, "csv2ofx/data/test/schwab-checking-baltest-case3.csv", account="A")
    assert opening("A") == Decimal("1093.74")
    assert undo(later.batch_id) == later.n_imported and opening("A") == Decimal("1093.74")
    assert undo(first.batch_id) == first.n_imported and opening("A") == 0
    # imported again, the account is new again: the file sets the opening balance once more
    again = import_file(user, schwab, account="A")
    assert again.n_imported == first.n_imported and opening("A") == Decimal("1093.74")
    # a value the user typed after the import stays when the import is undone
    edited = import_file(user, schwab, account="B")
    with db.user_session(user) as conn:
        conn.execute("update accounts set opening_balance = 1000 where name = 'B'")
    undo(edited.batch_id)
    assert opening("B") == Decimal("1000.00")

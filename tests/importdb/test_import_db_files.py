"""Every real statement file through the database import: imported once or rejected whole.

For each file in ``../shared/data/statements`` (licenses, READMEs, ``.conf`` files and
csv2ofx's expected outputs excepted): a file the parser rejects raises before anything is
written; any other file imports every parsed row into a fresh account (same dates, amounts
and currencies as parsed), and importing it again adds nothing. Then spot checks against
what the banks' files say, splits from QIF, and the raw line encrypted at rest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest

from core.crypto import DecryptionError
from core.import_raw import open_lines, raw_lines_for
from core.importing import StatementParseError, parse_statement
from core.transaction_rows import cipher_for

STATEMENTS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "statements"


def _files() -> list[str]:
    out = []
    for path in sorted(STATEMENTS.rglob("*")):
        if not path.is_file() or "converted" in path.parts or path.suffix == ".conf":
            continue
        if path.name.startswith(("LICENSE", "README")):
            continue
        out.append(path.resolve().relative_to(STATEMENTS.resolve()).as_posix())
    return out


@pytest.fixture(scope="module")
def owner(make_user):
    return make_user(name="files").user


@pytest.mark.parametrize("relative", _files())
def test_statement_imports_once_or_is_rejected(db, owner, statements, import_bytes, relative) -> None:
    path = statements / relative
    data = path.read_bytes()
    account = "f-" + hashlib.sha256(relative.encode()).hexdigest()[:12]
    try:
        parsed = parse_statement(data, path.name)
    except StatementParseError as exc:
        with pytest.raises(StatementParseError) as again:
            import_bytes(owner, data, path.name, account)
        assert str(again.value) == str(exc) and path.name in str(exc)
        with db.user_session(owner) as conn:
            assert conn.execute("select count(*) from accounts where name = %s", [account]).fetchone()[0] == 0
            assert conn.execute("select count(*) from import_batches where filename = %s",
                                [path.name]).fetchone()[0] == 0
        return
    first = import_bytes(owner, data, path.name, account)
    counts = (first.n_imported, first.n_duplicates, first.n_possible_duplicates)
    assert counts == (len(parsed.transactions), 0, 0)
    assert first.n_rejected == len(parsed.rejected)
    with db.user_session(owner) as conn:
        stored = conn.execute("select date, amount, currency, description from transactions"
                              " where batch_id = %s", [first.batch_id]).fetchall()
        default = conn.execute("select currency from accounts where id = %s",
                               [first.account_id]).fetchone()[0]
    expected = sorted((t.date, t.amount.quantize(Decimal("0.01")), t.currency or default, t.description)
                      for t in parsed.transactions)
    assert sorted(stored) == expected
    second = import_bytes(owner, data, path.name, account)
    assert (second.n_imported, second.n_duplicates) == (0, len(parsed.transactions))
    assert "imported into this account before" in " ".join(second.warnings)


def _rows(db, user, batch_id) -> list[tuple]:
    with db.user_session(user) as conn:
        return conn.execute("select date, amount, currency, description, external_id from transactions"
                            " where batch_id = %s order by date, amount", [batch_id]).fetchall()


def test_spot_checks_against_the_banks_files(db, make_user, import_file) -> None:
    user = make_user(name="spot").user
    boi = import_file(user, "bank2ynab/test/test-data/test_BOI_TransactionExport.csv", "BOI")
    rows = _rows(db, user, boi.batch_id)
    # "01/09/2017,Random Name GP,,428.03,100" (credit) and "01/09/2017,Random Bill,512.0,," (debit)
    assert (dt.date(2017, 9, 1), Decimal("428.03")) in [(r[0], r[1]) for r in rows]
    assert (dt.date(2017, 9, 1), Decimal("-512.00")) in [(r[0], r[1]) for r in rows]
    ofx = import_file(user, "ofxparse/tests/fixtures/checking.ofx", "Checking")
    rows = _rows(db, user, ofx.batch_id)
    assert {(r[0], r[1], r[4]) for r in rows} == {
        (dt.date(2011, 3, 31), Decimal("0.01"), "0000486"),
        (dt.date(2011, 4, 5), Decimal("-34.51"), "0000487"),
        (dt.date(2011, 4, 7), Decimal("-25.00"), "0000488")}
    ing = import_file(user, "mt940/mt940_tests/jejik/ing.sta", "ING")
    rows = _rows(db, user, ing.batch_id)
    # seven :61: lines: D25,03 D3,03 D1,11 D20,00 D1,10 C3,68 C1,00
    assert (dt.date(2010, 7, 22), Decimal("-25.03")) in [(r[0], r[1]) for r in rows]
    assert (dt.date(2010, 7, 23), Decimal("1.00")) in [(r[0], r[1]) for r in rows]
    assert len(rows) == 7 and sum(r[1] for r in rows) == Decimal("-45.59")
    assert {r[2] for r in rows} == {"EUR"}
    camt = import_file(user, "camt_genkgo/test/data/camt053.v2.multi.statement.xml", "CAMT")
    assert camt.n_imported == 2 and camt.file_format == "camt.053"


def test_qif_splits_are_stored(db, make_user, import_file) -> None:
    user = make_user(name="qif").user
    summary = import_file(user, "quiffen/tests/test_files/test.qif", "QIF")
    assert summary.n_imported == 6
    with db.user_session(user) as conn:
        parts = conn.execute("""
            select t.description, t.amount, s.amount, s.memo, c.name from transaction_splits s
            join transactions t on t.id = s.transaction_id left join categories c on c.id = s.category_id
            where t.batch_id = %s order by t.date, s.position""", [summary.batch_id]).fetchall()
    amazon = [p for p in parts if p[0].startswith("Amazon.com")]
    assert [p[2] for p in amazon] == [Decimal(v) for v in ("-50.00", "-25.00", "-10.00", "-15.00")]
    assert sum(p[2] for p in amazon) == amazon[0][1] == Decimal("-100.00")
    assert amazon[0][3] == "Food:Groceries — 50%" and amazon[0][4] == "Groceries"
    tmobile = [p for p in parts if p[0].startswith("T-Mobile")]
    assert sum(p[2] for p in tmobile) == tmobile[0][1] == Decimal("67.50")


def test_raw_line_is_encrypted_and_readable_by_the_owner_only(db, make_user, import_file, statements) -> None:
    user, other = make_user(name="raw").user, make_user(name="raw2").user
    summary = import_file(user, "bank2ynab/test/test-data/test_BOI_TransactionExport.csv", "BOI")
    with db.owner_connection() as conn:
        blob = conn.execute("select raw_enc from import_batches where id = %s",
                            [summary.batch_id]).fetchone()[0]
        positions = [r[0] for r in conn.execute(
            "select raw_pos from transactions where batch_id = %s order by raw_pos", [summary.batch_id])]
    assert blob and b"Random Bill" not in bytes(blob)  # one sealed blob per batch, not plain text
    assert positions == list(range(summary.n_imported))
    text = (statements / "bank2ynab/test/test-data/test_BOI_TransactionExport.csv").read_text("utf-8")
    with db.user_session(user) as conn:
        cipher = cipher_for(conn, user.id)
        ids = [r[0] for r in conn.execute("select id from transactions where batch_id = %s",
                                          [summary.batch_id])]
        raws = raw_lines_for(conn, cipher, ids)
    assert len(raws) == summary.n_imported and all(raws.values())
    assert "01/09/2017,Random Bill,512.0,," in raws.values()
    assert all(r in text for r in raws.values())
    with db.user_session(other) as conn:
        assert conn.execute("select count(*) from transactions where batch_id = %s",
                            [summary.batch_id]).fetchone()[0] == 0
        assert raw_lines_for(conn, cipher_for(conn, other.id), ids) == {}
        with pytest.raises(DecryptionError):  # another user's key cannot open the blob
            open_lines(cipher_for(conn, other.id), blob)


def test_export_gives_each_imported_row_its_raw_line(db, make_user, import_file, statements,
                                                     settings) -> None:
    import io
    import json
    import zipfile

    from core import privacy
    from core.admin_ops import keyring

    user = make_user(name="rawexport").user
    summary = import_file(user, "bank2ynab/test/test-data/test_BOI_TransactionExport.csv", "BOI")
    data = privacy.export_user_data(db, user, keyring(settings))
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        rows = json.loads(zf.read("json/transactions.json"))
        batches = json.loads(zf.read("json/import_batches.json"))
    mine = [r for r in rows if r["batch_id"] == str(summary.batch_id)]
    assert len(mine) == summary.n_imported
    text = (statements / "bank2ynab/test/test-data/test_BOI_TransactionExport.csv").read_text("utf-8")
    assert all(r["raw_line"] and r["raw_line"] in text for r in mine)
    assert "01/09/2017,Random Bill,512.0,," in {r["raw_line"] for r in mine}
    assert [b["raw"] for b in batches] == [privacy.BATCH_RAW_TEXT]

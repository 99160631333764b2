"""``python -m app import`` in a subprocess: dry-run JSON on real files of every format (no
database started), errors with file/line/field and a non-zero exit, and a real import for a
user through RLS."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from core.importing import parse_statement, to_json_records

ROOT = Path(__file__).resolve().parents[2]
FILES = [
    "bank2ynab/test/test-data/test_BOI_TransactionExport.csv",
    "bank2ynab/test/test-data/test_raiffeisen_01.csv",
    "csv2ofx/data/test/ubs-ch-fr_trimmed.csv",
    "ofxparse/tests/fixtures/checking.ofx",
    "ofxparser_php/tests/fixtures/ofxdata-xml.ofx",
    "quiffen/tests/test_files/test.qif",
    "mt940/mt940_tests/jejik/ing.sta",
    "mt940/mt940_tests/mBank/mt942.sta",
    "camt_genkgo/test/data/camt053.v2.multi.statement.xml",
    "camt_genkgo/test/data/camt054.v4.xml",
]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


@pytest.fixture
def no_db_env(tmp_path: Path) -> dict[str, str]:
    """An installation with no database configured: starting one would create <dir>/pgdata."""
    env = {"PFM_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": "", "PFM_DATABASE_URL": ""}
    return env


@pytest.mark.parametrize("relative", FILES)
def test_dry_run_json_on_real_files(statements: Path, relative: str, no_db_env, tmp_path: Path) -> None:
    path = statements / relative
    proc = _cli("import", str(path), "--dry-run", "--json", env=no_db_env)
    assert proc.returncode == 0, proc.stderr
    records = json.loads(proc.stdout)
    assert records == to_json_records(parse_statement(path.read_bytes(), path.name))
    expected_keys = {"date", "amount", "currency", "description", "payee", "external_id"}
    assert records and expected_keys <= set(records[0])
    assert not (tmp_path / "data" / "pgdata").exists(), "a dry run must not start the database"


def test_dry_run_values(statements: Path, no_db_env) -> None:
    proc = _cli("import", str(statements / FILES[0]), "--dry-run", "--json", env=no_db_env)
    records = json.loads(proc.stdout)
    bill = next(r for r in records if r["description"] == "Random Bill")
    assert (bill["date"], Decimal(bill["amount"])) == ("2017-09-01", Decimal("-512"))


def test_bad_file_names_file_line_and_field(statements: Path, no_db_env, tmp_path: Path) -> None:
    proc = _cli("import", str(statements / "ofxparse/tests/fixtures/fail_nice/date_missing.ofx"), "--dry-run",
                "--json", env=no_db_env)
    assert proc.returncode == 1 and proc.stdout == ""
    assert "date_missing.ofx, line 33, field 'DTPOSTED': expected a date" in proc.stderr
    missing = _cli("import", str(tmp_path / "nope.csv"), "--dry-run", env=no_db_env)
    assert missing.returncode == 2 and "cannot read the file" in missing.stderr
    no_user = _cli("import", str(statements / FILES[0]), env=no_db_env)
    assert no_user.returncode == 2 and "--user EMAIL is required" in no_user.stderr
    assert not (tmp_path / "data" / "pgdata").exists()


def test_rejected_rows_are_reported_on_stderr(statements: Path, no_db_env) -> None:
    path = statements / "bank2ynab/test/test-data/test_row_format_CD_flag.csv"
    proc = _cli("import", str(path), "--dry-run", env=no_db_env)
    assert proc.returncode == 0
    assert "70 transaction(s)" in proc.stdout and "4 rejected row(s)" in proc.stdout
    assert proc.stderr.count("(row skipped)") == 4 and "line " in proc.stderr and "field '" in proc.stderr


def test_a_reader_that_closes_early_ends_the_output_quietly(statements: Path, no_db_env) -> None:
    """``python -m app import FILE --dry-run --json | head -c 100``: the reader takes the first
    bytes and exits; the CLI stops there without a BrokenPipeError traceback, with status 141
    (128 + SIGPIPE, as a shell reports it). The pipe holds one page, so the 34 kB of JSON cannot
    all fit in it before the reader has gone (with the usual 64 kB it could, by chance)."""
    path = statements / "mt940/mt940_tests/betterplace/sepa_mt9401.sta"
    read_end, write_end = os.pipe()
    try:
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, 4096)
        reader = subprocess.Popen([sys.executable, "-c", "import sys;"
                                   " sys.stdout.buffer.write(sys.stdin.buffer.read(100))"],
                                  stdin=read_end, stdout=subprocess.PIPE)
        writer = subprocess.Popen([sys.executable, "-m", "app", "import", str(path), "--dry-run", "--json"],
                                  cwd=ROOT, stdout=write_end, stderr=subprocess.PIPE, text=True,
                                  env={**os.environ, **no_db_env})
    finally:
        os.close(read_end)  # only the two processes hold the pipe: the reader's exit closes it
        os.close(write_end)
    head, _ = reader.communicate(timeout=60)
    _, stderr = writer.communicate(timeout=300)
    assert head.startswith(b'[{"date": ') and len(head) == 100
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert writer.returncode == 141, stderr


def test_import_for_a_user_then_reimport_adds_nothing(db, make_user, settings, owner_url, statements) -> None:
    made = make_user(name="cli")
    env = {"PFM_DATA_DIR": str(settings.data_dir), "DATABASE_URL": owner_url}
    path = str(statements / FILES[0])
    first = _cli("import", path, "--user", made.email.upper(), "--account", "BOI", "--json", env=env)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert (summary["n_imported"], summary["n_duplicates"]) == (27, 0)
    second = _cli("import", path, "--user", made.email, "--account", "BOI", env=env)
    assert second.returncode == 0 and "0 imported, 27 duplicate(s) skipped" in second.stdout
    with db.user_session(made.user) as conn:
        rows = conn.execute("select a.name, count(*) from transactions t"
                            " join accounts a on a.id = t.account_id group by a.name").fetchall()
    assert rows == [("BOI", 27)]
    unknown = _cli("import", path, "--user", "nobody@example.org", env=env)
    assert unknown.returncode == 2 and "no user with email nobody@example.org" in unknown.stderr

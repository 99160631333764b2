"""The whole import path on a realistic 100,000-row CSV: parse, normalize, dedupe, insert.

The statement is the German online-banking export of ``bench/parse_bench.py`` (Sparkasse
layout: account details above the table, semicolons, decimal commas, ``dd.mm.yyyy``, latin-1,
card payments, SEPA debits, transfers, ~1% pending rows). Each run imports it into a fresh
account of a new user (with five rules) exactly as the upload page does
(``parse_statement`` then ``core.importer.import_parsed`` in one user session under RLS:
dedupe keys, fuzzy check, the rules, raw lines encrypted, COPY through a staging table,
transfer check, batch counts, commit), then imports the same file again, which must add 0
rows. The table keeps the earlier runs' rows (other users' data), as in a shared database.

The database is a fresh embedded PostgreSQL in a temporary directory, or a fresh database on
the server named by ``PFM_BENCH_DATABASE_URL`` (dropped afterwards).

Run: ``python bench/import_bench.py [rows] [runs]`` (defaults 100000 and 3).
"""

from __future__ import annotations

import hashlib
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.parse_bench import generate_csv  # noqa: E402
from core import migrate  # noqa: E402
from core.admin_ops import keyring  # noqa: E402
from core.auth import LocalAuth  # noqa: E402
from core.config import Settings  # noqa: E402
from core.crypto import user_cipher  # noqa: E402
from core.db import Database  # noqa: E402
from core.import_accounts import create_account  # noqa: E402
from core.importer import import_parsed  # noqa: E402
from core.importing import parse_statement  # noqa: E402
from core.rules import Rule  # noqa: E402
from core.rules_store import save_rule  # noqa: E402
from core.scratch_db import bench_database  # noqa: E402

log = logging.getLogger(__name__)

RULES = [("merchant", "REWE", "Groceries"), ("merchant", "SHELL", "Fuel"),
         ("merchant", "NETFLIX", "Streaming"), ("description", "MIETE", "Rent & Mortgage"),
         ("merchant", "DEUTSCHE BAHN", "Public Transport")]


def _backend_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) a local PostgreSQL backend has used, from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _import(db: Database, user, settings: Settings, account, data: bytes) -> dict:
    """One import as the page does it; wall seconds, and CPU seconds of this process and of
    the database backend (the machine is shared: CPU time does not depend on other load)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = parse_statement(data, "umsaetze.csv")
    parsed = time.perf_counter()
    with db.user_session(user) as conn:
        pid = conn.execute("select pg_backend_pid()").fetchone()[0]
        before = _backend_cpu(pid)
        cipher = user_cipher(conn, user.id, keyring(settings))
        summary = import_parsed(conn, user, cipher, account, result,
                                file_sha256=hashlib.sha256(data).hexdigest())
    after = _backend_cpu(pid)
    return {"parse": parsed - start, "total": time.perf_counter() - start, "summary": summary,
            "client_cpu": time.process_time() - cpu,
            "server_cpu": None if before is None or after is None else after - before}


def _new_user(db: Database):
    """A fresh user with the five rules."""
    user = LocalAuth(db, "bench-" + uuid.uuid4().hex).sign_up(
        f"bench-{uuid.uuid4().hex[:6]}@example.org", "Bench-Password-42", "Bench")
    with db.user_session(user) as conn:
        cats = dict(conn.execute("select name, id from categories"))
        for fld, word, cat in RULES:
            save_rule(conn, Rule(name=word, conditions=[{"field": fld, "op": "contains", "value": word}],
                                 actions=[{"type": "set_category", "category_id": str(cats[cat])}]))
    return user


def _search_times(db: Database, user, runs: int = 5) -> dict[str, float]:
    """Median seconds of the Transactions page's search (first page of 50 + the filter's
    totals) over the last user's 100,000 rows: a common word, a word that matches nothing."""
    from core.transactions_search import Filters, search

    out = {}
    for word in ("edeka", "zzqx"):
        times = []
        for _ in range(runs):
            with db.user_session(user) as conn:
                start = time.perf_counter()
                page = search(conn, Filters(text=word), limit=50)
                times.append(time.perf_counter() - start)
        out[f"{word} ({page.total:,} rows)"] = statistics.median(times)
    return out


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    data = generate_csv(rows)
    print(f"generated {rows:,} rows, {len(data) / 1e6:.1f} MB latin-1 CSV")
    with tempfile.TemporaryDirectory() as tmp, bench_database(Path(tmp)) as url:
        settings = Settings(data_dir=Path(tmp) / "data", database_url=url)
        migrate.migrate(url)
        db = Database(url, settings)
        try:
            first, again = [], []
            for run in range(runs):
                user = _new_user(db)  # a user per run: runs are independent imports
                with db.user_session(user) as conn:
                    account = create_account(conn, user_cipher(conn, user.id, keyring(settings)),
                                             "Giro", currency="EUR")
                one = _import(db, user, settings, account, data)
                summary = one["summary"]
                assert summary.n_imported == rows, summary
                first.append(one)
                repeat = _import(db, user, settings, account, data)
                assert repeat["summary"].n_imported == 0 and repeat["summary"].n_duplicates == rows
                again.append(repeat)
                stages = ", ".join(f"{k} {v:.2f}" for k, v in summary.timings.items())
                server = "n/a" if one["server_cpu"] is None else f"{one['server_cpu']:.2f}"
                print(f"run {run + 1}: import {one['total']:.2f} s wall (parse {one['parse']:.2f}; "
                      f"{stages}); CPU: this process {one['client_cpu']:.2f} s, database {server} s; "
                      f"{summary.n_rule_matches:,} rows matched a rule; "
                      f"re-import {repeat['total']:.2f} s, 0 rows added (merchant_names "
                      f"{repeat['summary'].timings.get('merchant_names', 0):.2f})", flush=True)
            searches = _search_times(db, user)
        finally:
            db.close()
    def median(runs_: list[dict], key: str) -> float:
        values = [r[key] for r in runs_ if r[key] is not None]
        return statistics.median(values) if values else float("nan")

    med, med_parse = median(first, "total"), median(first, "parse")
    print(f"median import of {rows:,} rows: {med:.2f} s wall = {rows / med:,.0f} rows/s "
          f"(parse {med_parse:.2f} s); CPU: this process {median(first, 'client_cpu'):.2f} s, "
          f"database {median(first, 'server_cpu'):.2f} s; load average now {os.getloadavg()[0]:.1f}")
    med_again = median(again, "total")
    print(f"median re-import (adds 0 rows): {med_again:.2f} s wall = {rows / med_again:,.0f} rows/s; "
          f"CPU: this process {median(again, 'client_cpu'):.2f} s, "
          f"database {median(again, 'server_cpu'):.2f} s")
    print("search (page of 50 + totals, median of 5): " + ", ".join(
        f"{word} {seconds:.3f} s" for word, seconds in searches.items()))


if __name__ == "__main__":
    main()

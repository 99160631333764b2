"""Merchants tab benchmark: the list of a user's merchants and the merge suggestions
(``core.merchant_list.list_merchants`` + ``suggestions``) for a user with ``--years`` years at
``--per-year`` transactions a year, among ``--others`` demo households of other users.

The big user is the dashboard benchmark's (a generated household topped up with categorised
purchases at 400 shops named "Bench Shop 0" to "Bench Shop 399": all alike to the suggestion
rules, the worst case for them). Embedded PostgreSQL in a temporary directory (or
``PFM_BENCH_DATABASE_URL``); prints the first (cold) call and the median of the rest.

    python -m bench.merchants_bench --years 5 --per-year 25000 --others 5 --runs 7
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

from bench.dashboard_bench import big_user
from bench.pipeline_bench import _database
from core import migrate
from core.config import Settings
from core.db import Database
from core.merchant_list import list_merchants, suggestions

log = logging.getLogger(__name__)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--years", type=int, default=5)
    p.add_argument("--per-year", type=int, default=25000)
    p.add_argument("--others", type=int, default=5)
    p.add_argument("--runs", type=int, default=7)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        owner, cleanup = _database(tmp)
        try:
            migrate.migrate(owner)
            db = Database(owner, Settings(data_dir=tmp, database_url=owner))
            user, _ = big_user(db, args.years, args.per_year, args.others)
            with db.owner_connection() as conn:
                conn.execute("analyze public.transactions")
            lists, suggests = [], []
            for _ in range(args.runs):
                with db.user_session(user) as conn:
                    started = time.perf_counter()
                    merchants, total = list_merchants(conn)
                    lists.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    pairs = suggestions(conn, merchants)
                    suggests.append(time.perf_counter() - started)
            with db.user_session(user) as conn:
                n = conn.execute("select count(*) from public.transactions").fetchone()[0]
            print(f"data: user {n:,} transactions, {total:,} merchants ({len(merchants)} listed); "
                  f"{len(pairs)} suggestions")
            for name, times in (("list_merchants", lists), ("suggestions", suggests)):
                print(f"{name}: cold {times[0] * 1000:.0f} ms, median of {len(times) - 1} warm "
                      f"{statistics.median(times[1:]) * 1000:.0f} ms (min {min(times[1:]) * 1000:.0f},"
                      f" max {max(times[1:]) * 1000:.0f})")
            db.close()
        finally:
            cleanup()


if __name__ == "__main__":
    main()

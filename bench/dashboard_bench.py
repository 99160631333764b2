"""Dashboard benchmark: the server-side render of the Dashboard page (AppTest) for a user with
``--years`` years of history at ``--per-year`` transactions a year, in a database that also
holds ``--others`` demo households of other users.

Starts a fresh embedded PostgreSQL in a temporary directory (or uses ``PFM_BENCH_DATABASE_URL``,
a server where it may create and drop a database), migrates, loads the other users and the big
user (a generated 5-year household topped up in SQL with categorised purchases across its
accounts), runs the planning stages so the stored outputs exist, then times ``AppTest.run()``
of the dashboard ``--runs`` times and prints the first (cold) run and the median of the rest.

    python -m bench.dashboard_bench --years 5 --per-year 25000 --others 20 --runs 7
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from streamlit.testing.v1 import AppTest

from bench.pipeline_bench import _database
from core import migrate
from core.auth import LocalAuth
from core.config import Settings
from core.db import Database, set_database
from core.demo_data import generate_household, generate_users
from core.demo_seed import load_household
from jobs import pipeline

log = logging.getLogger(__name__)
MAIN = str(Path(__file__).resolve().parents[1] / "app" / "main.py")


def _top_up(db: Database, user: object, n: int, days: int) -> None:
    """``n`` more categorised purchases spread over the last ``days`` days."""
    with db.user_session(user) as conn:
        conn.execute("""
            insert into public.transactions (account_id, date, amount, description, merchant,
                                             dedupe_key, category_id)
            select acc.ids[1 + i %% array_length(acc.ids, 1)], current_date - (i %% %s),
                   -round((1 + random() * 60)::numeric, 2), 'BENCH SHOP ' || (i %% 400),
                   'Bench Shop ' || (i %% 400), 'bench-' || i,
                   cat.ids[1 + i %% array_length(cat.ids, 1)]
            from generate_series(1, %s) i,
                 (select array_agg(id) ids from public.accounts where kind = 'checking') acc,
                 (select array_agg(id) ids from public.categories where kind = 'expense'
                    and parent_id is not null) cat""", [days, n])


def big_user(db: Database, years: int, per_year: int, n_others: int) -> tuple[object, int]:
    """``n_others`` demo users, then the big user (a ``years``-year household topped up to
    ``years * per_year`` transactions): (the big user, the other users' transaction count)."""
    auth = LocalAuth(db, uuid.uuid4().hex * 2)
    others = 0
    for i, household in enumerate(generate_users(n_others, seed=2, months=24)):
        other = auth.sign_up(f"other{i}@example.org", "Bench-Password-1", f"Other {i}")
        with db.user_session(other) as conn:
            others += load_household(conn, other, household)
    user = auth.sign_up("big@example.org", "Bench-Password-1", "Big")
    with db.user_session(user) as conn:
        base = load_household(conn, user, generate_household(seed=5, months=12 * years))
    _top_up(db, user, max(years * per_year - base, 0), 365 * years)
    return user, others


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--years", type=int, default=5)
    p.add_argument("--per-year", type=int, default=25000)
    p.add_argument("--others", type=int, default=20)
    p.add_argument("--runs", type=int, default=7)
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        owner, cleanup = _database(tmp)
        try:
            migrate.migrate(owner)
            os.environ["PFM_DATA_DIR"] = str(tmp)
            os.environ["DATABASE_URL"] = owner
            settings = Settings(data_dir=tmp, database_url=owner)
            db = Database(owner, settings)
            set_database(db)
            user, others = big_user(db, args.years, args.per_year, args.others)
            with db.owner_connection() as conn:
                n_user = conn.execute("select count(*) from public.transactions where user_id = %s",
                                      [str(user.id)]).fetchone()[0]
                n_all = conn.execute("select count(*) from public.transactions").fetchone()[0]
                conn.execute("analyze public.transactions")
            started = time.perf_counter()
            pipeline.run_user(db, settings, user.id, only={"recurring", "planning"})
            print(f"data: user {n_user:,} transactions over {args.years} years; "
                  f"{args.others} other users with {others:,}; {n_all:,} in total; "
                  f"planning stages {time.perf_counter() - started:.1f} s")
            at = AppTest.from_file(MAIN, default_timeout=120)
            at.session_state["user"] = user
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - started)
                assert not at.exception, at.exception
            assert len(at.get("plotly_chart")) >= 3, "the dashboard rendered its charts"
            print(f"dashboard render (AppTest.run): cold {times[0]:.3f} s, "
                  f"median of {len(times) - 1} warm runs {statistics.median(times[1:]):.3f} s "
                  f"(min {min(times[1:]):.3f}, max {max(times[1:]):.3f})")
            db.close()
        finally:
            set_database(None)
            cleanup()


if __name__ == "__main__":
    main()

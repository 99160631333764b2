"""Fixtures for the privacy and admin-analytics tests.

* ``fresh_db``: a database of its own (same server as the session database, real migrations),
  so the number of users is known exactly — the k-anonymity tests depend on it.
* ``labeled_frame``: the real labeled bank history from ``../shared/data``; the "target" user
  whose data a staff member tries to isolate owns it.
* ``world`` / ``grown``: the population of that database before (9 accounts, fewer than k)
  and after (14 accounts, 11 with data) it reaches k = 10; see test_admin_analytics.py.

Data helpers live in ``privacy_data.py``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from privacy_data import (
    STAGES,
    TARGET_ONLY_KIND,
    add_verdicts,
    load_demo,
    load_labeled,
    simulate_categorizer,
)

from core import migrate
from core.auth import LocalAuth
from core.config import Settings
from core.db import Database
from core.identity import AuthUser
from core.scratch_db import scratch_database
from jobs import pipeline

PASSWORD = "Correct-Horse-42"
LABELED = Path("labeled") / "yassirawad_za_labeled" / "data" / "transactions.csv"


@pytest.fixture(scope="session")
def labeled_frame(shared_data: Path) -> pd.DataFrame:
    """The real labeled history; amounts as the file has them ('-1 300.00' = -1300.00; a few
    cells hold an account number or a word before the amount; rows without one are dropped)."""
    frame = pd.read_csv(shared_data / LABELED, dtype=str)
    frame["date"] = pd.to_datetime(frame["date"], format="mixed").dt.date
    frame["amount"] = [_amount(a) for a in frame["amount"]]
    return frame.dropna(subset=["amount"]).reset_index(drop=True)


def _amount(text: str) -> Decimal | None:
    text = str(text).strip()
    if re.fullmatch(r"-?\d{1,3}( \d{3})*(\.\d+)?|-?\d+(\.\d+)?", text):
        return Decimal(text.replace(" ", ""))
    last = text.split()[-1] if text.split() else ""
    return Decimal(last) if re.fullmatch(r"-?\d+(\.\d+)?", last) else None


@dataclass
class FreshInstall:
    db: Database
    auth: LocalAuth

    def user(self, role: str = "user", name: str = "user") -> AuthUser:
        email = f"{name}-{uuid.uuid4().hex[:8]}@example.org"
        user = self.auth.sign_up(email, PASSWORD, name)
        if role != "user":
            with self.db.owner_connection() as conn:
                conn.execute("update public.profiles set role = %s where user_id = %s",
                             [role, str(user.id)])
            user = AuthUser(id=user.id, email=user.email, app_role=role, display_name=name)
        return user


@pytest.fixture(scope="package")
def fresh_db(owner_url: str, settings: Settings) -> Iterator[FreshInstall]:
    with scratch_database(owner_url, "pfm_privacy") as url:
        migrate.migrate(url)
        database = Database(url, settings)
        yield FreshInstall(database, LocalAuth(database, "privacy-signing-key-" + uuid.uuid4().hex))
        database.close()




@pytest.fixture(scope="package")
def world(fresh_db, labeled_frame, settings: Settings) -> dict:
    """Phase A: the target (real labeled history), 6 demo households, a staff and an admin."""
    db = fresh_db.db
    target = fresh_db.user(name="target")
    demo = [fresh_db.user(name=f"demo{i}") for i in range(6)]
    staff, admin = fresh_db.user("staff", "staff"), fresh_db.user("admin", "admin")
    cats = load_labeled(db, target, labeled_frame)
    load_demo(db, demo, seed=3)
    # a category only the target and one other user have: a "tiny group"
    for user in (target, demo[0]):
        with db.user_session(user) as conn:
            conn.execute("insert into categories (name) values ('Pottery Club')")
    totals = [simulate_categorizer(db, u) for u in [target, *demo]]
    add_verdicts(db, target, [(TARGET_ONLY_KIND, "suspicious"), ("amount_spike", "expected")])
    for u in demo:
        add_verdicts(db, u, [("amount_spike", "expected"), ("duplicate", "suspicious")])
    for u in [target, *demo]:
        pipeline.run_user(db, settings, u.id, only=STAGES)
    # a failure whose raw message carries the target's description and amount
    row = labeled_frame.iloc[2]
    raw_error = (f"ValueError: cannot parse '{row.description}' amount {row.amount:.2f} for user "
                 f"{target.id} <{target.email}>\nDETAIL: Failing row contains ({row.description})")
    with db.job_session() as conn:
        conn.execute("insert into pipeline.job_runs (run_id, stage, user_id, finished_at, status, error)"
                     " values (%s, 'categorize', %s, now(), 'failed', %s)",
                     [str(uuid.uuid4()), str(target.id), raw_error])
    return {"db": db, "fresh": fresh_db, "target": target, "demo": demo, "staff": staff,
            "admin": admin, "cats": cats, "totals": totals, "settings": settings}


@pytest.fixture(scope="package")
def grown(world: dict) -> dict:
    """Phase B: 4 more demo households (11 users with data) and a plain user."""
    db, settings = world["db"], world["settings"]
    more = [world["fresh"].user(name=f"more{i}") for i in range(4)]
    load_demo(db, more, seed=4)
    world["totals"] += [simulate_categorizer(db, u) for u in more]
    for u in more:
        add_verdicts(db, u, [("amount_spike", "expected"), ("duplicate", "suspicious")])
        pipeline.run_user(db, settings, u.id, only=STAGES)
    world["demo"] = world["demo"] + more
    world["plain"] = world["fresh"].user(name="plain")
    return world

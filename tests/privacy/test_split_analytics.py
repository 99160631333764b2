"""Staff analytics count a split transaction as its parts: money out per month x top-level
category (``analytics.spend_by_category_month``) puts the Groceries part of a split HOFER
purchase under Food and its Household part under Shopping.

A database of its own (the k-anonymity floor is lowered to 3 there, which must not leak into
the other privacy tests), with exactly three users holding the same split purchase.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest

from core import analytics, migrate
from core.auth import LocalAuth
from core.config import Settings
from core.db import Database
from core.identity import AuthUser
from core.scratch_db import scratch_database

K = 3
DAY = dt.date(2026, 3, 14)


@pytest.fixture(scope="module")
def three_users(owner_url: str, settings: Settings,
                add_split_purchase) -> Iterator[tuple[Database, AuthUser]]:
    """(database, staff member) with K users who each split -81.99 at HOFER into Groceries
    -60 and Household -21.99, and bought -12.50 at the pharmacy (the shared
    ``add_split_purchase``)."""
    with scratch_database(owner_url, "pfm_splits") as url:
        migrate.migrate(url)
        db = Database(url, settings)
        auth = LocalAuth(db, "split-signing-key-" + uuid.uuid4().hex)
        try:
            analytics.store_k_anonymity(db, K)
            for i in range(K):
                user = auth.sign_up(f"split{i}-{uuid.uuid4().hex[:6]}@example.org",
                                    "Correct-Horse-42", f"split{i}")
                add_split_purchase(db, user, DAY)
            staff_email = f"staff-{uuid.uuid4().hex[:6]}@example.org"
            staff = auth.sign_up(staff_email, "Correct-Horse-42", "staff")
            with db.owner_connection() as conn:
                conn.execute("update profiles set role = 'staff' where user_id = %s", [str(staff.id)])
            yield db, AuthUser(id=staff.id, email=staff.email, app_role="staff",
                               display_name="staff")
        finally:
            db.close()


def test_spend_by_category_counts_the_parts_of_a_split(three_users) -> None:
    db, staff = three_users
    with db.user_session(staff) as conn:
        spend = analytics.spend_by_category_month(conn, DAY, DAY, k=K)
    got = {r.category: (float(r.total), int(r.users), int(r.transactions))
           for r in spend.itertuples(index=False)}
    assert got == {"Food": (180.0, 3, 3), "Shopping": (65.97, 3, 3), "Health": (37.5, 3, 3)}
    assert set(spend["month"]) == {DAY.replace(day=1)} and set(spend["currency"]) == {"EUR"}
    food = spend.set_index("category").loc["Food"]
    assert float(food["median_per_user"]) == 60.0

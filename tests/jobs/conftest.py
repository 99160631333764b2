"""Fixtures for pipeline tests: demo households loaded for real users."""

from __future__ import annotations

import pytest

from core.db import Database
from core.demo_data import generate_household
from core.demo_seed import load_household


@pytest.fixture
def household_user(db: Database, make_user):
    """Factory: a fresh user owning the demo household for ``seed``."""

    def _make(seed: int = 7, months: int = 24):
        made = make_user(name=f"house{seed}")
        with db.user_session(made.user) as conn:
            load_household(conn, made.user, generate_household(seed=seed, months=months))
        return made.user

    return _make

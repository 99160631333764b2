"""End-to-end fixtures.

``tmp_path`` is overridden with a private directory outside pytest's rotating basetemp: the
embedded PostgreSQL runs as another system user when the tests run as root, and pytest resets
``/tmp/pytest-of-<user>`` to mode 0700 whenever another test session starts.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.scratch_db import scratch_database


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="pfm-e2e-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def database_url() -> Iterator[str | None]:
    """A fresh database on the server in ``PFM_TEST_DATABASE_URL``, or None (the app then runs
    its embedded PostgreSQL in the data directory)."""
    server = os.environ.get("PFM_TEST_DATABASE_URL")
    if not server:
        yield None
        return
    with scratch_database(server, "pfm_e2e") as url:
        yield url

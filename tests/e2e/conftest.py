"""End-to-end fixtures.

``tmp_path`` is overridden with a private directory outside pytest's rotating basetemp: the
embedded PostgreSQL runs as another system user when the tests run as root, and pytest resets
``/tmp/pytest-of-<user>`` to mode 0700 whenever another test session starts.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="pfm-e2e-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)

"""Fixtures for the statement-parsing tests: the real export files in ../shared/data.

``statement_file`` is parametrized over EVERY file under ``statements/`` except licenses,
READMEs, ``.conf`` files and csv2ofx's ``converted/`` folder (expected outputs, used by
``test_import_csv2ofx.py`` instead).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from importing_data import STATEMENTS, rel, statement_files

from core.importing import ParseResult, parse_statement


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "statement_file" in metafunc.fixturenames:
        files = statement_files()
        metafunc.parametrize("statement_file", files, ids=[rel(p) for p in files])


@pytest.fixture(scope="session")
def statements_dir() -> Path:
    assert STATEMENTS.is_dir(), f"statement test data missing at {STATEMENTS}"
    return STATEMENTS


@pytest.fixture(scope="session")
def parse_file(statements_dir: Path):
    """``parse_file("bank2ynab/test/test-data/x.csv", **options)`` -> ParseResult."""

    def parse(relative: str, **options) -> ParseResult:
        path = statements_dir / relative
        return parse_statement(path.read_bytes(), path.name, **options)

    return parse

"""Throwaway databases for tests and benchmarks.

:func:`scratch_database` makes an empty database on a PostgreSQL server and drops it (with
force) afterwards; :func:`bench_database` is the benchmarks' choice between that, on the
server named by ``PFM_BENCH_DATABASE_URL``, and a fresh embedded server in a directory.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from core import embedded

log = logging.getLogger(__name__)


@contextlib.contextmanager
def scratch_database(server: str, prefix: str) -> Iterator[str]:
    """A new empty database ``<prefix>_<random>`` on ``server`` (an owner's conninfo); yields
    its conninfo and drops it on exit, even with sessions still open."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    params = conninfo_to_dict(server)
    params["dbname"] = name
    try:
        yield make_conninfo(**params)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@contextlib.contextmanager
def bench_database(workdir: Path) -> Iterator[str]:
    """A fresh database on the server in ``PFM_BENCH_DATABASE_URL``, else a new embedded
    server in ``workdir/pgdata`` (stopped on exit); yields the owner's conninfo."""
    server = os.environ.get("PFM_BENCH_DATABASE_URL")
    if server:
        with scratch_database(server, "pfm_bench") as url:
            yield url
        return
    pgdata = workdir / "pgdata"
    try:
        yield embedded.start(pgdata)
    finally:
        embedded.stop(pgdata)

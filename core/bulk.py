"""Fast bulk inserts under row-level security.

PostgreSQL refuses ``COPY FROM`` into a table with RLS for roles that do not bypass it, so rows
are COPYed into a transaction-scoped temporary table and moved with one ``INSERT ... SELECT``,
which the RLS ``with check`` policies still verify row by row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)


def copy_insert(conn: psycopg.Connection, table: str, columns: Sequence[str],
                rows: Iterable[Sequence[object]], *, on_conflict: str = "",
                returning: str = "") -> list[tuple]:
    """Insert ``rows`` into ``public.<table>`` via a temp table; returns RETURNING rows if asked.

    ``on_conflict`` is a literal clause such as ``on conflict do nothing`` (never user input).
    """
    stage = sql.Identifier(f"_stage_{table}")
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    target = sql.Identifier("public", table)
    conn.execute(sql.SQL("create temp table if not exists {} on commit drop as"
                         " select {} from {} with no data").format(stage, cols, target))
    conn.execute(sql.SQL("truncate {}").format(stage))
    n = 0
    with conn.cursor() as cur:
        with cur.copy(sql.SQL("copy {} ({}) from stdin").format(stage, cols)) as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
    query = sql.SQL("insert into {} ({}) select {} from {} {} {}").format(
        target, cols, cols, stage, sql.SQL(on_conflict),
        sql.SQL(f"returning {returning}" if returning else ""))
    cur = conn.execute(query)
    result = cur.fetchall() if returning else []
    log.debug("bulk insert of %d row(s) into %s (%d affected)", n, table, cur.rowcount)
    return result

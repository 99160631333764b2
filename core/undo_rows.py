"""Undo of the edits to one transaction's own fields: its note (the table's Notes cell), its
tags and exclusion, its split (Row details) and its merchant's name (with the rules a rename
added or changed, :func:`restore_rules`): the reads and writes behind
:func:`core.undo.tracked_fields` and :func:`core.undo.tracked_split`.

:func:`snapshot` and :func:`split_state` read the rows before and after an edit;
:func:`restore_fields` and :func:`restore_split` put them back. A row is put back only if
it still is exactly as the edit left it: a note edited again since, tags changed in a bulk
action since, or a split saved again since keep the newer state (walking back through the
undo stack undoes those newer ones first). A split whose earlier state refers to a category
deleted since is not put back (its parts or its row would need a category that is gone).
Everything runs in the caller's session (RLS).

Notes are stored encrypted (``notes_enc``, with their blind index ``notes_terms``); the change
keeps the ciphertexts, never the note's text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import sql

from core.correction_writes import STATE_NAMES

log = logging.getLogger(__name__)

NOTES = ("notes_enc", "notes_terms")
"""The columns of a note."""
DETAILS = ("tags", "excluded")
"""The columns Row details' "Save tags and exclusion" writes."""
_STATE = STATE_NAMES[1:]  # without the id


def snapshot(conn: psycopg.Connection, ids: Sequence[Any], columns: Sequence[str]) -> tuple:
    """``(id, *columns)`` of the transactions ``ids``, in id order."""
    rows = conn.execute(sql.SQL("select id, {} from public.transactions where id = any(%s::uuid[])"
                                " order by id").format(sql.SQL(", ").join(map(sql.Identifier, columns))),
                        [list(ids)]).fetchall()
    return tuple(tuple(r) for r in rows)


def restore_fields(conn: psycopg.Connection, columns: Sequence[str], before: Sequence[tuple],
                   after: Sequence[tuple]) -> int:
    """Put ``columns`` of the rows back as ``before`` (``(id, *values)`` each) where they
    still are as ``after`` (the same rows, as the edit left them); how many were."""
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    holes = sql.SQL(", ").join(sql.Placeholder() * len(columns))
    query = sql.SQL("update public.transactions set ({}) = row({}) where id = %s"
                    " and ({}) is not distinct from ({})").format(cols, holes, cols, holes)
    restored = 0
    for old, new in zip(before, after, strict=True):
        restored += conn.execute(query, [*old[1:], old[0], *new[1:]]).rowcount
    return restored


def restore_rules(conn: psycopg.Connection, rules: Sequence[tuple]) -> int:
    """Put back the rules an edit added or changed (``(id, actions before as JSON or None if
    it added the rule, actions after as JSON)`` each): an added rule is deleted, a changed one
    gets its actions back, each only if its actions are still as the edit left them; how
    many were."""
    restored = 0
    for rule_id, before, after in rules:
        if before is None:
            restored += conn.execute("delete from public.rules where id = %s and actions = %s::jsonb",
                                     [rule_id, after]).rowcount
        else:
            restored += conn.execute("update public.rules set actions = %s::jsonb where id = %s"
                                     " and actions = %s::jsonb", [before, rule_id, after]).rowcount
    return restored


def split_state(conn: psycopg.Connection, tx_id: Any) -> tuple:
    """(id, the row's category state, its parts as (category, amount, memo) in order)."""
    state = conn.execute(f"select {', '.join(_STATE)} from public.transactions where id = %s",
                         [tx_id]).fetchone()
    parts = conn.execute("select category_id, amount, memo from public.transaction_splits"
                         " where transaction_id = %s order by position, id", [tx_id]).fetchall()
    return (tx_id, tuple(state) if state else None, tuple(tuple(p) for p in parts))


def restore_split(conn: psycopg.Connection, before: tuple, after: tuple) -> int:
    """Put a split (its parts and the row's category state) back as ``before``
    (:func:`split_state`), if the row is still as ``after`` and its earlier categories exist;
    1 if it was put back, else 0."""
    tx_id = before[0]
    if conn.execute("select 1 from public.transactions where id = %s for update",
                    [tx_id]).fetchone() is None or split_state(conn, tx_id) != after:
        return 0
    try:
        with conn.transaction():  # a savepoint: a category deleted since leaves the row as is
            conn.execute("delete from public.transaction_splits where transaction_id = %s", [tx_id])
            for pos, (cat, amount, memo) in enumerate(before[2]):
                conn.execute("insert into public.transaction_splits (transaction_id, category_id,"
                             " amount, memo, position) values (%s, %s, %s, %s, %s)",
                             [tx_id, cat, amount, memo, pos])
            conn.execute(f"update public.transactions set ({', '.join(_STATE)})"
                         f" = row({', '.join(['%s'] * len(_STATE))}) where id = %s",
                         [*before[1], tx_id])
    except psycopg.errors.ForeignKeyViolation:
        log.info("undo split: an earlier category of %s is gone; left as is", tx_id)
        return 0
    return 1

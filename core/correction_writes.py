"""The statements behind every category decision, for one transaction or many at once.

A decision on one row (the table, the review queue) and on many (bulk actions,
:mod:`core.bulk_edit`) run the same SQL, so they have the same effects: the rows get the
category as the user's (``category_source = 'user'``, confidence 1, out of review) or go back
to the categorizer when it is cleared; each gets a ``corrections`` row (old and new category,
old source and confidence), which the categorizer learns from and which supersedes the
merchant's older labels (``jobs.categorize.supersede``); the statement-level triggers on
``transactions`` and ``corrections`` mark the user dirty for the job process.

:func:`follow_rows` files the rows similar to the decided ones (same merchant key, or same
description without one) that wait for a decision. Everything runs in the caller's session
(RLS): ids of another user's transactions are simply not found.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg

from core.categories import leaf_problem
from core.ids import parse_uuids

log = logging.getLogger(__name__)

TX_COLUMNS = ("id, category_id, category_source, category_confidence, coalesce(merchant, ''),"
              " description, amount")
"""What a decision needs of a transaction; rows below are tuples in this order."""

UNDECIDED = "(t.category_source is null or t.category_source in ('model', 'prior', 'history'))"
"""A row nobody decided: uncategorized, or a guess of the model, the prior or the history."""
UNCATEGORIZED = "(t.category_source is distinct from 'user' and (t.category_id is null or t.needs_review))"
"""A row waiting for a decision: no category, or a guess waiting in the review queue."""
NOT_SPLIT = "not exists (select 1 from public.transaction_splits s where s.transaction_id = t.id)"
"""A row that is not split (a split's parts carry its categories: it is never filed as similar)."""


class CorrectionError(ValueError):
    """A correction or split that cannot be saved; the message says why."""


def load_one(conn: psycopg.Connection, tx_id: Any) -> tuple:
    row = conn.execute(f"select {TX_COLUMNS} from public.transactions where id = %s",
                       [tx_id]).fetchone()
    if row is None:
        raise CorrectionError("this transaction no longer exists")
    return row


def as_uuids(values: Iterable[Any]) -> list[uuid.UUID]:
    """``values`` as UUIDs, each once in the given order; what is not a UUID is left out
    (a transaction id that does not parse is one that does not exist)."""
    return parse_uuids(values, "transaction id", skip_invalid=True)


def load_many(conn: psycopg.Connection, ids: Iterable[Any]) -> list[tuple]:
    """The transactions of ``ids`` the user can see, oldest first (deleted rows and another
    user's are not found under RLS)."""
    wanted = as_uuids(ids)
    if not wanted:
        return []
    return conn.execute(f"select {TX_COLUMNS} from public.transactions where id = any(%s::uuid[])"
                        " order by date, id", [wanted]).fetchall()


def check_leaf(conn: psycopg.Connection, category_id: Any) -> None:
    if (problem := leaf_problem(conn, category_id)) is not None:
        raise CorrectionError(problem)


def similar_where(merchant: str, description: str) -> tuple[str, list[Any]]:
    if merchant:
        return "t.merchant = %s", [merchant]
    return "lower(t.description) = lower(%s)", [description]


def record(conn: psycopg.Connection, rows: Sequence[tuple], category_id: Any,
           source: str) -> tuple[Any, list[str]]:
    """The user's decision on ``rows`` (read by :func:`load_one` / :func:`load_many`): file them
    under ``category_id`` (a leaf, else :class:`CorrectionError` and nothing is written) or,
    with ``None``, send them back to the categorizer; one ``corrections`` row each. Returns when
    (the database transaction's time the corrections carry; ``None`` without rows) and the ids
    of the corrections written (what an undo deletes)."""
    if not rows:
        return None, []
    ids = [r[0] for r in rows]
    if category_id is None:  # cleared: back to the categorizer, not a decision of the user's
        conn.execute("""
            update public.transactions set category_id = null, category_source = null,
              category_confidence = null, category_explanation = null, category_suggestions = null,
              needs_review = false where id = any(%s::uuid[])""", [ids])
    else:
        check_leaf(conn, category_id)
        conn.execute("""
            update public.transactions set category_id = %s, category_source = 'user',
              category_confidence = 1, category_explanation = 'Set by you', needs_review = false
            where id = any(%s::uuid[])""", [category_id, ids])
    written = conn.execute("""
        insert into public.corrections (transaction_id, old_category_id, new_category_id, old_source,
                                        old_confidence, source)
        select v.id, v.old_cat, %s::uuid, v.old_source, v.old_conf, %s
        from unnest(%s::uuid[], %s::uuid[], %s::text[], %s::real[])
          as v(id, old_cat, old_source, old_conf)
        returning id::text, created_at""",
                           [category_id, source, ids, [r[1] for r in rows], [r[2] for r in rows],
                            [r[3] for r in rows]]).fetchall()
    return written[0][1], [w[0] for w in written]


STATE_NAMES = ("id", "category_id", "category_source", "category_confidence",
               "category_explanation", "needs_review")
STATE_COLUMNS = ", ".join(STATE_NAMES)
"""A row's category state as a decision found it (what :mod:`core.undo` restores)."""


def follow_rows(conn: psycopg.Connection, rows: Sequence[tuple], category_id: Any, *,
                uncategorized_only: bool) -> int:
    """File the rows similar to ``rows`` that wait for a decision under ``category_id``
    (``uncategorized_only``: only uncategorized and in-review rows, else every undecided one);
    one statement for all of their merchants. A split row is never followed: its parts carry
    its categories. Returns how many were filed."""
    return len(follow_rows_states(conn, rows, category_id, uncategorized_only=uncategorized_only))


def follow_rows_states(conn: psycopg.Connection, rows: Sequence[tuple], category_id: Any, *,
                       uncategorized_only: bool) -> list[tuple]:
    """:func:`follow_rows`, returning each filed row's state before it (:data:`STATE_COLUMNS`)."""
    if category_id is None or not rows:  # a cleared category has nothing to follow
        return []
    name = conn.execute("select name from public.categories where id = %s", [category_id]).fetchone()
    if name is None:
        return []
    merchants = sorted({r[4] for r in rows if r[4]})
    descriptions = sorted({r[5] for r in rows if not r[4]})
    keys, params = [], []
    if merchants:  # the same shape as one merchant's (the merchant index finds them)
        keys.append("t.merchant = any(%s::text[])")
        params.append(merchants)
    if descriptions:
        keys.append("lower(t.description) = any(array(select lower(d) from unnest(%s::text[]) d))")
        params.append(descriptions)
    # the CTE reads the rows as they were: every part of one statement sees the same snapshot
    return conn.execute(f"""
        with before as (
          select {STATE_COLUMNS} from public.transactions t
          where ({' or '.join(keys)}) and t.id <> all(%s::uuid[])
            and {UNCATEGORIZED if uncategorized_only else UNDECIDED}
            and t.category_id is distinct from %s and {NOT_SPLIT}),
        filed as (
          update public.transactions t set category_id = %s, category_source = 'history',
              category_confidence = 0.97, needs_review = false, category_explanation = %s
          from before where t.id = before.id returning t.id)
        select {', '.join('before.' + c for c in STATE_NAMES)}
        from before join filed on filed.id = before.id""",
        [*params, [r[0] for r in rows], category_id, category_id,
         f"Same merchant as a transaction you filed under {name[0]}"]).fetchall()


STILL_FILED = ("t.category_id = %s and (case when t.id = any(%s::uuid[])"
               " then t.category_source = 'user' else t.category_source in ('history', 'model') end)")
"""SQL on a row ``t``: still as a filing left it (params: its category and the ids it decided).
A decided row is still the user's; a row that followed is still following, or the job's refit
applied it in that category since."""


def states_of(conn: psycopg.Connection, ids: Sequence[Any]) -> list[tuple]:
    """The category state (:data:`STATE_COLUMNS`) of the transactions ``ids`` now, before a
    decision changes it."""
    if not ids:
        return []
    return conn.execute(f"select {STATE_COLUMNS} from public.transactions where id = any(%s::uuid[])",
                        [list(ids)]).fetchall()


def undo_decision(conn: psycopg.Connection, states: Sequence[tuple], condition: str,
                  params: Sequence[Any], at: Any, corrections: Sequence[str]) -> int:
    """Undo a decision: put its rows back in the category state ``states`` (as it found them,
    :data:`STATE_COLUMNS`) where ``condition`` (SQL on the row ``t``, with ``params``) still
    holds and no correction of the row came after the decision's own (made at ``at``: the user
    did not decide it again meanwhile); then delete the decision's ``corrections``, so the
    categorizer does not learn from it. Returns how many rows were put back. A row split
    since keeps its split (no decision files a split row, so it was split afterwards). A row whose
    earlier category was deleted (or merged into another) since goes back to the categorizer
    instead, with no category, as a row sent back for review does."""
    restored = 0
    if states:
        cols = [list(c) for c in zip(*states, strict=True)]
        gone = "(b.category_id is not null and cat.id is null)"
        restored = conn.execute(f"""
            update public.transactions t set category_id = cat.id,
                category_source = case when {gone} then null else b.source end,
                category_confidence = case when {gone} then null else b.confidence end,
                category_explanation = case when {gone} then null else b.explanation end,
                needs_review = b.review and not {gone}
            from unnest(%s::uuid[], %s::uuid[], %s::text[], %s::real[], %s::text[],
                        %s::boolean[]) as b(id, category_id, source, confidence, explanation,
                                            review)
              left join public.categories cat on cat.id = b.category_id
            where t.id = b.id and ({condition}) and {NOT_SPLIT}
              and not exists (select 1 from public.corrections c where c.transaction_id = t.id
                              and c.created_at >= %s and c.id <> all(%s::uuid[]))""",
                                [*cols, *params, at, list(corrections)]).rowcount
    if corrections:
        conn.execute("delete from public.corrections where id = any(%s::uuid[])",
                     [list(corrections)])
    return restored

"""The "Needs review" queue and learning from one correction at once.

The queue holds what the categorizer was not sure enough to apply. It is ordered by how much
one decision would help: merchants with many uncertain rows first (sum of ``1 - confidence``
over the merchant's rows), each with its top suggestions one click away. A page shows the
first merchants (:data:`PAGE` at a time) and says how many wait in all (:func:`queue_counts`).
:func:`sure_suggestions` lists the merchants whose top suggestion is at least :data:`SURE`
sure, for the user to accept together (:func:`accept`).

:func:`decide` records the user's choice (a ``corrections`` row,
:func:`core.correction_writes.record`) and immediately files the same merchant's other
*undecided* rows (in review, or a model/prior guess; never a user's or a rule's decision) under
that category, marked ``history`` with an explanation. The job process then refits the model
(the correction marked the user dirty), so the next prediction for that merchant is right
without waiting for a nightly retrain.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg

from core.correction_writes import load_one
from core.queries import MERCHANT
from core.undo import Change, decide_rows

log = logging.getLogger(__name__)

PAGE = 25
"""Merchants per page of the queue: a page shows this many more at each "Show more"."""
SURE = 0.9
""":func:`sure_suggestions`: top suggestions at least this sure can be accepted at once."""
HELD = ("Not filed automatically: a merchant you have not filed before, and only its amount,"
        " timing or wording points to this category.")
"""Why a card waits although its guess may be sure (the job marked it ``category_held``)."""


@dataclass(frozen=True)
class Decision:
    transaction_id: str
    category: str
    propagated: int
    category_id: str | None = None
    change: Change | None = None  # what it changed, for its undo (core.undo)


def queue(conn: psycopg.Connection, limit: int = PAGE) -> pd.DataFrame:
    """One row per merchant in review: how many rows, their uncertainty, an example and the
    top suggestions of its most recent row, and whether its guess was held back (``held``,
    see :data:`HELD`); most helpful decision first. The first ``limit`` merchants only:
    :func:`queue_counts` says how many there are in all."""
    rows = conn.execute(f"""
        with r as (
          select t.id, {MERCHANT} as merchant, t.date,
                 t.amount, t.currency, t.description, coalesce(t.category_confidence, 0) as conf,
                 t.category_suggestions, t.category_explanation, t.category_held as held,
                 row_number() over (partition by {MERCHANT}
                                    order by t.date desc, t.id) as rn
          from public.transactions t where t.needs_review)
        select merchant, count(*) as n, sum(1 - conf) as gain,
               max(id::text) filter (where rn = 1) as example_id,
               max(description) filter (where rn = 1) as example,
               max(amount) filter (where rn = 1) as amount,
               max(currency) filter (where rn = 1) as currency,
               max(date) filter (where rn = 1) as last_date,
               (array_agg(category_suggestions) filter (where rn = 1))[1] as suggestions,
               max(category_explanation) filter (where rn = 1) as explanation,
               coalesce(bool_or(held) filter (where rn = 1), false) as held
        from r group by merchant
        order by gain desc, n desc, merchant
        limit %s""", [limit]).fetchall()
    return pd.DataFrame(rows, columns=["merchant", "n", "gain", "example_id", "example", "amount",
                                       "currency", "last_date", "suggestions", "explanation",
                                       "held"])


def queue_size(conn: psycopg.Connection) -> int:
    return conn.execute("select count(*) from public.transactions where needs_review").fetchone()[0]


@dataclass(frozen=True)
class QueueSize:
    """How much waits for review: merchants (one card each) and their transactions."""

    merchants: int
    transactions: int


def queue_counts(conn: psycopg.Connection) -> QueueSize:
    """The whole queue's size, whatever part of it a page shows (see :func:`queue`)."""
    row = conn.execute(f"""
        select count(distinct {MERCHANT}), count(*)
        from public.transactions t where t.needs_review""").fetchone()
    return QueueSize(int(row[0]), int(row[1]))


def category_id_by_name(conn: psycopg.Connection, name: str) -> Any:
    row = conn.execute("select id from public.categories where parent_id is not null"
                       " and lower(name) = lower(%s) order by created_at limit 1", [name]).fetchone()
    if row is None:
        raise LookupError(f"you have no category named {name!r}")
    return row[0]


def decide(conn: psycopg.Connection, tx_id: Any, category: str, *, source: str = "review") -> Decision:
    """The user files one transaction under ``category`` (a leaf name); similar undecided
    transactions follow at once. The decision keeps what it changed, so that it can be undone
    (:func:`core.undo.undo`)."""
    category_id = category_id_by_name(conn, category)
    row = load_one(conn, tx_id)
    # the same statements as a table correction; every undecided row of the merchant follows
    change = decide_rows(conn, [row], category_id, source, uncategorized_only=False)
    log.info("decision on %s: %s (+%d similar)", tx_id, category, change.followed)
    return Decision(str(row[0]), category, change.followed, str(category_id), change)


def sure_suggestions(conn: psycopg.Connection, at_least: float = SURE) -> pd.DataFrame:
    """Merchants in review whose latest row's top suggestion is at least ``at_least`` sure and
    names one of the user's categories, surest first: ``merchant, n, example_id, category,
    confidence``. What the model would file if it were allowed to, for the user to accept
    in one go (:func:`accept`). A merchant with a guess the categorizer held back
    (``category_held``: a new merchant whose guess rests on evidence that does not say what it
    is, such as its amounts and days) is not offered here: it waits for a look of its own."""
    rows = conn.execute(f"""
        with r as (
          select t.id, {MERCHANT} as merchant,
                 t.category_suggestions -> 0 ->> 'category' as category,
                 (t.category_suggestions -> 0 ->> 'confidence')::float8 as confidence,
                 count(*) over w as n,
                 row_number() over (w order by t.date desc, t.id) as rn,
                 bool_or(t.category_held) over w as held
          from public.transactions t where t.needs_review
          window w as (partition by {MERCHANT}))
        select r.merchant, r.n, r.id::text, r.category, r.confidence from r
        where r.rn = 1 and r.confidence >= %s and not r.held
          and exists (select 1 from public.categories c
                      where c.parent_id is not null and lower(c.name) = lower(r.category))
        order by r.confidence desc, r.n desc, r.merchant""",
        [at_least]).fetchall()
    return pd.DataFrame(rows, columns=["merchant", "n", "example_id", "category", "confidence"])


def accept(conn: psycopg.Connection, picks: Iterable[tuple[Any, str]]) -> list[Decision]:
    """The user accepts a suggestion for each ``(example transaction id, category)``: one
    decision per merchant, as if clicked in its card (:func:`decide`: a correction, and the
    merchant's other undecided rows follow). All in the caller's transaction. Returns each
    merchant's :class:`Decision` (``1 + propagated`` transactions each; it can be undone)."""
    return [decide(conn, tx_id, category) for tx_id, category in picks]

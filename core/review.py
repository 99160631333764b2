"""The "Needs review" queue and learning from one correction at once.

The queue holds what the categorizer was not sure enough to apply. It is ordered by how much
one decision would help: merchants with many uncertain rows first (sum of ``1 - confidence``
over the merchant's rows), each with its top suggestions one click away. A page shows the
first merchants (:data:`PAGE` at a time) and says how many wait in all (:func:`queue_counts`).

:func:`decide` records the user's choice (a ``corrections`` row via :mod:`core.corrections`) and
immediately files the same merchant's other *undecided* rows (in review, or a model/prior guess;
never a user's or a rule's decision) under that category, marked ``history`` with an
explanation. The job process then refits the model (the correction marked the user dirty), so
the next prediction for that merchant is right without waiting for a nightly retrain.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg

from core.corrections import correct_category, follow

log = logging.getLogger(__name__)

PAGE = 25
"""Merchants per page of the queue: a page shows this many more at each "Show more"."""


@dataclass(frozen=True)
class Decision:
    transaction_id: str
    category: str
    propagated: int


def queue(conn: psycopg.Connection, limit: int = PAGE) -> pd.DataFrame:
    """One row per merchant in review: how many rows, their uncertainty, an example and the
    top suggestions of its most recent row; most helpful decision first. The first ``limit``
    merchants only: :func:`queue_counts` says how many there are in all."""
    rows = conn.execute("""
        with r as (
          select t.id, coalesce(nullif(t.merchant, ''), t.description) as merchant, t.date,
                 t.amount, t.currency, t.description, coalesce(t.category_confidence, 0) as conf,
                 t.category_suggestions, t.category_explanation,
                 row_number() over (partition by coalesce(nullif(t.merchant, ''), t.description)
                                    order by t.date desc, t.id) as rn
          from public.transactions t where t.needs_review)
        select merchant, count(*) as n, sum(1 - conf) as gain,
               max(id::text) filter (where rn = 1) as example_id,
               max(description) filter (where rn = 1) as example,
               max(amount) filter (where rn = 1) as amount,
               max(currency) filter (where rn = 1) as currency,
               max(date) filter (where rn = 1) as last_date,
               (array_agg(category_suggestions) filter (where rn = 1))[1] as suggestions,
               max(category_explanation) filter (where rn = 1) as explanation
        from r group by merchant
        order by gain desc, n desc, merchant
        limit %s""", [limit]).fetchall()
    return pd.DataFrame(rows, columns=["merchant", "n", "gain", "example_id", "example", "amount",
                                       "currency", "last_date", "suggestions", "explanation"])


def queue_size(conn: psycopg.Connection) -> int:
    return conn.execute("select count(*) from public.transactions where needs_review").fetchone()[0]


@dataclass(frozen=True)
class QueueSize:
    """How much waits for review: merchants (one card each) and their transactions."""

    merchants: int
    transactions: int


def queue_counts(conn: psycopg.Connection) -> QueueSize:
    """The whole queue's size, whatever part of it a page shows (see :func:`queue`)."""
    row = conn.execute("""
        select count(distinct coalesce(nullif(t.merchant, ''), t.description)), count(*)
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
    transactions follow at once."""
    category_id = category_id_by_name(conn, category)
    correct_category(conn, tx_id, category_id, source=source)
    n = follow(conn, tx_id, category_id, uncategorized_only=False)
    log.info("decision on %s: %s (+%d similar)", tx_id, category, n)
    return Decision(str(tx_id), category, n)

"""Undoing a decision made in the "Needs review" queue.

One click in the queue files a merchant: the clicked transaction becomes the user's decision
(a ``corrections`` row the categorizer learns from) and the merchant's other undecided rows
follow it (:func:`core.review.decide`). A mis-click can therefore file dozens of rows. Each
:class:`~core.review.Decision` keeps what it changed: every row's category state before it
(:data:`core.correction_writes.STATE_COLUMNS`) and the corrections row it wrote.

:func:`undo` puts those rows back as they were, but only the ones still as the decision left
them (in its category: the clicked row still the user's, the others still following it, or
applied in that category by the job's refit since): a row filed again since, by the user in
another tab or by a rule, keeps its newer state. It deletes the decision's corrections row,
so the categorizer does not learn from the mis-click; the update marks the user dirty, so the
job process refits without it. Everything runs in the caller's session (RLS): a decision of
another user's changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import psycopg

from core.review import Decision

log = logging.getLogger(__name__)


def undo(conn: psycopg.Connection, decisions: Iterable[Decision]) -> int:
    """Undo ``decisions`` (see the module docstring); returns how many transactions were put
    back as they were."""
    restored = 0
    for d in decisions:
        if not d.before or d.category_id is None:
            continue
        cols = list(zip(*d.before, strict=True))
        restored += conn.execute("""
            update public.transactions t set category_id = b.category_id,
                category_source = b.source, category_confidence = b.confidence,
                category_explanation = b.explanation, needs_review = b.review
            from unnest(%s::uuid[], %s::uuid[], %s::text[], %s::real[], %s::text[],
                        %s::boolean[]) as b(id, category_id, source, confidence, explanation,
                                            review)
            where t.id = b.id and t.category_id = %s
              and (case when t.id = %s then t.category_source = 'user'
                   else t.category_source in ('history', 'model') end)""",
            [list(cols[0]), list(cols[1]), list(cols[2]), list(cols[3]), list(cols[4]),
             list(cols[5]), d.category_id, d.transaction_id]).rowcount
        if d.correction_id is not None:
            conn.execute("delete from public.corrections where id = %s", [d.correction_id])
    log.info("undid %d review decision(s)", restored)
    return restored

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

from core.correction_writes import STILL_FILED, undo_decision
from core.review import Decision

log = logging.getLogger(__name__)


def undo(conn: psycopg.Connection, decisions: Iterable[Decision]) -> int:
    """Undo ``decisions`` (see the module docstring); returns how many transactions were put
    back as they were."""
    restored = 0
    for d in decisions:
        if d.category_id is not None:
            restored += undo_decision(conn, d.before, STILL_FILED,
                                      [d.category_id, [d.transaction_id]], d.at, d.corrections)
    log.info("undid %d review decision(s)", restored)
    return restored

"""Undoing the table's last bulk action (:mod:`core.bulk_edit`).

A bulk action changes many rows at once, possibly every row matching a filter, so a wrong
pick needs one way back. Each :class:`~core.bulk_edit.BulkResult` keeps what its action
changed, and :func:`undo` puts back only what is still as the action left it:

* **Set category**: the selected rows and those that followed them get their category state
  back (:data:`core.correction_writes.STATE_COLUMNS`), if they are still in that category
  (a selected row still the user's; a followed one still following, or applied there by the
  job's refit since). The action's corrections are deleted, so the categorizer does not learn
  from it.
* **Send back for review**: the rows get their categories back if nobody decided them since
  (the job may have suggested or applied a category meanwhile; that is replaced). Its
  corrections are deleted too, or the rows would stay in review, as sent-back rows do.
* **Exclude / include**: the rows it changed are counted again (or excluded again), if they
  still are as it left them.
* **Add tag**: the tag is removed from the rows it was added to.

A row the user (or a rule) changed since keeps its newer state: a category action's rows are
put back only if no correction of theirs came after the action's own. Everything runs in the
caller's session (RLS): another user's rows are not found.
"""

from __future__ import annotations

import logging

import psycopg

from core.bulk_edit import BulkResult
from core.correction_writes import STILL_FILED, UNDECIDED, undo_decision

log = logging.getLogger(__name__)


def undo(conn: psycopg.Connection, result: BulkResult) -> int:
    """Undo the bulk action ``result`` describes (see the module docstring); returns how many
    transactions were put back."""
    if result.action == "category":
        restored = undo_decision(conn, result.before, STILL_FILED,
                                 [result.category_id, list(result.decided)], result.at,
                                 result.corrections)
    elif result.action == "clear":
        restored = undo_decision(conn, result.before, UNDECIDED, [], result.at,
                                 result.corrections)
    elif result.action in ("exclude", "include"):
        excluded = result.action == "exclude"
        restored = conn.execute("update public.transactions set excluded = %s"
                                " where id = any(%s::uuid[]) and excluded = %s",
                                [not excluded, list(result.changed_ids), excluded]).rowcount
    elif result.action == "tag":
        restored = conn.execute("update public.transactions set tags = array_remove(tags, %s)"
                                " where id = any(%s::uuid[]) and %s = any(tags)",
                                [result.label, list(result.changed_ids), result.label]).rowcount
    else:
        raise ValueError(f"unknown bulk action {result.action!r}")
    log.info("undid a bulk %s: %d transaction(s) put back", result.action, restored)
    return restored

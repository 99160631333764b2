"""Undo: what an action on transactions changed, and how to put it back.

Every action that changes transactions from the Transactions page returns a :class:`Change`
(or several): a decision in "Needs review" (:func:`core.review.decide`), a category edited in
the table (:func:`core.corrections.correct_and_follow`), "apply to all similar"
(:func:`core.corrections.apply_to_similar`) and the table's bulk actions
(:mod:`core.bulk_edit`). A category decision files rows and others follow it, so one click can
file dozens of rows; the page keeps the changes of the last actions (a stack, this browser
session only) and :func:`undo` puts back the newest one:

* **category** (a decision: the decided rows become the user's, similar undecided rows follow
  them): the rows get their category state back (:data:`core.correction_writes.STATE_COLUMNS`)
  if they are still as it left them (a decided row still the user's, a followed one still
  following, or applied in that category by the job's refit since), and its ``corrections``
  rows are deleted, so the categorizer does not learn from a wrong pick;
* **clear** (sent back to the categorizer): the rows get their categories back if nobody
  decided them since (the job may have suggested one meanwhile: that is replaced); its
  corrections are deleted too, or the rows would stay in review as sent-back rows do;
* **exclude / include**: the rows it changed are counted again (or excluded again), if they
  still are as it left them;
* **tag**: the tag is removed from the rows it was added to;
* **fields** (a note edited in the table; tags and exclusion saved in Row details; a merchant
  renamed): the columns get their earlier values back, if they still hold what the edit wrote
  (:func:`tracked_fields`, :mod:`core.undo_rows`), and so do the rules it added (deleted) or
  changed (their actions put back);
* **split** (a split saved or removed in Row details): the parts and the row's category state
  are put back, if the row is still as the edit left it (:func:`tracked_split`).

A row changed since by the user (or a rule) keeps its newer state: a category change is put
back on a row only if no correction of the row came after the change's own. A row whose
earlier category was deleted (or merged away) since goes back to the categorizer,
uncategorized; a row split since keeps its split. Undoing the newest action first, then the one
before, walks back through them: each undo deletes its corrections, so the one before it finds
its rows as it left them. Everything runs in the caller's session (RLS): another user's rows
are not found, so an undo of theirs changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from core.correction_writes import (
    STILL_FILED,
    UNDECIDED,
    follow_rows_states,
    record,
    states_of,
    undo_decision,
)
from core.undo_rows import restore_fields, restore_rules, restore_split, snapshot, split_state

log = logging.getLogger(__name__)

KINDS = ("category", "clear", "exclude", "include", "tag", "fields", "split")


@dataclass(frozen=True)
class Change:
    """What one action changed, enough to put it back (see the module docstring).

    ``before``: the category state of the rows a category action changed, as they were
    (``decided``: the ids it decided; the others followed them); ``category_id``, the
    ``corrections`` it wrote and when (``at``: its database transaction's time);
    ``changed_ids``: the rows an exclude, include or tag action changed, ``label`` the tag;
    for ``fields`` and ``split``, ``before`` and ``after`` hold the changed rows as they were
    and as the edit left them (``columns``: which columns, for ``fields``); ``rules``: the
    rules a ``fields`` change added or changed along with the rows, as ``(id, actions before
    as JSON or None if added, actions after)`` (a merchant's rename,
    :mod:`core.merchant_rename`)."""

    kind: str
    before: tuple[tuple, ...] = ()
    decided: tuple[str, ...] = ()
    category_id: str | None = None
    corrections: tuple[str, ...] = ()
    at: Any = None
    changed_ids: tuple[str, ...] = ()
    label: str = ""
    after: tuple[tuple, ...] = ()
    columns: tuple[str, ...] = ()
    rules: tuple[tuple, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind of change {self.kind!r}")

    @property
    def followed(self) -> int:
        """How many rows followed the decided ones (category changes)."""
        return max(0, len(self.before) - len(self.decided))

    @property
    def rows(self) -> int:
        """How many transactions it changed."""
        return len(self.before) if self.kind in ("category", "clear", "fields", "split") \
            else len(self.changed_ids)


def decide_rows(conn: psycopg.Connection, rows: Sequence[tuple], category_id: Any, source: str,
                *, uncategorized_only: bool = True, follow: bool = True) -> Change:
    """The user's decision on ``rows`` (:func:`core.correction_writes.load_many` tuples): file
    them under ``category_id`` (``None``: send them back to the categorizer), then file the
    similar rows that wait for a decision (``uncategorized_only``: only uncategorized and
    in-review ones, else every undecided one; ``follow=False``: none); returns the
    :class:`Change`."""
    ids = [r[0] for r in rows]
    before = states_of(conn, ids)
    at, written = record(conn, rows, category_id, source)
    followed = follow_rows_states(conn, rows, category_id,
                                  uncategorized_only=uncategorized_only) if follow else []
    return Change("category" if category_id is not None else "clear", (*before, *followed),
                  tuple(str(i) for i in ids),
                  None if category_id is None else str(category_id), tuple(written), at)


def tracked_fields(conn: psycopg.Connection, ids: Sequence[Any], columns: Sequence[str],
                   write: Callable[[], Any]) -> Change | None:
    """Run ``write`` (which changes ``columns`` of the transactions ``ids``) and return what it
    changed: a ``fields`` :class:`Change` of the rows that differ (``None``: none does)."""
    before = snapshot(conn, ids, columns)
    write()
    changed = [(b, a) for b, a in zip(before, snapshot(conn, ids, columns), strict=True) if b != a]
    if not changed:
        return None
    return Change("fields", tuple(b for b, _ in changed), after=tuple(a for _, a in changed),
                  columns=tuple(columns))


def tracked_split(conn: psycopg.Connection, tx_id: Any,
                  write: Callable[[], Any]) -> tuple[Any, Change | None]:
    """Run ``write`` (which saves or removes the split of ``tx_id``): its result, and a
    ``split`` :class:`Change` (``None`` if nothing changed)."""
    before = split_state(conn, tx_id)
    result = write()
    after = split_state(conn, tx_id)
    return result, (None if before == after else Change("split", (before,), after=(after,)))


def _undo_one(conn: psycopg.Connection, change: Change) -> int:
    if change.kind == "category":
        return undo_decision(conn, change.before, STILL_FILED,
                             [change.category_id, list(change.decided)], change.at,
                             change.corrections)
    if change.kind == "clear":
        return undo_decision(conn, change.before, UNDECIDED, [], change.at, change.corrections)
    if change.kind == "fields":
        restore_rules(conn, change.rules)
        return restore_fields(conn, change.columns, change.before, change.after)
    if change.kind == "split":
        return restore_split(conn, change.before[0], change.after[0])
    if change.kind in ("exclude", "include"):
        excluded = change.kind == "exclude"
        return conn.execute("update public.transactions set excluded = %s"
                            " where id = any(%s::uuid[]) and excluded = %s",
                            [not excluded, list(change.changed_ids), excluded]).rowcount
    return conn.execute("update public.transactions set tags = array_remove(tags, %s)"
                        " where id = any(%s::uuid[]) and %s = any(tags)",
                        [change.label, list(change.changed_ids), change.label]).rowcount


def undo(conn: psycopg.Connection, changes: Iterable[Change | None]) -> int:
    """Put back what ``changes`` (the changes of one action, in the order made) did, newest
    first; returns how many transactions were put back. ``None`` entries are skipped."""
    restored = 0
    for change in reversed([c for c in changes if c is not None]):
        restored += _undo_one(conn, change)
    log.info("undo: %d transaction(s) put back", restored)
    return restored

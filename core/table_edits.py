"""Edits made in the transactions table's cells, checked against what the table showed.

Streamlit's data editor reports an edit by the row's *position* in the grid, and the rows
behind a position can change between the render and the edit (another browser tab, the job
process filing rows out of a "Needs review only" filter, an undone import). So the page keeps,
for each position, the row as it showed it (:class:`Shown`: id, date, description, category,
whether it was split, note), and every :class:`CellEdit` carries that row. :func:`apply_edits`
then, in the caller's one database transaction (the user's session, under RLS):

1. locks the edited rows (``for update``) and reads them as they are now;
2. refuses, each with a message naming the transaction by date and description, an edit whose
   row no longer exists (deleted, its import undone, or not the user's: RLS does not find it),
   whose edited value changed since the table showed it (unless it already is the value the
   user chose), that sets the category of a split transaction (its parts carry the
   categories: the split is edited in Row details), or that picks what is not a category id
   (the Category cell also offers the split rows' "Split: ..." text, which it must to show it);
3. applies the others in the order given, each in a savepoint, so that an edit refused by the
   write itself (a group, or a category deleted meanwhile) is rolled back alone.

Every edit is checked before any is written, so one edit of a batch cannot be refused because
another filed its row (a correction files the merchant's uncategorized rows with it).
:class:`EditResult` lists exactly which edits were applied and which were refused, and why.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import psycopg

from core import corrections, transaction_rows, transactions_search, undo, undo_rows
from core.categories import LABEL
from core.correction_writes import CorrectionError, as_uuids
from core.crypto import UserCipher
from core.ids import InvalidId, parse_uuid

log = logging.getLogger(__name__)

FIELDS = ("category", "notes")
"""The table's editable cells."""


@dataclass(frozen=True)
class Shown:
    """A transaction as the table showed it when it was rendered."""

    id: uuid.UUID
    date: dt.date
    description: str
    category_id: uuid.UUID | None
    split: bool = False
    notes: str = ""

    @property
    def name(self) -> str:
        """How messages name the transaction: "2024-05-01 · HOFER DANKT 4711"."""
        return f"{self.date:%Y-%m-%d} · {self.description}"


@dataclass(frozen=True)
class CellEdit:
    """One changed cell: ``field`` ("category" or "notes") of the ``row`` the user saw set to
    ``value`` (a category id, ``None`` to clear it; or the note's text). ``label`` is the
    category as the user picked it, for messages."""

    row: Shown
    field: str
    value: Any
    label: str = ""


@dataclass(frozen=True)
class Refused:
    edit: CellEdit
    message: str


@dataclass
class EditResult:
    """What :func:`apply_edits` did: the edits ``applied`` (with the correction of each
    category edit, in ``corrections``, by transaction id) and those ``refused``, in order;
    ``changes``: what the applied edits changed, in order, for :func:`core.undo.undo` (a
    category edit's is its correction's ``change``; a note left as it was has none)."""

    applied: list[CellEdit] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    corrections: dict[uuid.UUID, corrections.Correction] = field(default_factory=dict)
    changes: list[undo.Change] = field(default_factory=list)


@dataclass(frozen=True)
class _Current:
    category_id: uuid.UUID | None
    label: str | None
    notes: str
    parts: list[str] | None


def _current(conn: psycopg.Connection, cipher: UserCipher | None,
             ids: list[uuid.UUID]) -> dict[uuid.UUID, _Current]:
    """The rows of ``ids`` as they are now, locked until the end of the transaction."""
    rows = conn.execute(f"""
        select t.id, t.category_id, {LABEL}, t.notes_enc, sp.parts
        from public.transactions t
        left join public.categories c on c.id = t.category_id
        left join public.categories p on p.id = c.parent_id
        left join lateral {transactions_search.SPLIT_PARTS} sp on true
        where t.id = any(%s::uuid[])
        order by t.id for update of t""", [ids]).fetchall()
    return {r[0]: _Current(r[1], r[2], _note(cipher, r[3]), r[4]) for r in rows}


def _note(cipher: UserCipher | None, blob: Any) -> str:
    if cipher is None or blob is None:
        return ""
    return transaction_rows.decrypt_note(cipher, blob)


def _same_note(now: str, text: Any) -> bool:
    """Whether saving ``text`` would store the note the row has ``now`` (nothing to write)."""
    return now == transaction_rows.clean_note(text)


def _key(value: Any) -> uuid.UUID | None:
    """``value`` as a UUID, or ``None`` (no category, or not an id at all)."""
    if value is None:
        return None
    try:
        return parse_uuid(value, "category id")
    except InvalidId:
        return None


def _same_category(a: Any, b: Any) -> bool:
    return _key(a) == _key(b)


def _problem(edit: CellEdit, now: _Current | None) -> str | None:
    """Why ``edit`` cannot be applied to the row as it is ``now``, or ``None``."""
    row = edit.row
    if now is None:
        return (f"{row.name}: this transaction no longer exists (deleted, or its import undone); "
                "your change was not saved.")
    if edit.field == "category":
        if now.parts:
            return (f"{row.name}: this transaction is split across categories "
                    f"({', '.join(now.parts)}); its category was not changed. Edit the split "
                    "under Row details, or remove the split first.")
        if row.split:
            return (f"{row.name}: its split was removed since the table was shown; your change "
                    "was not saved. Check the row and edit it again.")
        if edit.value is not None and _key(edit.value) is None:  # e.g. another row's "Split: ..."
            return (f"{row.name}: {edit.label or edit.value} is not a category (it is what a split "
                    "row's cell shows); your choice was not saved. Pick a category.")
        if not _same_category(now.category_id, row.category_id) \
                and not _same_category(now.category_id, edit.value):
            return (f"{row.name}: its category changed to {now.label or 'none'} since the table "
                    f"was shown; your choice ({edit.label or 'none'}) was not saved. Check the "
                    "row and edit it again.")
        return None
    seen, wanted = (row.notes or "").strip(), (edit.value or "").strip()
    if now.notes.strip() not in (seen, wanted):
        return (f"{row.name}: its note was changed elsewhere since the table was shown; your "
                "note was not saved. Check the row and edit it again.")
    return None


def apply_edits(conn: psycopg.Connection, edits: list[CellEdit], *, cipher: UserCipher | None,
                user_id: Any, source: str = "table") -> EditResult:
    """Check every edit against its row as it is now, then apply those that still fit (see
    the module's docstring); nothing is written for a refused edit. ``cipher`` and ``user_id``
    read and write notes; ``source`` is recorded on the corrections."""
    result = EditResult()
    unknown = [e for e in edits if e.field not in FIELDS]
    if unknown:
        raise ValueError(f"not an editable field: {unknown[0].field!r}")
    now = _current(conn, cipher, as_uuids(e.row.id for e in edits)) if edits else {}
    checked = [(e, _problem(e, now.get(_key(e.row.id)))) for e in edits]  # all before any write
    for edit, problem in checked:
        if problem is not None:
            result.refused.append(Refused(edit, problem))
            continue
        try:
            with conn.transaction():  # a savepoint: a refusal rolls back this edit alone
                if edit.field == "category":
                    done = corrections.correct_and_follow(conn, edit.row.id, edit.value, source=source)
                    result.corrections[done.transaction_id] = done
                    change = done.change
                else:
                    if cipher is None:
                        raise CorrectionError("notes cannot be saved without the user's key")
                    change = None if _same_note(now[_key(edit.row.id)].notes, edit.value) else \
                        undo.tracked_fields(conn, [edit.row.id], undo_rows.NOTES, lambda e=edit: (
                            transaction_rows.set_notes(conn, cipher, user_id, e.row.id, e.value)))
        except CorrectionError as exc:
            result.refused.append(Refused(edit, f"{edit.row.name}: {exc}"))
            continue
        result.applied.append(edit)
        if change is not None:
            result.changes.append(change)
    log.info("table edits: %d applied, %d refused", len(result.applied), len(result.refused))
    return result

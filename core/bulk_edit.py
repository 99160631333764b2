"""One action on many transactions at once: the table's bulk actions.

(Not to be confused with :mod:`core.bulk`, the COPY helpers of the import.)

* :func:`set_category`: each selected row becomes the user's decision, exactly as an edit of
  one row in the table: the same statements (:func:`core.correction_writes.record`: category
  as the user's, one ``corrections`` row each, source ``bulk``; the categorizer learns from
  them, they supersede the merchants' older labels and the triggers mark the user dirty for
  the job), then the selected merchants' uncategorized and in-review rows follow
  (:func:`core.correction_writes.follow_rows`). Only a leaf category is accepted. Rows the
  user already filed there are left alone.
* :func:`send_back`: clear the category; the rows go back to the categorizer (Needs review).
* :func:`set_excluded`: exclude from (or include again in) spending and income.
* :func:`add_tag`: add one tag (1-40 characters; a row keeps at most 20 tags).

A split transaction's categories are its parts' (``transaction_splits``), so the two category
actions leave split rows as they are and count them (``split``: "2 split transactions were
left as they are: edit their split under Row details"), as the table refuses a category edit
of a split row; excluding, including and tagging apply to them like to any row.

Each runs in the caller's session, so one call is one database transaction under the user's
RLS: ids of another user's transactions (or deleted ones) are not found and only counted as
``missing``. :class:`BulkResult.message` says what changed ("Filed 7 transactions under
Food › Groceries."). :func:`apply` picks the action by name, for the page. Each result carries
its :class:`core.undo.Change`, which the page keeps for "Undo".
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg

from core.categories import labels_by_id
from core.correction_writes import CorrectionError, as_uuids, check_leaf, load_many
from core.transaction_rows import MAX_TAG, MAX_TAGS
from core.undo import Change, decide_rows

log = logging.getLogger(__name__)

ACTIONS = {"category": "Set category", "clear": "Send back for review",
           "exclude": "Exclude from spending and income", "include": "Include in spending and income",
           "tag": "Add tag"}
"""The bulk actions by key, with the label the page shows."""


@dataclass(frozen=True)
class BulkResult:
    """What one bulk action did: rows ``changed``, rows that already were so (``unchanged``),
    ids not found (``missing``: deleted, or not the user's), similar rows filed with them
    (``followed``), rows that could take no more tags (``full``), split rows a category action
    left as they are (``split``); ``label`` is the category or the tag."""

    action: str
    changed: int
    unchanged: int = 0
    missing: int = 0
    followed: int = 0
    full: int = 0
    label: str = ""
    split: int = 0
    change: Change | None = None  # what it changed, for its undo (core.undo)

    @property
    def message(self) -> str:
        """What changed, then why split rows were skipped (:attr:`summary`, :attr:`split_note`)."""
        return " ".join(m for m in (self.summary, self.split_note) if m)

    @property
    def split_note(self) -> str:
        """Why split rows kept their categories, or "" when there were none."""
        if not self.split:
            return ""
        if self.split == 1:
            return "1 split transaction was left as it is: edit its split under Row details."
        return (f"{self.split:,} split transactions were left as they are: edit their split "
                "under Row details.")

    @property
    def summary(self) -> str:
        """What the action changed ("Filed 7 transactions under Food › Groceries.")."""
        done = {
            "category": f"Filed {_n(self.changed)} under {self.label}",
            "clear": f"Sent {_n(self.changed)} back for review: the categorizer will suggest a "
                     "category at its next run (see Needs review)",
            "exclude": f"Excluded {_n(self.changed)} from spending and income",
            "include": f"Included {_n(self.changed)} in spending and income",
            "tag": f"Tagged {_n(self.changed)} “{self.label}”",
        }[self.action]
        if self.changed == 0:
            done = "Nothing to change"
        if self.followed:
            done += f", and {_n(self.followed, 'similar uncategorized transaction')} with them"
        already = {"category": "already were there", "clear": "had no category",
                   "exclude": "already were excluded", "include": "already were included",
                   "tag": "already had it"}[self.action]
        notes = [f"{self.unchanged:,} {already}" if self.unchanged else "",
                 f"{self.full:,} already had {MAX_TAGS} tags" if self.full else "",
                 f"{_n(self.missing)} no longer exist" if self.missing else ""]
        notes = [n for n in notes if n]
        return done + (f" ({'; '.join(notes)})" if notes else "") + "."


def _n(count: int, what: str = "transaction") -> str:
    return f"{count:,} {what}{'' if count == 1 else 's'}"


def _unsplit(conn: psycopg.Connection, rows: list[tuple]) -> tuple[list[tuple], int]:
    """``rows`` without the split transactions (whose categories are their parts'), and how
    many were split."""
    ids = [r[0] for r in rows]
    split = {r[0] for r in conn.execute("select distinct transaction_id from public.transaction_splits"
                                        " where transaction_id = any(%s::uuid[])", [ids])} if ids else set()
    return [r for r in rows if r[0] not in split], len(split)


def set_category(conn: psycopg.Connection, ids: Iterable[Any], category_id: Any) -> BulkResult:
    """File the rows of ``ids`` under the leaf ``category_id`` as the user's decisions (split
    rows are left as they are)."""
    if category_id is None:
        raise CorrectionError("choose a category (to clear it, send the rows back for review)")
    check_leaf(conn, category_id)
    wanted = as_uuids(ids)
    found = load_many(conn, wanted)
    rows, split = _unsplit(conn, found)
    todo = [r for r in rows if not (r[2] == "user" and str(r[1]) == str(category_id))]
    change = decide_rows(conn, todo, category_id, "bulk")
    log.info("bulk: %d transaction(s) filed, %d followed, %d split skipped", len(todo),
             change.followed, split)
    return BulkResult("category", len(todo), len(rows) - len(todo), len(wanted) - len(found),
                      change.followed,
                      label=labels_by_id(conn).get(str(category_id), "the category"),
                      split=split, change=change)


def send_back(conn: psycopg.Connection, ids: Iterable[Any]) -> BulkResult:
    """Clear the category of the rows of ``ids`` (each a correction, as clearing one row is;
    split rows are left as they are)."""
    wanted = as_uuids(ids)
    found = load_many(conn, wanted)
    rows, split = _unsplit(conn, found)
    todo = [r for r in rows if r[1] is not None]
    change = decide_rows(conn, todo, None, "bulk")
    log.info("bulk: %d transaction(s) sent back to the categorizer, %d split skipped", len(todo), split)
    return BulkResult("clear", len(todo), len(rows) - len(todo), len(wanted) - len(found), split=split,
                      change=change)


def set_excluded(conn: psycopg.Connection, ids: Iterable[Any], excluded: bool) -> BulkResult:
    """Exclude the rows of ``ids`` from spending and income (``False``: count them again)."""
    wanted = as_uuids(ids)
    found, changed = conn.execute("""
        with sel as (select id, excluded from public.transactions where id = any(%s::uuid[])),
        upd as (update public.transactions t set excluded = %s from sel
                where t.id = sel.id and sel.excluded is distinct from %s returning t.id)
        select (select count(*) from sel), (select coalesce(array_agg(id::text), '{}') from upd)""",
                                  [wanted, bool(excluded), bool(excluded)]).fetchone()
    log.info("bulk: excluded=%s on %d transaction(s)", excluded, len(changed))
    kind = "exclude" if excluded else "include"
    return BulkResult(kind, len(changed), found - len(changed), len(wanted) - found,
                      change=Change(kind, changed_ids=tuple(changed)))


def add_tag(conn: psycopg.Connection, ids: Iterable[Any], tag: str) -> BulkResult:
    """Add ``tag`` to the rows of ``ids`` that do not have it (and have fewer than 20 tags)."""
    clean = (tag or "").strip()
    if not clean or len(clean) > MAX_TAG:
        raise CorrectionError(f"Tag must have 1 to {MAX_TAG} characters")
    wanted = as_uuids(ids)
    found, has, full, changed = conn.execute("""
        with sel as (select id, coalesce(%s = any(tags), false) as has_tag,
                            coalesce(cardinality(tags), 0) >= %s as is_full
                     from public.transactions where id = any(%s::uuid[])),
        upd as (update public.transactions t set tags = array_append(coalesce(t.tags, '{}'), %s)
                from sel where t.id = sel.id and not sel.has_tag and not sel.is_full returning t.id)
        select (select count(*) from sel), (select count(*) from sel where has_tag),
               (select count(*) from sel where is_full and not has_tag),
               (select coalesce(array_agg(id::text), '{}') from upd)""",
                                             [clean, MAX_TAGS, wanted, clean]).fetchone()
    log.info("bulk: tag added to %d transaction(s)", len(changed))
    return BulkResult("tag", len(changed), has, len(wanted) - found, full=full, label=clean,
                      change=Change("tag", changed_ids=tuple(changed), label=clean))


def apply(conn: psycopg.Connection, action: str, ids: Iterable[Any], *, category_id: Any = None,
          tag: str = "") -> BulkResult:
    """The bulk action ``action`` (a key of :data:`ACTIONS`) on ``ids``."""
    if action == "category":
        return set_category(conn, ids, category_id)
    if action == "clear":
        return send_back(conn, ids)
    if action in ("exclude", "include"):
        return set_excluded(conn, ids, action == "exclude")
    if action == "tag":
        return add_tag(conn, ids, tag)
    raise CorrectionError(f"unknown action {action!r} (expected one of {', '.join(ACTIONS)})")

"""Category corrections, "apply to all similar", "always do this" rules, and splits.

A correction takes effect at once: the transaction gets the category with
``category_source = 'user'`` (confidence 1, no longer in review), and a ``corrections`` row
keeps the old and new category for the categorizer to learn from. *Similar* transactions are
the user's other rows with the same merchant key (or, without one, the same description)
that the user has not categorized by hand, that are not split (a split's parts carry its categories)
and that are not already in that category.

:func:`core.correction_writes.follow_rows` files similar rows that wait for a decision at once
(marked ``history``, with an explanation): from the table (:func:`correct_and_follow`) the
uncategorized ones and those in review; from the review queue (:mod:`core.review`) also the
model's other guesses for the merchant. Rows a rule or the model filed confidently are left
for "apply to all similar".

Only leaf categories ("Food › Groceries") can be stored: a group ("Food") is refused with a
:class:`CorrectionError` (the categorizer learns and predicts leaves only). Clearing the
category is not a decision: the row goes back to the categorizer (no category, no source), which
predicts it again at its next run (applied, or in the review queue); nothing follows it.

"Always do this" (a rule from a correction) is in :mod:`core.correction_rules`.

The statements themselves (one row or many) are in :mod:`core.correction_writes`; bulk actions
on many rows in :mod:`core.bulk_edit`. A correction and "apply to all similar" each keep what
they changed (a :class:`core.undo.Change`), so that the page can undo them.

A split spreads one transaction over several categories: the parts must sum exactly to the
transaction's amount; the transaction's own category becomes the category of its largest
part (so reports that read ``transactions.category_id`` stay close), marked as set by the user.
:func:`split_balance` is the editor's running sum while the parts are typed (amount, parts,
left to assign).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import psycopg

from core.categories import leaf_problem
from core.correction_writes import (
    NOT_SPLIT,
    STATE_COLUMNS,
    STATE_NAMES,
    CorrectionError,
    check_leaf,
    load_one,
    similar_where,
)
from core.undo import Change, decide_rows

log = logging.getLogger(__name__)

SPLIT_BY_YOU, SET_BY_YOU = "Split by you", "Set by you"
"""A split transaction's explanation, and what it says once the split is removed."""

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")  # numeric(14, 2) in transaction_splits


@dataclass
class Correction:
    transaction_id: uuid.UUID
    category_id: uuid.UUID | None
    merchant: str
    similar: int  # similar rows still in another category (for "apply to all similar")
    followed: int = 0  # similar rows that waited for a decision and were filed with it
    change: Change | None = None  # what it changed, for its undo (core.undo)

    @property
    def sent_back(self) -> bool:
        """The category was cleared: the row went back to the categorizer."""
        return self.category_id is None


def _tx(conn: psycopg.Connection, tx_id: Any) -> tuple:
    return load_one(conn, tx_id)


def similar_count(conn: psycopg.Connection, tx_id: Any, category_id: Any) -> int:
    """How many other transactions look like this one and are not yet in ``category_id``."""
    return _similar_count(conn, _tx(conn, tx_id), category_id)


def _similar_count(conn: psycopg.Connection, row: tuple, category_id: Any) -> int:
    tx_id, merchant, description = row[0], row[4], row[5]
    where, params = similar_where(merchant, description)
    return conn.execute(f"""
        select count(*) from public.transactions t
        where {where} and t.id <> %s and t.category_source is distinct from 'user'
          and t.category_id is distinct from %s and {NOT_SPLIT}""",
                        [*params, tx_id, category_id]).fetchone()[0]


def correct_category(conn: psycopg.Connection, tx_id: Any, category_id: Any, *,
                     source: str = "table") -> Correction:
    """Set the category of one transaction as the user's decision and record the correction
    (no similar row follows it)."""
    row = _tx(conn, tx_id)
    change = decide_rows(conn, [row], category_id, source, follow=False)
    return _done(conn, row, category_id, change)


def correct_and_follow(conn: psycopg.Connection, tx_id: Any, category_id: Any, *,
                       source: str = "table") -> Correction:
    """A correction from the table: the transaction, and at once its similar uncategorized or
    in-review rows (``followed``); ``similar`` counts the rest, for "apply to all similar"."""
    row = _tx(conn, tx_id)  # looked up once for the correction and the similar rows
    change = decide_rows(conn, [row], category_id, source)  # the same statements as a bulk decision
    return _done(conn, row, category_id, change)


def _done(conn: psycopg.Connection, row: tuple, category_id: Any, change: Change) -> Correction:
    tx_id, merchant = row[0], row[4]
    similar = 0 if category_id is None else _similar_count(conn, row, category_id)
    log.info("correction on %s: %d similar followed, %d left", tx_id, change.followed, similar)
    return Correction(tx_id, category_id, merchant, similar, change.followed, change)


def apply_to_similar(conn: psycopg.Connection, tx_id: Any, category_id: Any) -> Change:
    """Give every similar transaction the same category (each recorded as a 'bulk' correction);
    returns the :class:`~core.undo.Change` (``rows``: how many were filed)."""
    if category_id is None:
        raise CorrectionError("clearing a category is not applied to similar transactions")
    _, _, _, _, merchant, description, _ = _tx(conn, tx_id)
    check_leaf(conn, category_id)
    where, params = similar_where(merchant, description)
    rows = conn.execute(f"""
        with target as (
          select {STATE_COLUMNS} from public.transactions t
          where {where} and t.id <> %s and t.category_source is distinct from 'user'
            and t.category_id is distinct from %s and {NOT_SPLIT}),
        upd as (
          update public.transactions u set category_id = %s, category_source = 'user',
            category_confidence = 1, category_explanation = 'Set by you (applied to similar)',
            needs_review = false
          from target where u.id = target.id returning u.id),
        ins as (
          insert into public.corrections (transaction_id, old_category_id, new_category_id,
                                          old_source, old_confidence, source)
          select target.id, target.category_id, %s, target.category_source,
                 target.category_confidence, 'bulk'
          from target join upd on upd.id = target.id
          returning transaction_id, id::text, created_at)
        select {', '.join('target.' + c for c in STATE_NAMES)},
               ins.id, ins.created_at
        from target join ins on ins.transaction_id = target.id""",
                        [*params, tx_id, category_id, category_id, category_id]).fetchall()
    log.info("applied category to %d similar transaction(s)", len(rows))
    return Change("category", tuple(r[:-2] for r in rows), tuple(str(r[0]) for r in rows),
                  str(category_id), tuple(r[-2] for r in rows), rows[0][-1] if rows else None)


def get_splits(conn: psycopg.Connection, tx_id: Any) -> list[dict[str, Any]]:
    rows = conn.execute("select id, category_id, amount, memo from public.transaction_splits"
                        " where transaction_id = %s order by position, id", [tx_id]).fetchall()
    return [{"id": r[0], "category_id": r[1], "amount": r[2], "memo": r[3]} for r in rows]


def _blank(value: Any) -> bool:
    """A cell nobody filled in: None, NaN (a data editor's new row), pd.NA or only spaces."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        return bool(value != value)  # NaN (float, numpy or Decimal) is not equal to itself
    except (TypeError, ValueError, InvalidOperation):  # pd.NA refuses to be a bool
        return True


def _part_amount(n: int, value: Any) -> Decimal:
    if _blank(value):
        raise CorrectionError(f"part {n}: the amount is missing; enter an amount like -12.50")
    money = _decimal(value)
    try:
        money = money.quantize(CENT) if money is not None else None
    except InvalidOperation:  # infinity, or too many digits to hold cents
        money = None
    if money is None or not money.is_finite():
        shown = repr(value) if isinstance(value, str) else str(value)
        raise CorrectionError(f"part {n}: expected an amount like -12.50, got {shown}")
    if money == 0:
        raise CorrectionError(f"part {n}: the amount must not be zero")
    if abs(money) > MAX_AMOUNT:
        raise CorrectionError(f"part {n}: the amount {money} is too large")
    return money


def _part_category(conn: psycopg.Connection, n: int, value: Any) -> uuid.UUID:
    """A part's category: a leaf of the user's. Every part needs one: a part left without
    would keep the split row in review, under a category the categorizer may replace."""
    if _blank(value):
        raise CorrectionError(f"part {n}: the category is missing; choose one of your categories")
    try:
        cat = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        cat = None
    if cat is None or conn.execute("select 1 from public.categories where id = %s",
                                   [cat]).fetchone() is None:
        raise CorrectionError(f"part {n}: the category {str(value)!r} does not exist (any more)")
    if (problem := leaf_problem(conn, cat)) is not None:
        raise CorrectionError(f"part {n}: {problem}")
    return cat


def split_transaction(conn: psycopg.Connection, tx_id: Any,
                      parts: list[tuple[Any, Any, Any]]) -> int:
    """Replace the transaction's split with ``parts`` = [(category_id, amount, memo), ...].

    Parts are numbered from 1 in the order given (the rows of the page's editor). A part with
    neither a category nor an amount (or a zero amount) is an empty row and is skipped; a
    missing memo (None, NaN) is empty. A part with a category but a missing, zero or invalid
    amount, or with an amount but no category, raises :class:`CorrectionError` naming the part,
    and nothing is written.
    """
    _, _, _, _, _, _, amount = _tx(conn, tx_id)
    clean = []
    for n, (cat, value, memo) in enumerate(parts, start=1):
        if _blank(cat) and (_blank(value) or _is_zero(value)):
            continue  # an empty row, e.g. the data editor's add-row line
        clean.append((_part_category(conn, n, cat), _part_amount(n, value),
                      "" if _blank(memo) else str(memo).strip()[:500]))
    if len(clean) < 2:
        raise CorrectionError("a split needs at least two parts")
    total = sum(p[1] for p in clean)
    if total != amount:
        raise CorrectionError(f"the parts add up to {total}, but the transaction is {amount}; "
                              f"{amount - total} left to assign")
    conn.execute("delete from public.transaction_splits where transaction_id = %s", [tx_id])
    for pos, (cat, money, memo) in enumerate(clean):
        conn.execute("insert into public.transaction_splits (transaction_id, category_id, amount, memo,"
                     " position) values (%s, %s, %s, %s, %s)", [tx_id, cat, money, memo, pos])
    main = max(clean, key=lambda p: abs(p[1]))[0]
    conn.execute("update public.transactions set category_id = %s, category_source = 'user',"
                 " category_confidence = 1, category_explanation = %s, needs_review = false"
                 " where id = %s", [main, SPLIT_BY_YOU, tx_id])
    return len(clean)


def _decimal(value: Any) -> Decimal | None:
    """A cell as a decimal ("-12,50" too), or None when it is not a number."""
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None


def _is_zero(value: Any) -> bool:
    return _decimal(value) == 0


@dataclass(frozen=True)
class SplitBalance:
    """The split editor's running sum: the transaction's ``amount``, what its parts add up to
    (``assigned``) and what is ``left`` to assign (zero: the split can be saved)."""

    amount: Decimal
    assigned: Decimal
    left: Decimal


def split_balance(amount: Any, values: Iterable[Any]) -> SplitBalance:
    """What the parts' amounts ``values``, as typed so far, leave to assign of ``amount``; a
    blank or unreadable cell counts as nothing (saving names it, see :func:`split_transaction`)."""
    whole = (_decimal(amount) or Decimal(0)).quantize(CENT)
    assigned = Decimal("0.00")
    for value in values:
        money = None if _blank(value) else _decimal(value)
        if money is not None and money.is_finite() and abs(money) <= MAX_AMOUNT:
            assigned += money.quantize(CENT)
    return SplitBalance(whole, assigned, whole - assigned)


def remove_split(conn: psycopg.Connection, tx_id: Any) -> int:
    """Delete the transaction's split (returns how many parts). It keeps the category the split
    gave it (its largest part, the user's choice), and its Why no longer says it is split."""
    removed = conn.execute("delete from public.transaction_splits where transaction_id = %s",
                           [tx_id]).rowcount
    conn.execute("update public.transactions set category_explanation = %s"
                 " where id = %s and category_explanation = %s", [SET_BY_YOU, tx_id, SPLIT_BY_YOU])
    return removed

"""The user's own taxonomy, as Settings > Categories edits it: list, create, edit, delete.

Categories are two levels deep: groups (``parent_id is null``) hold categories (leaves); a
transaction, a split part, a rule or a budget uses a category. Every change runs in the
signed-in user's session, so row-level security confines it to their own rows (another user's
category id is "not found"); each one is audited and, through the triggers of migration
``20261206200000_category_management``, marks the user dirty so the job process refits the
categorizer and replans at its next poll.

Names (1-80 characters, spaces collapsed) are unique case-insensitively: a group among the
groups, a category among *all* the user's categories, not only within its group. The
categorizer learns and predicts by category name (``jobs/categorize``), and the review queue
files a suggestion by name, so two categories called "Other" would be one to the model.
"Uncategorized" is reserved: budgets and monthly figures use it for rows without a category.

Renaming and merging live in :mod:`core.category_merge`. A delete is refused while anything
uses the category (:class:`CategoryInUse` says what, and the page offers a merge instead); a
group must be empty. A deleted category leaves the review queue's stored suggestions at once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg

from core import audit
from core.categories import LABEL, SEPARATOR
from core.identity import AuthUser
from core.ids import InvalidId, parse_uuid

log = logging.getLogger(__name__)

KINDS = ("expense", "income", "transfer")
MAX_NAME = 80
RESERVED = ("uncategorized",)
GONE = "This category does not exist (any more)."


class CategoryError(ValueError):
    """A change that cannot be made; the message is one sentence naming the field, ending with a
    full stop ("Category name can't be empty."), so the page can put "Not added." before it."""


@dataclass(frozen=True)
class Usage:
    """What uses a category: the reasons it cannot simply be deleted."""

    transactions: int = 0
    split_parts: int = 0
    rules: int = 0
    budgets: int = 0
    children: int = 0

    @property
    def total(self) -> int:
        return self.transactions + self.split_parts + self.rules + self.budgets + self.children

    def describe(self) -> str:
        """"12 transactions, 1 split part and a budget" (empty when nothing uses it)."""
        parts = [_count(n, word) for n, word in (
            (self.transactions, "transaction"), (self.split_parts, "split part"),
            (self.rules, "rule"), (self.children, "category"))]
        parts = [p for p in parts if p] + (["a budget"] if self.budgets else [])
        if len(parts) <= 1:
            return "".join(parts)
        return ", ".join(parts[:-1]) + " and " + parts[-1]


class CategoryInUse(CategoryError):
    """A delete refused because something still uses the category (``usage``)."""

    def __init__(self, message: str, usage: Usage) -> None:
        super().__init__(message)
        self.usage = usage


@dataclass(frozen=True)
class Category:
    id: uuid.UUID
    parent_id: uuid.UUID | None
    name: str
    kind: str
    is_essential: bool
    group: str | None  # the group's name (None for a group)

    @property
    def is_group(self) -> bool:
        return self.parent_id is None

    @property
    def label(self) -> str:
        return self.name if self.group is None else f"{self.group}{SEPARATOR}{self.name}"


def _count(n: int, word: str) -> str:
    if not n:
        return ""
    plural = "categories" if word == "category" else f"{word}s"
    return f"{n} {word if n == 1 else plural}"


_USAGE = """
    with tx as (select category_id, count(*) as n from public.transactions
                where category_id is not null group by 1),
         sp as (select category_id, count(*) as n from public.transaction_splits
                where category_id is not null group by 1),
         rl as (select a ->> 'category_id' as category_id, count(distinct r.id) as n
                from public.rules r, jsonb_array_elements(
                    case when jsonb_typeof(r.actions) = 'array' then r.actions else '[]' end) a
                where a ->> 'type' = 'set_category' group by 1),
         bd as (select category_id, count(*) as n from public.budgets group by 1),
         ch as (select parent_id, count(*) as n from public.categories
                where parent_id is not null group by 1)
    select c.id, c.parent_id, c.name, c.kind, c.is_essential, p.name, """ + LABEL + """,
           coalesce(tx.n, 0)::int, coalesce(sp.n, 0)::int, coalesce(rl.n, 0)::int,
           coalesce(bd.n, 0)::int, coalesce(ch.n, 0)::int
    from public.categories c
    left join public.categories p on p.id = c.parent_id
    left join tx on tx.category_id = c.id
    left join sp on sp.category_id = c.id
    left join rl on rl.category_id = c.id::text
    left join bd on bd.category_id = c.id
    left join ch on ch.parent_id = c.id"""

COLUMNS = ["id", "parent_id", "name", "kind", "is_essential", "group", "label", "transactions",
           "split_parts", "rules", "budgets", "children"]


def overview(conn: psycopg.Connection) -> pd.DataFrame:
    """Every category of the signed-in user, each group followed by its categories, with a
    ``label`` ("Food › Groceries"), ``is_group`` and what uses each one."""
    rows = conn.execute(_USAGE + " order by lower(coalesce(p.name, c.name)),"
                        " coalesce(p.id, c.id), c.parent_id nulls first, lower(c.name)").fetchall()
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["is_group"] = frame["parent_id"].isna()
    return frame


def usage(conn: psycopg.Connection, category_id: Any) -> Usage:
    """What uses one category (the user's own rows only)."""
    cid = _uuid(category_id)
    row = conn.execute(_USAGE + " where c.id = %s", [cid]).fetchone()
    if row is None:
        raise CategoryError(GONE)
    return Usage(*row[7:])


def get(conn: psycopg.Connection, category_id: Any, *, lock: bool = False) -> Category:
    """One of the user's categories (RLS: another user's id is not found)."""
    cid = _uuid(category_id)
    row = conn.execute("select c.id, c.parent_id, c.name, c.kind, c.is_essential,"
                       " (select p.name from public.categories p where p.id = c.parent_id)"
                       " from public.categories c where c.id = %s"
                       + (" for update" if lock else ""), [cid]).fetchone()
    if row is None:
        raise CategoryError(GONE)
    return Category(*row)


def _uuid(value: Any) -> uuid.UUID:
    """A category id; one that does not parse is, to the user, a category that does not exist."""
    try:
        return parse_uuid(value, "category id")
    except InvalidId as exc:
        log.info("refused: %s", exc)
        raise CategoryError(GONE) from exc


def _noun(group: bool) -> str:
    return "Group" if group else "Category"


def clean_name(name: Any, *, group: bool = False) -> str:
    """A category's (``group``'s) name as stored (spaces collapsed), or :class:`CategoryError`."""
    clean, noun = " ".join(str(name or "").split()), _noun(group)
    if not clean:
        raise CategoryError(f"{noun} name can't be empty.")
    if len(clean) > MAX_NAME:
        raise CategoryError(f"{noun} name can't be longer than {MAX_NAME} characters "
                            f"({len(clean)} given).")
    if clean.lower() in RESERVED:
        raise CategoryError(f"{noun} name {clean!r} is reserved for transactions without a category.")
    return clean


def check_unique(conn: psycopg.Connection, name: str, *, group: bool,
                  parent: Category | None = None, exclude: uuid.UUID | None = None) -> None:
    if group:
        row = conn.execute("select name from public.categories where parent_id is null"
                           " and lower(name) = lower(%s) and id is distinct from %s",
                           [name, exclude]).fetchone()
        if row:
            raise CategoryError(f"Group name {name!r} is taken: you already have a group called "
                                f"{row[0]!r}.")
        return
    row = conn.execute("""
        select c.name, p.id, p.name from public.categories c
        join public.categories p on p.id = c.parent_id
        where lower(c.name) = lower(%s) and c.id is distinct from %s
        order by p.id = %s desc limit 1""",
                       [name, exclude, parent.id if parent else None]).fetchone()
    if row is None:
        return
    if parent is not None and row[1] == parent.id:
        raise CategoryError(f"Category name {name!r} is taken: {row[2]} already has a category "
                            f"called {row[0]!r}.")
    raise CategoryError(f"Category name {name!r} is taken: you already have a category called "
                        f"{row[0]!r} (in {row[2]}); category names must differ so that the "
                        "categorizer can tell them apart.")


def _kind(kind: Any) -> str:
    if kind not in KINDS:
        raise CategoryError(f"Kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    return str(kind)


def _insert(conn: psycopg.Connection, parent: uuid.UUID | None, name: str, kind: str,
            essential: bool) -> uuid.UUID:
    try:
        with conn.transaction():  # a savepoint: a lost race is a message, not a dead session
            return conn.execute("insert into public.categories (parent_id, name, kind, is_essential)"
                                " values (%s, %s, %s, %s) returning id",
                                [parent, name, kind, essential]).fetchone()[0]
    except psycopg.errors.UniqueViolation as exc:
        raise CategoryError(f"{_noun(parent is None)} name {name!r} is taken.") from exc


def create_group(conn: psycopg.Connection, user: AuthUser, name: str, kind: str = "expense",
                 is_essential: bool = False) -> uuid.UUID:
    """A new, empty group; returns its id."""
    clean, kind = clean_name(name, group=True), _kind(kind)
    check_unique(conn, clean, group=True)
    cid = _insert(conn, None, clean, kind, bool(is_essential))
    audit.record(conn, user, "category_created", {"id": str(cid), "name": clean, "group": True})
    return cid


def create_category(conn: psycopg.Connection, user: AuthUser, group_id: Any, name: str,
                    kind: str | None = None, *, is_essential: bool | None) -> uuid.UUID:
    """A new category under one of the user's groups; returns its id. The kind defaults to the
    group's; ``is_essential`` must be given (the page shows it set to the group's flag before
    adding), and only ``None`` takes the group's flag."""
    parent = get(conn, group_id)
    if not parent.is_group:
        raise CategoryError(f"Group {parent.label!r} is a category, not a group; choose a group.")
    clean = clean_name(name)
    kind = _kind(parent.kind if kind is None else kind)
    check_unique(conn, clean, group=False, parent=parent)
    essential = parent.is_essential if is_essential is None else bool(is_essential)
    cid = _insert(conn, parent.id, clean, kind, essential)
    audit.record(conn, user, "category_created",
                 {"id": str(cid), "name": clean, "group_name": parent.name})
    return cid


def update_leaf(conn: psycopg.Connection, user: AuthUser, category_id: Any, *, kind: str,
                is_essential: bool) -> None:
    """A category's kind (expense / income / transfer) and whether it is essential spending."""
    cat = get(conn, category_id, lock=True)
    if cat.is_group:
        raise CategoryError(f"{cat.name!r} is a group: kind and essential are set per category.")
    kind = _kind(kind)
    if (kind, bool(is_essential)) == (cat.kind, cat.is_essential):
        return
    conn.execute("update public.categories set kind = %s, is_essential = %s where id = %s",
                 [kind, bool(is_essential), cat.id])
    audit.record(conn, user, "category_updated", {"id": str(cat.id), "kind": kind,
                                                  "is_essential": bool(is_essential)})


def delete(conn: psycopg.Connection, user: AuthUser, category_id: Any) -> str:
    """Delete a category nothing uses, or an empty group; returns its label."""
    cat = get(conn, category_id, lock=True)
    used = usage(conn, cat.id)
    if used.children:
        raise CategoryInUse(f"{cat.name} still holds {used.describe()}: merge or delete "
                            "them first.", used)
    if used.total:
        raise CategoryInUse(f"{cat.label} is used by {used.describe()}; merge it into another "
                            "category instead.", used)
    conn.execute("delete from public.categories where id = %s", [cat.id])
    if not cat.is_group:
        drop_from_suggestions(conn, cat.name)
    audit.record(conn, user, "category_deleted", {"id": str(cat.id), "name": cat.name,
                                                  "group": cat.is_group})
    return cat.label


_SUGGESTED = """t.category_suggestions is not null and jsonb_typeof(t.category_suggestions) = 'array'
    and t.category_suggestions @> jsonb_build_array(jsonb_build_object('category', %(old)s::text))"""


def drop_from_suggestions(conn: psycopg.Connection, old: str) -> int:
    """Remove a deleted category from the stored suggestions."""
    return conn.execute(f"""
        update public.transactions t set category_suggestions = coalesce((
            select jsonb_agg(e order by i)
            from jsonb_array_elements(t.category_suggestions) with ordinality as x(e, i)
            where e ->> 'category' is distinct from %(old)s), '[]'::jsonb)
        where {_SUGGESTED}""", {"old": old}).rowcount

"""The user's categories as the pages offer them, and the leaf check that guards every write.

Categories are two levels deep: groups (``parent_id is null``, e.g. "Housing") and leaves
("Housing › Rent & Mortgage"). A transaction is filed, split or set by a rule under a *leaf*
only: the categorizer learns from and predicts leaves (``jobs/categorize``), so a row filed
under a group would teach it nothing and be re-predicted at the next run. Groups remain
useful to filter (a group includes its leaves) and to budget.

* :func:`category_options`: every category, groups included, for filters and display.
* :func:`leaf_options`: only leaves, for the pickers that file a transaction or set a rule.
* :func:`leaf_problem`: why a category id cannot be stored on a transaction (a group, or
  gone), or ``None``; :mod:`core.corrections` and :mod:`core.rules_store` raise their own
  domain error with it.
* :func:`labels_by_id`: "Group › Leaf" per id, to show stored ids readably.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import psycopg

from core.ids import InvalidId, parse_uuid

log = logging.getLogger(__name__)

SEPARATOR = " › "
"""Between a group's and a category's name in a label ("Food › Groceries")."""
LABEL = f"case when p.id is null then c.name else p.name || '{SEPARATOR}' || c.name end"
"""SQL: the display label of category ``c`` with its parent ``p`` (left joined)."""

_ALL = f"""select c.id, {LABEL} as label, p.id is not null as leaf
           from public.categories c left join public.categories p on p.id = c.parent_id
           order by coalesce(p.name, c.name), p.id nulls first, c.name"""


def category_options(conn: psycopg.Connection) -> list[tuple[uuid.UUID, str]]:
    """(id, "Group › Leaf") for every category, groups too ("Food"), in display order."""
    return [(r[0], r[1]) for r in conn.execute(_ALL).fetchall()]


def leaf_options(conn: psycopg.Connection) -> list[tuple[uuid.UUID, str]]:
    """(id, "Group › Leaf") for the categories a transaction can be filed under, in order."""
    return [(r[0], r[1]) for r in conn.execute(_ALL).fetchall() if r[2]]


def labels_by_id(conn: psycopg.Connection) -> dict[str, str]:
    """{str(id): "Group › Leaf"} for every category."""
    return {str(cid): label for cid, label in category_options(conn)}


def leaf_problem(conn: psycopg.Connection, category_id: Any) -> str | None:
    """Why ``category_id`` cannot be stored as a transaction's category, or ``None`` if it can.

    A group is refused with its name and an example of its leaves ("'Housing' is a group of
    categories; choose one of its categories, such as Housing › Rent & Mortgage")."""
    try:
        cid = parse_uuid(category_id, "category id")
    except InvalidId as exc:
        log.info("refused: %s", exc)
        return "the chosen category does not exist"
    row = conn.execute("""
        select c.name, c.parent_id is not null,
               (select k.name from public.categories k where k.parent_id = c.id
                order by k.name limit 1)
        from public.categories c where c.id = %s""", [cid]).fetchone()
    if row is None:
        return "the chosen category does not exist (any more)"
    name, leaf, child = row
    if leaf:
        return None
    example = f", such as {name} › {child}" if child else ""
    log.info("refused group category %s", cid)
    return f"'{name}' is a group of categories; choose one of its categories{example}"

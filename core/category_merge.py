"""Renaming and merging categories: the names and references that follow, in one transaction.

:func:`rename` changes a category's or group's name (ids do not change, so everything stays
attached); what carries the old *name* follows at once: the review queue's stored suggestions,
rule names made by "Always do this" ("TESCO → Food › Groceries") and the explanations of the
rows those rules filed; budget status and budget alerts through the trigger of migration
``20261206200000_category_management``. Explanations of model guesses are rewritten when the
job refits (the update marks the user dirty; the categorizer learns by name).

:func:`merge` moves everything that uses category A to category B, then deletes A:

* transactions and split parts (``category_id``), keeping who decided each one;
* rules whose action sets A (their ``actions`` JSON), and their names as above;
* A's budget: moved to B, or added to B's (a weekly amount counts x 52 / 12 a month, as the
  planner counts it);
* the user's corrections (old and new category), so the categorizer learns B from every
  decision that named A;
* the review queue's stored suggestions: A's probability is added to B's.

A's budget status row goes with A (the migration's cascade); the job recomputes B's figures at
its next poll. Everything runs under the user's row-level security: an id of another user's
category is "not found" and nothing of theirs is touched.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import psycopg

from core import audit
from core.category_admin import SEPARATOR, CategoryError, check_unique, clean_name, get
from core.identity import AuthUser
from core.rules import MAX_NAME as MAX_RULE_NAME
from core.rules import same_name

log = logging.getLogger(__name__)

ARROW = " → "
WEEKS_PER_MONTH = Decimal(52) / Decimal(12)


@dataclass(frozen=True)
class MergeResult:
    source: str  # label of the merged (deleted) category
    target: str  # label of the category that now holds everything
    transactions: int = 0
    split_parts: int = 0
    rules: int = 0
    corrections: int = 0
    budget: str = ""  # "", "moved", "added" (to the target's)

    def describe(self) -> str:
        """"Moved 12 transactions and 1 rule from Food › Coffee to Food › Restaurants."""
        parts = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in (
            (self.transactions, "transaction"), (self.split_parts, "split part"),
            (self.rules, "rule")) if n]
        parts += {"moved": ["its budget"], "added": ["its budget (added to the target's)"]
                  }.get(self.budget, [])
        what = (", ".join(parts[:-1]) + " and " + parts[-1]) if len(parts) > 1 else \
            (parts[0] if parts else "nothing")
        return f"Moved {what} from {self.source} to {self.target}; {self.source} is deleted."


def rename(conn: psycopg.Connection, user: AuthUser, category_id: Any, name: str) -> str:
    """Rename a category or a group (same rules as a new name); returns the stored name."""
    cat = get(conn, category_id, lock=True)
    clean = clean_name(name, group=cat.is_group)
    parent = None if cat.is_group else get(conn, cat.parent_id)
    check_unique(conn, clean, group=cat.is_group, parent=parent, exclude=cat.id)
    if clean == cat.name:
        return clean
    conn.execute("update public.categories set name = %s where id = %s", [clean, cat.id])
    if cat.is_group:  # its categories' labels change: "Food › Groceries" -> "Meals › Groceries"
        for kid, leaf in conn.execute("select id, name from public.categories"
                                      " where parent_id = %s", [cat.id]).fetchall():
            relabel_rules(conn, kid, [f"{cat.name}{SEPARATOR}{leaf}"], f"{clean}{SEPARATOR}{leaf}")
    else:
        rename_in_suggestions(conn, cat.name, clean)
        relabel_rules(conn, cat.id, [cat.label, cat.name], replace(cat, name=clean).label)
    audit.record(conn, user, "category_renamed", {"id": str(cat.id), "from": cat.name,
                                                  "to": clean, "group": cat.is_group})
    log.info("category %s renamed", cat.id)
    return clean


def rename_in_suggestions(conn: psycopg.Connection, old: str, new: str) -> int:
    """Rename a category in the stored suggestions (names, as the job wrote them)."""
    return conn.execute("""
        update public.transactions t set category_suggestions = (
            select jsonb_agg(case when e ->> 'category' = %(old)s
                                  then jsonb_set(e, '{category}', to_jsonb(%(new)s::text))
                                  else e end order by i)
            from jsonb_array_elements(t.category_suggestions) with ordinality as x(e, i))
        where jsonb_typeof(t.category_suggestions) = 'array'
          and t.category_suggestions @> jsonb_build_array(jsonb_build_object('category',
                                                                             %(old)s::text))""",
                        {"old": old, "new": new}).rowcount


def merge(conn: psycopg.Connection, user: AuthUser, source_id: Any, target_id: Any) -> MergeResult:
    """Move everything of category ``source_id`` to ``target_id``, then delete the source."""
    source, target = get(conn, source_id, lock=True), get(conn, target_id, lock=True)
    if source.id == target.id:
        raise CategoryError("Merge target must be another category: choose one to merge into.")
    if target.is_group:
        raise CategoryError(f"Merge target {target.name!r} is a group; merge into one of its "
                            "categories.")
    if conn.execute("select 1 from public.categories where parent_id = %s limit 1",
                    [source.id]).fetchone():
        raise CategoryError(f"Category {source.name!r} is a group that still holds categories; "
                            "merge or move those first.")
    src, dst = str(source.id), str(target.id)
    moved = conn.execute("update public.transactions set category_id = %s where category_id = %s",
                         [dst, src]).rowcount
    parts = conn.execute("update public.transaction_splits set category_id = %s"
                         " where category_id = %s", [dst, src]).rowcount
    rules = _move_rules(conn, src, dst)
    corrections = conn.execute("""
        update public.corrections set
            new_category_id = case when new_category_id = %(a)s then %(b)s else new_category_id end,
            old_category_id = case when old_category_id = %(a)s then %(b)s else old_category_id end
        where new_category_id = %(a)s or old_category_id = %(a)s""", {"a": src, "b": dst}).rowcount
    budget = _move_budget(conn, src, dst)
    merge_in_suggestions(conn, source.name, target.name)
    relabel_rules(conn, target.id, [source.label, source.name], target.label)
    conn.execute("delete from public.categories where id = %s", [src])
    result = MergeResult(source.label, target.label, moved, parts, rules, corrections, budget)
    audit.record(conn, user, "category_merged", {
        "from": src, "from_name": source.name, "into": dst, "into_name": target.name,
        "transactions": moved, "split_parts": parts, "rules": rules,
        "corrections": corrections, "budget": budget})
    log.info("category %s merged into %s: %s", src, dst, result)
    return result


def _move_rules(conn: psycopg.Connection, src: str, dst: str) -> int:
    return conn.execute("""
        update public.rules r set actions = (
            select jsonb_agg(case when a ->> 'type' = 'set_category' and a ->> 'category_id' = %(a)s
                                  then jsonb_set(a, '{category_id}', to_jsonb(%(b)s::text))
                                  else a end order by i)
            from jsonb_array_elements(r.actions) with ordinality as x(a, i))
        where jsonb_typeof(r.actions) = 'array'
          and r.actions @> jsonb_build_array(jsonb_build_object('type', 'set_category',
                                                                'category_id', %(a)s::text))""",
                        {"a": src, "b": dst}).rowcount


def _monthly(amount: Decimal, period: str) -> Decimal:
    return amount * WEEKS_PER_MONTH if period == "weekly" else amount


def _move_budget(conn: psycopg.Connection, src: str, dst: str) -> str:
    rows = dict((str(r[0]), r[1:]) for r in conn.execute(
        "select category_id, id, amount, period from public.budgets where category_id = any(%s)",
        [[src, dst]]).fetchall())
    if src not in rows:
        return ""
    if dst not in rows:
        conn.execute("update public.budgets set category_id = %s, updated_at = now() where id = %s",
                     [dst, rows[src][0]])
        return "moved"
    (a_id, a_amount, a_period), (b_id, b_amount, b_period) = rows[src], rows[dst]
    extra = _monthly(a_amount, a_period)
    extra = extra / WEEKS_PER_MONTH if b_period == "weekly" else extra
    conn.execute("update public.budgets set amount = %s, updated_at = now() where id = %s",
                 [(b_amount + extra).quantize(Decimal("0.01")), b_id])
    conn.execute("delete from public.budgets where id = %s", [a_id])
    return "added"


def merge_in_suggestions(conn: psycopg.Connection, old: str, new: str) -> int:
    """In the stored suggestions, ``old`` becomes ``new`` (their probabilities added, most
    likely first)."""
    return conn.execute("""
        update public.transactions t set category_suggestions = (
            select jsonb_agg(jsonb_build_object('category', s.name, 'confidence', s.conf)
                             order by s.conf desc, s.first)
            from (select case when e ->> 'category' = %(old)s then %(new)s else e ->> 'category'
                         end as name,
                         round(least(coalesce(sum((e ->> 'confidence')::numeric), 0), 1), 4) as conf,
                         min(i) as first
                  from jsonb_array_elements(t.category_suggestions) with ordinality as x(e, i)
                  group by 1) s)
        where jsonb_typeof(t.category_suggestions) = 'array'
          and t.category_suggestions @> jsonb_build_array(jsonb_build_object('category',
                                                                             %(old)s::text))""",
                        {"old": old, "new": new}).rowcount


def relabel_rules(conn: psycopg.Connection, category_id: Any, old_labels: list[str],
                  new_label: str) -> int:
    """Rules that "Always do this" named after a category ("TESCO → Food › Groceries", or
    "TESCO → Groceries"; with " (2)" when the name was taken) follow its new label unless
    another rule already has that name; so do the explanations of the rows they filed
    ("Rule: <name>"). Only rules that set ``category_id`` are looked at; rules the user named
    otherwise keep their names."""
    labels = sorted(set(old_labels), key=len, reverse=True)
    pattern = re.compile(f"^(.*){re.escape(ARROW)}(?:{'|'.join(map(re.escape, labels))})"
                         r"(?P<n> \(\d+\))?$")
    conn.execute("select pg_advisory_xact_lock(hashtextextended("
                 "'rules:' || coalesce((select auth.uid())::text, ''), 0))")  # as rules_store
    rules = conn.execute("""
        select id, name, actions @> jsonb_build_array(jsonb_build_object(
                   'type', 'set_category', 'category_id', %s::text))
        from public.rules""", [str(category_id)]).fetchall()
    taken = [name for _, name, _ in rules]
    changed = 0
    for rule_id, name, sets_it in rules:
        found = pattern.match(name) if sets_it else None
        if not found:
            continue
        renamed = f"{found.group(1)}{ARROW}{new_label}{found.group('n') or ''}"
        if len(renamed) > MAX_RULE_NAME or any(same_name(t, renamed) for t in taken if t != name):
            continue
        conn.execute("update public.rules set name = %s where id = %s", [renamed, rule_id])
        conn.execute("update public.transactions set category_explanation = %s"
                     " where category_source = 'rule' and category_explanation = %s",
                     [f"Rule: {renamed}", f"Rule: {name}"])
        taken = [renamed if t == name else t for t in taken]
        changed += 1
    if changed:
        log.info("%d rule name(s) follow the category's new label", changed)
    return changed

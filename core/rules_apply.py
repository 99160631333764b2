"""Rules applied to existing transactions: preview a rule (saved or not), apply one saved rule
or all of them retroactively.

Every function takes a connection inside the user's session (RLS). Preview and apply use the
same plan (:func:`plan_changes`), so "this rule would change 37 transactions" is the number
that applying it changes. A category the user set by hand (``category_source = 'user'``) is
never overwritten by a rule; rules otherwise take precedence over the model. A preview needs
no name; its sample is readable (date, description, amount, and for each thing the rule does
the current and the new value, categories as "Group › Leaf"). Saving, listing and deleting
rules: :mod:`core.rules_store`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import psycopg

from core.categories import labels_by_id
from core.rules import (
    Compiled,
    RowView,
    Rule,
    RuleError,
    compile_rule,
    compile_rules,
    evaluate,
    validate_rule,
)
from core.rules_store import check_category, list_rules

log = logging.getLogger(__name__)

_ROWS = """select id, date, amount, description, coalesce(merchant, ''), coalesce(payee, ''),
                  account_id, category_id, category_source, tags, is_transfer, excluded
           from public.transactions t"""


@dataclass
class Change:
    """New values for one transaction (``None`` = leave as is)."""

    id: uuid.UUID
    description: str = ""
    category_id: str | None = None
    explanation: str | None = None
    merchant: str | None = None
    tags: list[str] | None = None
    is_transfer: bool | None = None
    excluded: bool | None = None


@dataclass
class Preview:
    """How many transactions a rule matches and would change, with a few examples."""

    matched: int
    changed: int
    sample: list[dict[str, Any]] = field(default_factory=list)


def plan_changes(rows: Iterable[Sequence[Any]], rules: Sequence[Compiled],
                 only: str | None = None) -> tuple[int, list[Change]]:
    """(rows matched, changes) for transaction rows in the ``_ROWS`` column order.

    With ``only`` (a rule key), just the fields that rule decides, on the rows it matches.
    """
    matched, changes = 0, []
    for tx_id, date, amount, desc, merchant, payee, account, cat, source, tags, transfer, excl in rows:
        out = evaluate(rules, RowView(desc, merchant, payee, amount, str(account), date))
        if not out.matched or (only is not None and only not in out.matched):
            continue
        matched += 1
        ch = Change(tx_id, description=desc)
        by = out.category_by
        if by is not None and (only is None or by.key == only) and source != "user" \
                and str(cat) != by.category_id:
            ch.category_id, ch.explanation = by.category_id, f"Rule: {by.rule.name}"
        if out.merchant_by and (only is None or out.merchant_by == only) and merchant != out.merchant:
            ch.merchant = out.merchant
        current = list(tags or [])
        extra = [t for t, key in out.tags if (only is None or key == only) and t not in current]
        if extra:
            ch.tags = current + list(dict.fromkeys(extra))
        if (out.transfer_by if only is None else only in out.transfer_by) and not transfer:
            ch.is_transfer = True
        if (out.exclude_by if only is None else only in out.exclude_by) and not excl:
            ch.excluded = True
        if any(v is not None for v in (ch.category_id, ch.merchant, ch.tags, ch.is_transfer, ch.excluded)):
            changes.append(ch)
    return matched, changes


def write_changes(conn: psycopg.Connection, changes: Sequence[Change]) -> int:
    """Apply planned changes in one statement; returns rows updated."""
    if not changes:
        return 0
    cur = conn.execute("""
        update public.transactions t set
          category_id = case when v.cat is not null then v.cat else t.category_id end,
          category_source = case when v.cat is not null then 'rule' else t.category_source end,
          category_confidence = case when v.cat is not null then 1 else t.category_confidence end,
          category_explanation = case when v.cat is not null then v.expl else t.category_explanation end,
          needs_review = case when v.cat is not null then false else t.needs_review end,
          merchant = coalesce(v.merchant, t.merchant),
          tags = case when v.tags is null then t.tags else string_to_array(v.tags, E'\\x1f') end,
          is_transfer = coalesce(v.transfer, t.is_transfer),
          excluded = coalesce(v.excluded, t.excluded)
        from unnest(%s::uuid[], %s::uuid[], %s::text[], %s::text[], %s::text[], %s::bool[], %s::bool[])
          as v(id, cat, expl, merchant, tags, transfer, excluded)
        where t.id = v.id""", [
        [c.id for c in changes], [c.category_id for c in changes], [c.explanation for c in changes],
        [c.merchant for c in changes],
        [None if c.tags is None else "\x1f".join(c.tags) for c in changes],
        [c.is_transfer for c in changes], [c.excluded for c in changes]])
    return cur.rowcount


def _prefilter(rule: Rule) -> tuple[str, list[Any]]:
    """SQL narrowing for an ``all`` rule's account/date/amount conditions (same semantics)."""
    if rule.match_mode != "all":
        return "", []
    where, params = [], []
    for cond in rule.conditions:
        value = cond.get("value")
        if cond.get("field") == "account":
            where.append("t.account_id::text = any(%s)")
            params.append([str(v) for v in (value if isinstance(value, list) else [value])])
        elif cond.get("field") == "date" and isinstance(value, dict):
            for key, op in (("from", ">="), ("to", "<=")):
                if value.get(key):
                    where.append(f"t.date {op} %s::date")
                    params.append(str(value[key]))
    return (" where " + " and ".join(where)) if where else "", params


def _rules_with(conn: psycopg.Connection, rule: Rule,
                compiled: Compiled | None = None) -> tuple[list[Compiled], str]:
    """All the user's enabled rules plus ``rule`` (replacing its stored version), in order."""
    compiled = compiled or compile_rule(replace(rule, enabled=True))
    others = [r for r in list_rules(conn) if rule.id is None or r.id != rule.id]
    ordered = compile_rules(others)
    ordered.append(compiled)
    ordered.sort(key=lambda c: (c.rule.priority, c.rule.name.casefold(), c.key))
    return ordered, compiled.key


def preview_rule(conn: psycopg.Connection, rule: Rule, *, sample: int = 10) -> Preview:
    """What saving and applying ``rule`` (saved or not) would do to existing transactions.

    The rule is validated like a save, except that it needs no name (an unnamed rule sorts
    before named rules of the same priority). Raises :class:`RuleError` with a message."""
    compiled = validate_rule(replace(rule, enabled=True), require_name=False)
    check_category(conn, compiled)
    ordered, key = _rules_with(conn, rule, compiled)
    where, params = _prefilter(rule)
    matched, changes = plan_changes(conn.execute(_ROWS + where, params), ordered, only=key)
    return Preview(matched=matched, changed=len(changes),
                   sample=_readable(conn, rule, changes[:sample]))


def _readable(conn: psycopg.Connection, rule: Rule, changes: Sequence[Change]) -> list[dict[str, Any]]:
    """The sample as the user reads it: date, description, amount, then for each thing the rule
    does the current value and the new one (categories as "Group › Leaf"; "(no change)" where
    this row keeps its value, e.g. a category the user set by hand)."""
    if not changes:
        return []
    does = {a.get("type") for a in rule.actions}
    labels = labels_by_id(conn)
    current = {r[0]: r[1:] for r in conn.execute(
        "select id, date, amount, category_id, coalesce(merchant, ''), tags from public.transactions"
        " where id = any(%s)", [[c.id for c in changes]])}
    keep = "(no change)"
    rows = []
    for c in changes:
        date, amount, cat, merchant, tags = current[c.id]
        row: dict[str, Any] = {"date": date, "description": c.description, "amount": amount}
        if "set_category" in does:
            row["category"] = labels.get(str(cat), "—") if cat else "—"
            row["new category"] = labels.get(str(c.category_id), "—") if c.category_id else keep
        if "set_merchant" in does:
            row["merchant"], row["new merchant"] = merchant or "—", c.merchant or keep
        if "add_tag" in does:
            row["tags"] = ", ".join(tags or []) or "—"
            row["new tags"] = ", ".join(c.tags) if c.tags is not None else keep
        if "mark_transfer" in does:
            row["transfer"] = "yes" if c.is_transfer else keep
        if "exclude" in does:
            row["excluded"] = "yes" if c.excluded else keep
        rows.append(row)
    return rows


def apply_rule(conn: psycopg.Connection, rule_id: uuid.UUID | str) -> int:
    """Apply one saved, enabled rule to every existing transaction it matches; returns rows
    changed (a disabled rule: :class:`RuleError`)."""
    rules = list_rules(conn)
    rule = next((r for r in rules if str(r.id) == str(rule_id)), None)
    if rule is None:
        raise RuleError("this rule no longer exists")
    if not rule.enabled:
        raise RuleError("it is disabled; enable it first")
    ordered, key = _rules_with(conn, rule)
    where, params = _prefilter(rule)
    _, changes = plan_changes(conn.execute(_ROWS + where, params), ordered, only=key)
    n = write_changes(conn, changes)
    log.info("rule %s applied retroactively to %d transaction(s)", rule_id, n)
    return n


def apply_all_rules(conn: psycopg.Connection) -> int:
    """Re-run every enabled rule over all of the user's transactions; returns rows changed."""
    _, changes = plan_changes(conn.execute(_ROWS), compile_rules(list_rules(conn)))
    return write_changes(conn, changes)

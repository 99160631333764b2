"""Changes to saved rules from the Rules tab's list: turn a rule on or off, set its priority,
move it up or down the order.

A disabled rule is kept but not applied: not on import (:func:`core.rules.compile_rules` skips
it), not by "apply all rules", and "Apply to existing" refuses it
(:func:`core.rules_apply.apply_rule`). The order is the order rules run in: ascending priority
(0 to 1,000,000, checked as on save), then name. Moving a rule gives it a priority between its
new neighbours (the one it jumped over keeps its own); when there is no whole number between
them (equal priorities), every rule is renumbered 10, 20, 30, ... in the new order.

Everything runs in the user's session (RLS): another user's rule is not found and the change
is refused with :class:`RuleError` ("this rule no longer exists"), as for a deleted rule.
Editing a whole rule goes through :func:`core.rules_store.save_rule` with its id.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import psycopg

from core.ids import InvalidId, parse_uuid
from core.rules import MAX_PRIORITY, MIN_PRIORITY, RuleError, check_priority

log = logging.getLogger(__name__)

STEP = 10


def lock_rules(conn: psycopg.Connection) -> None:
    """Take the user's rules lock to the end of the transaction, so that two changes that read
    the rules before writing (a name check, a move) take turns."""
    conn.execute("select pg_advisory_xact_lock(hashtextextended("
                 "'rules:' || coalesce((select auth.uid())::text, ''), 0))")


def _rule_id(rule_id: Any) -> uuid.UUID:
    try:
        return parse_uuid(rule_id, "rule id")
    except InvalidId as exc:
        log.info("refused: %s", exc)
        raise RuleError("this rule no longer exists") from exc


def _update(conn: psycopg.Connection, rule_id: Any, column: str, value: Any) -> None:
    if column not in ("enabled", "priority"):
        raise ValueError(column)
    row = conn.execute(f"update public.rules set {column} = %s where id = %s returning id",
                       [value, _rule_id(rule_id)]).fetchone()
    if row is None:
        raise RuleError("this rule no longer exists")


def set_enabled(conn: psycopg.Connection, rule_id: Any, enabled: bool) -> None:
    """Turn a rule on (applied on import and by "Apply") or off (kept, not applied)."""
    _update(conn, rule_id, "enabled", bool(enabled))
    log.info("rule %s %s", rule_id, "enabled" if enabled else "disabled")


def set_priority(conn: psycopg.Connection, rule_id: Any, priority: Any) -> int:
    """Give a rule a new priority (a whole number from 0 to 1,000,000, else :class:`RuleError`
    naming the priority); returns it."""
    value = check_priority(priority)
    _update(conn, rule_id, "priority", value)
    log.info("rule %s now has priority %d", rule_id, value)
    return value


def _order(conn: psycopg.Connection) -> list[tuple[uuid.UUID, int, str]]:
    """(id, priority, name) of the user's rules in the order they run (as compile_rules)."""
    rows = conn.execute("select id, priority, name from public.rules").fetchall()
    return sorted(rows, key=lambda r: (r[1], r[2].casefold(), str(r[0])))


def move_rule(conn: psycopg.Connection, rule_id: Any, step: int) -> int | None:
    """Move a rule one place earlier (``step=-1``) or later (``+1``) in the order; returns its
    new priority, or ``None`` when it already is first (last)."""
    if step not in (-1, 1):
        raise ValueError("step must be -1 or 1")
    lock_rules(conn)
    order = _order(conn)
    wanted = _rule_id(rule_id)
    at = next((i for i, r in enumerate(order) if r[0] == wanted), None)
    if at is None:
        raise RuleError("this rule no longer exists")
    to = at + step
    if not 0 <= to < len(order):
        return None
    moved = order.pop(at)
    order.insert(to, moved)
    low = max(order[to - 1][1] + 1 if to > 0 else MIN_PRIORITY, MIN_PRIORITY)
    high = min(order[to + 1][1] - 1 if to + 1 < len(order) else MAX_PRIORITY, MAX_PRIORITY)
    if low <= high:  # next to the rule it jumped over
        priority = high if step < 0 else low
        _update(conn, wanted, "priority", priority)
        log.info("rule %s moved %s to priority %d", wanted, "up" if step < 0 else "down", priority)
        return priority
    step_size = STEP if len(order) * STEP <= MAX_PRIORITY else max(1, MAX_PRIORITY // len(order))
    numbers = [MIN_PRIORITY + step_size * (i + 1) for i in range(len(order))]
    conn.execute("update public.rules r set priority = v.p from unnest(%s::uuid[], %s::int[]) as v(id, p)"
                 " where r.id = v.id", [[r[0] for r in order], numbers])
    log.info("rules renumbered to move rule %s", wanted)
    return numbers[to]

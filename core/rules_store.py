"""Rules in the database: list, save (validated) and delete; what a saved rule refers to.

Every function takes a connection inside the user's session (RLS). Saving checks what the form
says (:func:`core.rules.validate_rule`: name, priority 0 to 1,000,000, conditions, actions),
that the chosen category and accounts exist, and that the user has no other rule of the same
name (case-insensitive; under RLS only the user's own rules are visible, and a per-user
advisory lock makes two simultaneous saves take turns). The category a rule sets must be a
leaf: a group ("Housing") is refused (:func:`check_category`, which a preview runs too).

Previewing and applying rules to existing transactions: :mod:`core.rules_apply`; turning a
rule on or off, its priority and order: :mod:`core.rules_edit`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from typing import Any

import psycopg

from core.categories import leaf_problem
from core.ids import InvalidId, parse_uuids
from core.rules import Compiled, Rule, RuleError, check_name, check_priority, same_name, validate_rule
from core.rules_edit import lock_rules

log = logging.getLogger(__name__)


def list_rules(conn: psycopg.Connection) -> list[Rule]:
    rows = conn.execute("select id, name, priority, match_mode, conditions, actions, enabled"
                        " from public.rules order by priority, lower(name), id").fetchall()
    return [Rule(id=r[0], name=r[1], priority=r[2], match_mode=r[3], conditions=list(r[4] or []),
                 actions=list(r[5] or []), enabled=r[6]) for r in rows]


def _uuids(values: Iterable[Any], what: str) -> list[uuid.UUID]:
    """The ids of ``values`` (each once); one that does not parse is a ``what`` that does not
    exist."""
    try:
        return parse_uuids(values, f"{what} id")
    except InvalidId as exc:
        log.info("refused: %s", exc)
        raise RuleError(f"the chosen {what} does not exist") from exc


def check_category(conn: psycopg.Connection, compiled: Compiled) -> None:
    """The category a rule sets must exist and be a leaf (a group would be re-predicted)."""
    if compiled.category_id:
        ids = _uuids([compiled.category_id], "category")
        if (problem := leaf_problem(conn, ids[0])) is not None:
            raise RuleError(problem)


def _check_references(conn: psycopg.Connection, compiled: Compiled) -> None:
    check_category(conn, compiled)
    for cond in compiled.rule.conditions:
        if cond.get("field") == "account":
            ids = _uuids(cond["value"] if isinstance(cond["value"], list) else [cond["value"]],
                         "account")
            n = conn.execute("select count(*) from public.accounts where id = any(%s::uuid[])",
                             [ids]).fetchone()[0]
            if n != len(ids):
                raise RuleError("the chosen account does not exist")


def _check_unique_name(conn: psycopg.Connection, name: str, rule_id: uuid.UUID | str | None) -> None:
    """Refuse a name another of the user's rules already has (case and spaces ignored).

    Runs under the user's RLS session, so only the user's own rules count; the per-user
    advisory lock (held to the end of the transaction) makes concurrent saves take turns."""
    lock_rules(conn)
    for other_id, other_name in conn.execute("select id, name from public.rules"):
        if same_name(other_name, name) and (rule_id is None or str(other_id) != str(rule_id)):
            raise RuleError(f"Rule name {name!r} is taken: you already have a rule named "
                            f"{other_name!r}; choose another name (or delete that rule first)")


def save_rule(conn: psycopg.Connection, rule: Rule) -> uuid.UUID:
    """Validate and insert (``rule.id is None``) or update a rule; returns its id.

    Raises :class:`RuleError` with a message for the user that names the field (bad regex,
    missing value, priority out of range, a name already used by another of the user's rules).
    """
    compiled = validate_rule(rule)
    name, priority = check_name(rule.name), check_priority(rule.priority)
    _check_references(conn, compiled)
    _check_unique_name(conn, name, rule.id)
    values = [name, priority, rule.match_mode, json.dumps(rule.conditions),
              json.dumps(rule.actions), bool(rule.enabled)]
    if rule.id is None:
        row = conn.execute("insert into public.rules (name, priority, match_mode, conditions, actions,"
                           " enabled) values (%s, %s, %s, %s, %s, %s) returning id", values).fetchone()
    else:
        row = conn.execute("update public.rules set name = %s, priority = %s, match_mode = %s,"
                           " conditions = %s, actions = %s, enabled = %s where id = %s returning id",
                           [*values, rule.id]).fetchone()
        if row is None:
            raise RuleError("this rule no longer exists")
    log.info("rule %s saved", row[0])
    return row[0]


def delete_rule(conn: psycopg.Connection, rule_id: uuid.UUID | str) -> bool:
    return conn.execute("delete from public.rules where id = %s", [rule_id]).rowcount == 1

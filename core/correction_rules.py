"""Always do this: a rule from a correction, one rule per merchant.

The rule files the corrected transaction's merchant (or, without one, its exact description)
under the chosen leaf category at priority 100. Clicked again for the same merchant, the rule
made before (same condition, one set-category action) is kept if it already files there, or
updated to the new category and renamed ("LIDL DANKT → Shopping › Household"); rules of equal
priority sort by name, so a second rule would have let the older one keep winning. Copies left
by earlier versions are deleted, so one rule per condition remains. The user's own rules (other
conditions or more actions) are never changed; their names are avoided.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from typing import Any

import psycopg

from core.categories import labels_by_id, leaf_problem
from core.corrections import CorrectionError
from core.rules import Rule, free_name
from core.rules_store import delete_rule, list_rules, save_rule

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MadeRule:
    """What "Always do this" did: ``created`` a rule, ``updated`` the one it made before for
    the same condition (``previous``: the category that rule set), or ``kept`` it as it was."""

    id: uuid.UUID
    name: str
    action: str
    previous: str = ""

    @property
    def message(self) -> str:
        """What happened, for the page ("Rule “LIDL DANKT → Food › Groceries” created; ...")."""
        if self.action == "updated":
            return (f"Updated rule “{self.name}”" + (f" (it filed under {self.previous} before)"
                                                     if self.previous else "")
                    + "; it applies to future imports (see Rules).")
        if self.action == "kept":
            return f"Rule “{self.name}” already does this; it applies to future imports (see Rules)."
        return f"Rule “{self.name}” created; it applies to future imports (see Rules)."


def _made_by_correction(rule: Rule, conditions: list[dict[str, Any]]) -> bool:
    """A rule "Always do this" made for this condition: the condition, and one category."""
    return rule.conditions == conditions and len(rule.actions) == 1 \
        and rule.actions[0].get("type") == "set_category"


def rule_from_correction(conn: psycopg.Connection, tx_id: Any, category_id: Any,
                         category_label: str = "") -> MadeRule:
    """"Always do this": a rule filing this merchant (or exact description) under the category.

    Clicked again for the same merchant, the rule made before is kept (same category) or
    updated to the new category and renamed, so one rule per condition remains (equal
    priorities would otherwise let the older one win); extra copies are deleted."""
    if category_id is None:
        raise CorrectionError("a cleared category makes no rule; choose a category first")
    if (problem := leaf_problem(conn, category_id)) is not None:
        raise CorrectionError(problem)
    row = conn.execute("select coalesce(merchant, ''), description from public.transactions"
                       " where id = %s", [tx_id]).fetchone()
    if row is None:
        raise CorrectionError("this transaction no longer exists")
    merchant, description = row
    field, value = ("merchant", merchant) if merchant else ("description", description)
    base = f"{value[:60]} → {category_label or 'category'}"
    conditions = [{"field": field, "op": "equals", "value": value}]
    actions = [{"type": "set_category", "category_id": str(category_id)}]
    existing = list_rules(conn)
    mine = [r for r in existing if _made_by_correction(r, conditions)]
    mine.sort(key=lambda r: r.actions != actions)  # the one already doing this first, if any
    keep = mine[0] if mine else None
    for extra in mine[1:]:  # conflicting copies (made before this was fixed)
        delete_rule(conn, extra.id)
    if keep is not None and keep.actions == actions and keep.enabled:
        log.info("rule %s already files this merchant there", keep.id)
        return MadeRule(uuid.UUID(str(keep.id)), keep.name, "kept")
    others = [r for r in existing if r not in mine]
    name = free_name(base, (r.name for r in others))
    if keep is None:
        rule_id = save_rule(conn, Rule(name=name, conditions=conditions, actions=actions,
                                       priority=100))
        return MadeRule(rule_id, name, "created")
    previous = labels_by_id(conn).get(str(keep.actions[0].get("category_id")), "")
    rule_id = save_rule(conn, replace(keep, name=name, actions=actions, enabled=True))
    log.info("rule %s now files this merchant under another category", rule_id)
    return MadeRule(rule_id, name, "updated", previous)

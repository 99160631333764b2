"""The Rules tab's builder state: load a saved rule into the builder's widgets (to edit it),
or clear them for a new rule.

The builder holds up to three conditions, one category, one merchant name, one tag, "mark as
transfer" and "exclude"; a rule with more than that (saved another way) cannot be loaded and
:func:`load` says why instead of dropping a part silently. A condition or action whose account
or category is gone is loaded empty, with a warning, so the user picks another.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import MutableMapping
from typing import Any

from core.rules import FIELDS, MAX_PRIORITY, MIN_PRIORITY, Rule

log = logging.getLogger(__name__)

NONE = "—"
MAX_CONDITIONS = 3
_PER_CONDITION = ("field", "op", "value", "min", "max", "from", "to", "account")
KEYS = ("rule_name", "rule_priority", "rule_mode", "rule_category", "rule_merchant", "rule_tag",
        "rule_transfer", "rule_exclude",
        *(f"rule_{part}_{n}" for n in range(1, MAX_CONDITIONS + 1) for part in _PER_CONDITION))
"""Every widget key of the builder."""


def clear(state: MutableMapping[str, Any]) -> None:
    """Empty the builder (its widgets start from their defaults at the next run)."""
    for key in KEYS:
        state.pop(key, None)


def unfit(rule: Rule) -> str | None:
    """Why the builder cannot hold ``rule``, or ``None``."""
    if len(rule.conditions) > MAX_CONDITIONS:
        return f"it has {len(rule.conditions)} conditions; the builder holds {MAX_CONDITIONS}"
    for n, cond in enumerate(rule.conditions, start=1):
        if cond.get("field") not in FIELDS or cond.get("op") not in FIELDS[cond.get("field")]:
            return f"condition {n} is not one the builder knows"
        value = cond.get("value")
        if cond["field"] == "account" and isinstance(value, list) and len(value) > 1:
            return f"condition {n} names {len(value)} accounts; the builder holds one"
    kinds = Counter(a.get("type") for a in rule.actions)
    for kind, what in (("set_category", "categories"), ("set_merchant", "merchant names"),
                       ("add_tag", "tags")):
        if kinds[kind] > 1:
            return f"it sets {kinds[kind]} {what}; the builder holds one"
    return None


def _number(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(str(value).replace(",", "."))
    except ValueError:
        return None


def _date(value: Any) -> dt.date | None:
    try:
        return None if value in (None, "") else dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _condition(state: MutableMapping[str, Any], n: int, cond: dict[str, Any],
               accounts: dict[str, Any]) -> str | None:
    field, value = cond["field"], cond.get("value")
    state[f"rule_field_{n}"] = field
    if field in ("description", "merchant"):
        state[f"rule_op_{n}"], state[f"rule_value_{n}"] = cond["op"], str(value or "")
    elif field == "amount":
        value = value if isinstance(value, dict) else {}
        state[f"rule_min_{n}"], state[f"rule_max_{n}"] = _number(value.get("min")), _number(value.get("max"))
    elif field == "date":
        value = value if isinstance(value, dict) else {}
        state[f"rule_from_{n}"], state[f"rule_to_{n}"] = _date(value.get("from")), _date(value.get("to"))
    else:
        wanted = str(value[0] if isinstance(value, list) and value else value)
        name = next((name for name, acc in accounts.items() if str(acc) == wanted), None)
        if name is None:
            return f"the account of condition {n} no longer exists: choose another"
        state[f"rule_account_{n}"] = name
    return None


def load(state: MutableMapping[str, Any], rule: Rule, leaves: dict[str, Any],
         accounts: dict[str, Any]) -> list[str]:
    """Put ``rule`` into the builder; returns warnings (a category or account that is gone).
    Call :func:`unfit` first: a rule the builder cannot hold must not be loaded."""
    clear(state)
    warnings = []
    state["rule_name"] = rule.name
    priority = int(rule.priority)
    if not MIN_PRIORITY <= priority <= MAX_PRIORITY:  # saved before the range existed
        warnings.append(f"its priority {priority} is outside {MIN_PRIORITY} to {MAX_PRIORITY:,}: "
                        "choose one in range")
        priority = min(max(priority, MIN_PRIORITY), MAX_PRIORITY)
    state["rule_priority"] = priority
    state["rule_mode"] = rule.match_mode if rule.match_mode in ("all", "any") else "all"
    for n, cond in enumerate(rule.conditions, start=1):
        if (problem := _condition(state, n, cond, accounts)) is not None:
            warnings.append(problem)
    for action in rule.actions:
        kind = action.get("type")
        if kind == "set_category":
            label = next((lb for lb, cid in leaves.items() if str(cid) == str(action.get("category_id"))),
                         None)
            if label is None:
                warnings.append("the category it sets no longer exists (or is a group): choose one")
            else:
                state["rule_category"] = label
        elif kind == "set_merchant":
            state["rule_merchant"] = str(action.get("value") or "")
        elif kind == "add_tag":
            state["rule_tag"] = str(action.get("value") or "")
        elif kind == "mark_transfer":
            state["rule_transfer"] = True
        elif kind == "exclude":
            state["rule_exclude"] = True
    return warnings

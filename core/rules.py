"""User rules: conditions -> actions, validated on save, evaluated in priority order (pure).

A rule is stored in ``public.rules`` as JSON:

* ``conditions``: a list of ``{"field", "op", "value"}``. Fields and operators:
  ``description`` / ``merchant`` (the normalized merchant or the payee) with ``contains``,
  ``equals`` (both case-insensitive) or ``regex`` (Python ``re``, case-insensitive, searched
  anywhere); ``amount`` with ``between`` and ``value = {"min": "-50", "max": "-10"}``
  (signed: negative = money out; either bound may be omitted); ``account`` with ``is`` and
  an account id (or a list of ids); ``date`` with ``between`` and
  ``value = {"from": "2024-01-01", "to": "2024-12-31"}``.
* ``match_mode``: ``all`` (every condition) or ``any`` (at least one).
* ``actions``: ``{"type": "set_category", "category_id": ...}``, ``{"type": "set_merchant",
  "value": ...}``, ``{"type": "add_tag", "value": ...}``, ``{"type": "mark_transfer"}``,
  ``{"type": "exclude"}``.

Rules run in ascending ``priority`` (then name): for the category and the merchant name the
first matching rule wins; tags accumulate; transfer/exclude are set by any matching rule.
A saved rule's ``priority`` is a whole number from :data:`MIN_PRIORITY` to :data:`MAX_PRIORITY`
(0 to 1,000,000; checked on save and preview, so rules stored earlier keep running), and its
name (1 to 120 characters) is unique among the user's rules, ignoring case and surrounding
spaces (checked by :func:`core.rules_store.save_rule`). A preview needs no name.
Regular expressions are checked when a rule is saved: at most 200 characters, must compile,
and nested unbounded repetition such as ``(a+)+`` (exponential backtracking) is refused;
text is matched on its first 1,000 characters.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from core.rules_regex import RuleError, check_regex

log = logging.getLogger(__name__)

MAX_TEXT = 1000
TEXT_OPS = ("contains", "equals", "regex")
FIELDS = {"description": TEXT_OPS, "merchant": TEXT_OPS, "amount": ("between",),
          "account": ("is",), "date": ("between",)}
ACTIONS = ("set_category", "set_merchant", "add_tag", "mark_transfer", "exclude")
MAX_NAME = 120
MIN_PRIORITY = 0
MAX_PRIORITY = 1_000_000


@dataclass
class Rule:
    """A rule as stored (``id`` is ``None`` until saved)."""

    name: str
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    match_mode: str = "all"
    priority: int = 100
    enabled: bool = True
    id: uuid.UUID | None = None


@dataclass(slots=True)
class RowView:
    """The fields a rule looks at (text fields are compared case-insensitively)."""

    description: str
    merchant: str
    payee: str
    amount: Decimal
    account_id: str
    date: dt.date
    desc_cf: str = ""
    merchant_cf: str = ""
    payee_cf: str = ""

    def __post_init__(self) -> None:
        self.desc_cf = self.description[:MAX_TEXT].casefold()
        self.merchant_cf = self.merchant[:MAX_TEXT].casefold()
        self.payee_cf = self.payee[:MAX_TEXT].casefold()


@dataclass
class Compiled:
    rule: Rule
    key: str
    test: Callable[[RowView], bool]
    category_id: str | None = None
    merchant: str | None = None
    tags: list[str] = field(default_factory=list)
    transfer: bool = False
    exclude: bool = False


@dataclass
class Outcome:
    """What the rules decide for one row, and which rule decided each field."""

    matched: list[str] = field(default_factory=list)
    category_id: str | None = None
    category_by: Compiled | None = None
    merchant: str | None = None
    merchant_by: str | None = None
    tags: list[tuple[str, str]] = field(default_factory=list)
    transfer_by: list[str] = field(default_factory=list)
    exclude_by: list[str] = field(default_factory=list)


def _decimal(value: Any, what: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        raise RuleError(f"{what}: expected a number like -12.50, got {value!r}") from None


def _date(value: Any, what: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise RuleError(f"{what}: expected a date like 2024-12-31, got {value!r}") from None


def _condition(n: int, cond: dict[str, Any]) -> Callable[[RowView], bool]:
    what = f"condition {n}"
    fld, op, value = cond.get("field"), cond.get("op"), cond.get("value")
    if fld not in FIELDS:
        raise RuleError(f"{what}: unknown field {fld!r} (expected one of {', '.join(FIELDS)})")
    if op not in FIELDS[fld]:
        raise RuleError(f"{what}: {fld} supports {', '.join(FIELDS[fld])}, not {op!r}")
    if fld in ("description", "merchant"):
        text = str(value or "")
        if not text.strip():
            raise RuleError(f"{what}: the text to look for is empty")
        if op == "regex":
            try:
                rx = check_regex(text)
            except RuleError as exc:
                raise RuleError(f"{what}: {exc}") from None
            if fld == "description":
                return lambda r: rx.search(r.description[:MAX_TEXT]) is not None
            return lambda r: (rx.search(r.merchant[:MAX_TEXT]) is not None
                              or rx.search(r.payee[:MAX_TEXT]) is not None)
        needle = text.strip().casefold()
        if fld == "description":
            if op == "contains":
                return lambda r: needle in r.desc_cf
            return lambda r: r.desc_cf.strip() == needle
        if op == "contains":
            return lambda r: needle in r.merchant_cf or needle in r.payee_cf
        return lambda r: r.merchant_cf.strip() == needle or r.payee_cf.strip() == needle
    if fld == "amount":
        value = value if isinstance(value, dict) else {}
        lo, hi = _decimal(value.get("min"), what), _decimal(value.get("max"), what)
        if lo is None and hi is None:
            raise RuleError(f"{what}: give a minimum, a maximum or both")
        if lo is not None and hi is not None and lo > hi:
            raise RuleError(f"{what}: the minimum {lo} is above the maximum {hi}")
        return lambda r: (lo is None or r.amount >= lo) and (hi is None or r.amount <= hi)
    if fld == "date":
        value = value if isinstance(value, dict) else {}
        start, end = _date(value.get("from"), what), _date(value.get("to"), what)
        if start is None and end is None:
            raise RuleError(f"{what}: give a start date, an end date or both")
        if start is not None and end is not None and start > end:
            raise RuleError(f"{what}: the start {start} is after the end {end}")
        return lambda r: (start is None or r.date >= start) and (end is None or r.date <= end)
    ids = {str(v) for v in (value if isinstance(value, list | tuple) else [value]) if v}
    if not ids:
        raise RuleError(f"{what}: choose an account")
    return lambda r: r.account_id in ids


def check_priority(value: Any) -> int:
    """``value`` as a priority (a whole number from 0 to 1,000,000) or :class:`RuleError`."""
    number: Decimal | None = None
    if isinstance(value, int | float | Decimal | str) and not isinstance(value, bool):
        try:
            number = Decimal(value.strip() if isinstance(value, str) else value)
        except (InvalidOperation, ValueError):
            number = None
    if (number is None or not number.is_finite() or number != number.to_integral_value()
            or not MIN_PRIORITY <= number <= MAX_PRIORITY):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:39] + "…"
        raise RuleError(f"Priority must be a whole number from {MIN_PRIORITY:,} to {MAX_PRIORITY:,};"
                        f" got {shown}")
    return int(number)


def check_name(name: Any) -> str:
    """The rule name without surrounding spaces, or :class:`RuleError` if empty or too long."""
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        raise RuleError("Rule name can't be empty")
    if len(text) > MAX_NAME:
        raise RuleError(f"Rule name can't be longer than {MAX_NAME} characters ({len(text)} given)")
    return text


def same_name(a: str, b: str) -> bool:
    """Whether two rule names count as the same (case and surrounding spaces ignored)."""
    return a.strip().casefold() == b.strip().casefold()


def free_name(base: str, taken: Iterable[str]) -> str:
    """``base``, or "``base`` (2)", "(3)", ... : the first that is not :func:`same_name` as any
    of ``taken`` (rule names are unique per user)."""
    names = list(taken)
    name, n = base, 2
    while any(same_name(t, name) for t in names):
        name, n = f"{base} ({n})", n + 1
    return name


def validate_rule(rule: Rule, *, require_name: bool = True) -> Compiled:
    """Everything a rule the user is saving (or previewing) must satisfy, checked in the order
    of the form: name (only with ``require_name``), priority, conditions, actions."""
    if require_name:
        check_name(rule.name)
    check_priority(rule.priority)
    return compile_rule(rule, require_name=False)


def compile_rule(rule: Rule, *, require_name: bool = True) -> Compiled:
    """Validate ``rule`` and build its matcher; raises :class:`RuleError` with a message.

    The priority is not range-checked here (see :func:`validate_rule`), so stored rules saved
    before the range existed still run."""
    if require_name:
        check_name(rule.name)
    if rule.match_mode not in ("all", "any"):
        raise RuleError(f"match mode must be 'all' or 'any', not {rule.match_mode!r}")
    if not rule.conditions:
        raise RuleError("a rule needs at least one condition")
    if not rule.actions:
        raise RuleError("a rule needs at least one action")
    tests = [_condition(i, c) for i, c in enumerate(rule.conditions, start=1)]
    combine = all if rule.match_mode == "all" else any
    test = tests[0] if len(tests) == 1 else (lambda r: combine(t(r) for t in tests))
    out = Compiled(rule, str(rule.id or f"new:{rule.name}"), test)
    for i, action in enumerate(rule.actions, start=1):
        kind, what = action.get("type"), f"action {i}"
        if kind == "set_category":
            if not action.get("category_id"):
                raise RuleError(f"{what}: choose a category")
            out.category_id = out.category_id or str(action["category_id"])
        elif kind == "set_merchant":
            name = str(action.get("value") or "").strip()
            if not name or len(name) > 120:
                raise RuleError(f"{what}: the merchant name must have 1 to 120 characters")
            out.merchant = out.merchant or name
        elif kind == "add_tag":
            tag = str(action.get("value") or "").strip()
            if not tag or len(tag) > 40:
                raise RuleError(f"{what}: a tag must have 1 to 40 characters")
            out.tags.append(tag)
        elif kind == "mark_transfer":
            out.transfer = True
        elif kind == "exclude":
            out.exclude = True
        else:
            raise RuleError(f"{what}: unknown action {kind!r} (expected one of {', '.join(ACTIONS)})")
    return out


def compile_rules(rules: Sequence[Rule], *, skip_invalid: bool = True) -> list[Compiled]:
    """Enabled rules compiled in evaluation order; invalid stored rules are skipped (logged)."""
    out = []
    for rule in sorted(rules, key=lambda r: (r.priority, r.name.casefold(), str(r.id))):
        if not rule.enabled:
            continue
        try:
            out.append(compile_rule(rule))
        except RuleError as exc:
            if not skip_invalid:
                raise
            log.warning("rule %s (%s) skipped: %s", rule.id, rule.name, exc)
    return out


def evaluate(rules: Sequence[Compiled], row: RowView) -> Outcome:
    """Apply ``rules`` (already in priority order) to one row."""
    out = Outcome()
    for c in rules:
        if not c.test(row):
            continue
        out.matched.append(c.key)
        if c.category_id and out.category_by is None:
            out.category_id, out.category_by = c.category_id, c
        if c.merchant and out.merchant_by is None:
            out.merchant, out.merchant_by = c.merchant, c.key
        out.tags.extend((t, c.key) for t in c.tags)
        if c.transfer:
            out.transfer_by.append(c.key)
        if c.exclude:
            out.exclude_by.append(c.key)
    return out


def pick_labels(rules: Sequence[Rule]) -> dict[str, Rule]:
    """One distinct label per rule (``"100 · Netflix"``, ``"100 · Netflix (disabled)"``), in the
    given order, for a picker.

    Rules that would share a label (same priority and name, e.g. saved before names had to
    be unique) get the start of their id: ``"100 · Netflix · #3f2a9c1e"``."""
    def base(rule: Rule) -> str:
        return f"{rule.priority} · {rule.name}" + ("" if rule.enabled else " (disabled)")

    counts = Counter(base(r) for r in rules)
    out: dict[str, Rule] = {}
    for rule in rules:
        label = base(rule)
        if counts[label] > 1:
            label = f"{label} · #{str(rule.id)[:8]}"
        candidate, n = label, 1
        while candidate in out:  # ids starting alike, or a name that looks like such a label
            n += 1
            candidate = f"{label} ({n})"
        out[candidate] = rule
    return out


def describe(rule: Rule, names: dict[str, str] | None = None) -> str:
    """One line for people: ``description contains 'netflix' → Streaming, tag 'tv'``.
    ``names`` maps category and account ids to their names."""
    names = names or {}
    conds = []
    for c in rule.conditions:
        value = c.get("value")
        if c.get("field") in ("amount", "date") and isinstance(value, dict):
            low, high = (value.get("min"), value.get("max")) if c["field"] == "amount" else (
                value.get("from"), value.get("to"))
            conds.append(f"{c['field']} between {low if low not in (None, '') else '…'} and "
                         f"{high if high not in (None, '') else '…'}")
        elif c.get("field") == "account":
            ids = value if isinstance(value, list) else [value]
            conds.append("account is " + " or ".join(names.get(str(i), str(i)) for i in ids))
        else:
            conds.append(f"{c.get('field')} {c.get('op')} {value!r}")
    acts = []
    for a in rule.actions:
        kind = a.get("type")
        if kind == "set_category":
            acts.append(names.get(str(a.get("category_id")), "a deleted category"))
        elif kind == "set_merchant":
            acts.append(f"merchant {a.get('value')!r}")
        elif kind == "add_tag":
            acts.append(f"tag {a.get('value')!r}")
        else:
            acts.append({"mark_transfer": "transfer", "exclude": "excluded"}.get(str(kind), str(kind)))
    joiner = " and " if rule.match_mode == "all" else " or "
    return f"{joiner.join(conds)} → {', '.join(acts)}"

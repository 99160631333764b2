"""Renaming a merchant: "P US" is PayPal, "ATMD" is the same cash machine as "ATM".

A row's merchant, as the review queue, the dashboard and the categorizer's memory read it, is
its ``merchant`` or, without one, its description (:data:`core.queries.MERCHANT`).
:func:`rename_merchant` gives one row, or every row of the user's with the same merchant
(compared case-insensitively, as rules compare), a new ``merchant``. The categorizer remembers
merchants by that name, so two spellings renamed to one become one merchant with one history,
and a readable name can be recognised by the built-in lexicon; the rows' ``UPDATE`` marks the
user for the job, which refits and files the undecided rows of the renamed merchant again.
Categories the user decided stay as they are. A new name that another merchant already has in
other letter case takes that merchant's spelling ("atm" where "ATM" exists becomes "ATM"), so a
merge leaves one spelling, and one card in the review queue.

With ``remember`` (all rows only), future imports get the new name too: a rule
"Rename <old> → <new>" (the condition the row's merchant, or its description when it has
none, ``equals`` the old name; priority :data:`PRIORITY`, before the default 100 of the user's
own rules and of "Always do this"). Renamed again, that rule is updated rather than joined by
a second one; and a rule that named merchants ``<old>`` now names them ``<new>``, since rules
read the line as imported, not a name another rule gave it ("P US" → "PayPal" → "PayPal
Europe" renames the next "P US" to "PayPal Europe").

Everything is one undoable change (:func:`core.undo.tracked_fields` with the rules it added or
changed): the rows get their names back, an added rule is deleted and a changed one gets its
actions back, each only if still as the rename left it. Runs in the caller's session (RLS).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, replace
from typing import Any

import psycopg

from core.queries import MERCHANT
from core.rules import Rule, RuleError, free_name
from core.rules_edit import lock_rules
from core.rules_store import list_rules, save_rule
from core.undo import Change, tracked_fields

log = logging.getLogger(__name__)

MAX_MERCHANT = 120
"""Longest merchant name (a rule's "set merchant name" allows the same)."""
PRIORITY = 90
"""Priority of a rename rule: before rules at the default 100."""


class RenameError(ValueError):
    """A rename that cannot be done; the message says why, for the page."""


@dataclass(frozen=True)
class Renamed:
    """What :func:`rename_merchant` did: ``rows`` renamed from ``old`` to ``new``; ``rule``: the
    rule for future imports, ``rule_action`` "added" or "updated" (or "" for none);
    ``redirected``: other rules that named merchants ``old`` and now name them ``new``."""

    old: str
    new: str
    rows: int
    rule: str = ""
    rule_action: str = ""
    redirected: int = 0
    change: Change | None = None

    @property
    def message(self) -> str:
        """What happened, in a sentence or two for the page."""
        if not self.rows and not self.rule_action and not self.redirected:
            return f"Nothing to rename: {self.old} is already named so."
        n = f"{self.rows} transaction{'s' if self.rows != 1 else ''}"
        text = f"Renamed {self.old} to {self.new} on {n}."
        if self.rule_action:
            text += f" Rule “{self.rule}” {self.rule_action}: future imports get the new name."
        if self.redirected:
            text += (f" {self.redirected} other rule{'s' if self.redirected != 1 else ''} that "
                     f"named merchants {self.old} now name{'s' if self.redirected == 1 else ''} "
                     f"them {self.new}.")
        return text


def clean_name(name: Any) -> str:
    """The name as stored: spaces collapsed; :class:`RenameError` if empty or too long."""
    text = re.sub(r"\s+", " ", str(name or "")).strip()
    if not text:
        raise RenameError("type the merchant's new name")
    if len(text) > MAX_MERCHANT:
        raise RenameError(f"a merchant name has at most {MAX_MERCHANT} characters "
                          f"(this one has {len(text)})")
    return text


def merchant_of(conn: psycopg.Connection, tx_id: Any) -> tuple[str, bool]:
    """(the row's merchant as shown, whether it is the ``merchant`` column rather than the
    description); :class:`RenameError` if the row is gone (or not the user's)."""
    row = conn.execute(f"select {MERCHANT}, coalesce(t.merchant, '') <> ''"
                       " from public.transactions t where t.id = %s", [tx_id]).fetchone()
    if row is None:
        raise RenameError("this transaction no longer exists")
    return str(row[0]), bool(row[1])


def rows_named(conn: psycopg.Connection, name: str) -> list[Any]:
    """Ids of the user's rows whose merchant is ``name`` (ignoring case)."""
    return [r[0] for r in conn.execute(
        f"select t.id from public.transactions t where lower({MERCHANT}) = lower(%s)"
        " order by t.id", [name]).fetchall()]


def rename_merchant(conn: psycopg.Connection, tx_id: Any, new_name: Any, *, every: bool = True,
                    remember: bool = True) -> Renamed:
    """Rename the merchant of ``tx_id`` (``every``: of all the user's rows with its merchant)
    to ``new_name``; ``remember`` (with ``every``): also in future imports, by a rule."""
    new = clean_name(new_name)
    old, has_merchant = merchant_of(conn, tx_id)
    if new == old:  # as it is (before any other spelling is looked up)
        return Renamed(old, new, 0)
    ids = rows_named(conn, old) if every else [tx_id]
    new = _spelling(conn, new, ids)
    if new == old:
        return Renamed(old, new, 0)
    touched: list[tuple[str, str | None, str, str]] = []

    def write() -> int:
        n = conn.execute("update public.transactions set merchant = %s where id = any(%s::uuid[])"
                         " and merchant is distinct from %s", [new, ids, new]).rowcount
        if every and remember:
            touched.extend(_remember(conn, old, new, "merchant" if has_merchant else "description"))
        return n

    change = tracked_fields(conn, ids, ("merchant",), write)
    if touched:
        change = replace(change or Change("fields", columns=("merchant",)), rules=tuple(
            (rule_id, before, after) for rule_id, before, after, _ in touched))
    own = touched[0] if touched and touched[0][3] else None
    rows = len(change.before) if change is not None else 0
    log.info("merchant renamed on %d row(s); %d rule(s) added or changed", rows, len(touched))
    return Renamed(old, new, rows, own[3] if own else "",
                   ("added" if own[1] is None else "updated") if own else "",
                   len(touched) - (1 if own else 0), change)


def _spelling(conn: psycopg.Connection, new: str, ids: list[Any]) -> str:
    """``new`` as another merchant of the user already spells it, ignoring case ("atm" where
    "ATM" exists: a merge), so one shop keeps one spelling everywhere, the review queue too;
    ``new`` itself when no other row (outside ``ids``) has that name."""
    row = conn.execute(f"select {MERCHANT}, count(*) from public.transactions t"
                       f" where lower({MERCHANT}) = lower(%s) and not (t.id = any(%s::uuid[]))"
                       " group by 1 order by 2 desc, 1 limit 1", [new, ids]).fetchone()
    return str(row[0]) if row else new


def _remember(conn: psycopg.Connection, old: str, new: str, field: str) -> list[tuple]:
    """Add or update the rule renaming ``old`` in future imports and point rules that named
    merchants ``old`` at ``new``: ``(rule id, its actions before as JSON or None if added,
    after, its name if it is the rename's own rule else "")`` per rule changed, the own rule
    first."""
    conditions = [{"field": field, "op": "equals", "value": old}]
    actions = [{"type": "set_merchant", "value": new}]
    lock_rules(conn)
    rules = list_rules(conn)
    own = next((r for r in rules if r.conditions == conditions and len(r.actions) == 1
                and r.actions[0].get("type") == "set_merchant"), None)
    out: list[tuple] = []
    if own is None:
        name = free_name(f"Rename {old[:50]} → {new[:50]}", (r.name for r in rules))
        rule_id = save_rule(conn, Rule(name=name, conditions=conditions, actions=actions,
                                       priority=PRIORITY))
        out.append((str(rule_id), None, json.dumps(actions), name))
    elif own.actions != actions or not own.enabled:
        save_rule(conn, replace(own, actions=actions, enabled=True))
        out.append((str(own.id), json.dumps(own.actions), json.dumps(actions), own.name))
    for rule in rules:
        if own is not None and rule.id == own.id:
            continue
        moved = [{**a, "value": new} if a.get("type") == "set_merchant"
                 and str(a.get("value") or "").strip().lower() == old.lower() else a
                 for a in rule.actions]
        if moved != rule.actions:
            try:
                save_rule(conn, replace(rule, actions=moved))
            except RuleError as exc:  # a rule broken otherwise (a deleted category) stays as is
                log.info("rule %s not redirected: %s", rule.id, exc)
                continue
            out.append((str(rule.id), json.dumps(rule.actions), json.dumps(moved), ""))
    return out

"""Rules tab: the user's rules in the order they run, with an on/off switch and an editable
priority per rule (or *Move up* / *Move down*), *Edit* (the rule goes into the builder and is
saved back as the same rule), apply to existing transactions, delete; and the rule builder with
a preview ("this rule would change 37 transactions") and save (validated: a bad regex, a
priority outside 0 to 1,000,000 or a name another rule uses gets a message). Preview and Save
are always on screen; only saving needs a name. A rule sets a leaf category ("Food ›
Groceries"), never a group; the preview shows each sample row's date, description, amount and
current -> new values. A disabled rule is listed but not applied, on import or here."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import streamlit as st

from core import rules_apply, rules_edit, rules_store
from core.categories import category_options, leaf_options
from core.import_accounts import list_accounts
from core.rules import FIELDS, MAX_PRIORITY, MIN_PRIORITY, Rule, RuleError, describe, pick_labels
from pages import common
from pages import transactions_rules_form as form

log = logging.getLogger(__name__)

NONE = form.NONE
MAX_CONDITIONS = form.MAX_CONDITIONS


def _condition(n: int, accounts: dict[str, Any]) -> dict[str, Any] | None:
    c1, c2, c3, c4 = st.columns([2, 2, 3, 3])
    field = c1.selectbox(f"Condition {n}", [NONE, *FIELDS], key=f"rule_field_{n}")
    if field == NONE:
        return None
    if field in ("description", "merchant"):
        op = c2.selectbox("is", FIELDS[field], key=f"rule_op_{n}")
        return {"field": field, "op": op, "value": c3.text_input("text", key=f"rule_value_{n}")}
    if field == "amount":
        low = c3.number_input("from (negative = money out)", value=None, key=f"rule_min_{n}")
        high = c4.number_input("to", value=None, key=f"rule_max_{n}")
        return {"field": "amount", "op": "between", "value": {"min": None if low is None else str(low),
                                                              "max": None if high is None else str(high)}}
    if field == "date":
        start = c3.date_input("from", value=None, key=f"rule_from_{n}")
        end = c4.date_input("to", value=None, key=f"rule_to_{n}")
        return {"field": "date", "op": "between", "value": {"from": start and start.isoformat(),
                                                            "to": end and end.isoformat()}}
    name = c3.selectbox("account", list(accounts) or [NONE], key=f"rule_account_{n}")
    return {"field": "account", "op": "is", "value": str(accounts.get(name, ""))}


def _builder(labels: dict[str, Any], accounts: dict[str, Any]) -> Rule:
    c1, c2, c3 = st.columns([3, 1, 2])
    name = c1.text_input("Rule name", key="rule_name")
    priority = c2.number_input("Priority", min_value=MIN_PRIORITY, max_value=MAX_PRIORITY, value=100,
                               step=10, key="rule_priority",
                               help=f"{MIN_PRIORITY} to {MAX_PRIORITY:,}; lower runs first; the first "
                                    "rule that sets a category wins.")
    mode = c3.radio("Match", ["all", "any"], horizontal=True, key="rule_mode",
                    format_func=lambda m: f"{m} conditions")
    conditions = [c for n in range(1, MAX_CONDITIONS + 1) if (c := _condition(n, accounts))]
    a1, a2, a3 = st.columns(3)
    category = a1.selectbox("Set category", [NONE, *labels], key="rule_category")
    merchant = a2.text_input("Set merchant name", key="rule_merchant")
    tag = a3.text_input("Add tag", key="rule_tag")
    b1, b2 = st.columns(2)
    actions: list[dict[str, Any]] = []
    if category != NONE:
        actions.append({"type": "set_category", "category_id": str(labels[category])})
    if merchant.strip():
        actions.append({"type": "set_merchant", "value": merchant.strip()})
    if tag.strip():
        actions.append({"type": "add_tag", "value": tag.strip()})
    if b1.checkbox("Mark as transfer", key="rule_transfer"):
        actions.append({"type": "mark_transfer"})
    if b2.checkbox("Exclude from spending and income", key="rule_exclude"):
        actions.append({"type": "exclude"})
    # passed as typed (not int()-truncated): core checks it is a whole number in range
    return Rule(name=name, conditions=conditions, actions=actions, match_mode=mode, priority=priority)


def _list_edits(edits: dict, rules: list[Rule], shown: list[str]) -> None:
    """Save the list's changed cells: the on/off switch and the priority. ``shown``: the ids
    of the rows as the user saw them (the list may have changed since, in another tab)."""
    notes, errors = [], []
    by_id = {str(r.id): r for r in rules}
    with common.session() as conn:
        for pos, change in edits.items():
            rule = by_id.get(shown[int(pos)]) if int(pos) < len(shown) else None
            if rule is None:
                errors.append("A rule you changed no longer exists.")
                continue
            try:
                if "enabled" in change and bool(change["enabled"]) != rule.enabled:
                    rules_edit.set_enabled(conn, rule.id, bool(change["enabled"]))
                    notes.append(f"Rule “{rule.name}” " + ("enabled." if change["enabled"] else
                                 "disabled: it is kept but not applied, on import or here."))
                if "priority" in change and change["priority"] != rule.priority:
                    value = rules_edit.set_priority(conn, rule.id, change["priority"])
                    notes.append(f"Rule “{rule.name}” now has priority {value:,}.")
            except RuleError as exc:
                errors.append(f"Rule “{rule.name}” was not changed: {exc}")
    st.session_state["rule_notice"] = " ".join(notes)
    st.session_state["rule_error"] = " ".join(errors)


def _table(rules: list[Rule], names: dict[str, str]) -> None:
    """The rules in the order they run; Enabled and Priority can be changed in place."""
    version = st.session_state.setdefault("rules_table_version", 0)
    key = f"rules_table_{version}"
    frame = pd.DataFrame([{"enabled": r.enabled, "priority": r.priority, "name": r.name,
                           "rule": describe(r, names)} for r in rules])
    st.data_editor(frame, key=key, hide_index=True, disabled=["name", "rule"], column_config={
        "enabled": st.column_config.CheckboxColumn(
            "Enabled", help="A disabled rule is kept, but not applied on import nor by Apply"),
        "priority": st.column_config.NumberColumn(
            "Priority", min_value=MIN_PRIORITY, max_value=MAX_PRIORITY, step=1, format="%d",
            help=f"{MIN_PRIORITY} to {MAX_PRIORITY:,}; lower runs first (the first rule that sets "
                 "a category wins). Change it to reorder."),
        "name": "Name", "rule": "Rule"})
    edits = (st.session_state.get(key) or {}).get("edited_rows", {})
    shown = st.session_state.get("rules_table_ids") or [str(r.id) for r in rules]
    st.session_state["rules_table_ids"] = [str(r.id) for r in rules]
    if edits:
        _list_edits(edits, rules, shown)
        st.session_state["rules_table_version"] = version + 1
        st.rerun()


def _act(action: str, pick: Rule) -> None:
    """What a button under the list does to the picked rule; the page reruns after it."""
    try:
        with common.session() as conn:
            if action == "apply":
                n = rules_apply.apply_rule(conn, pick.id)
                st.session_state["rule_notice"] = f"Rule “{pick.name}” changed {n} transaction(s)."
            elif action == "delete":
                rules_store.delete_rule(conn, pick.id)
                if st.session_state.get("rule_editing") == str(pick.id):
                    st.session_state["rule_load"] = ""  # the rule being edited is gone
            else:
                step = -1 if action == "up" else 1
                moved = rules_edit.move_rule(conn, pick.id, step)
                st.session_state["rule_pick_id"] = str(pick.id)  # stays picked, to move again
                st.session_state["rule_notice"] = (
                    f"Rule “{pick.name}” already runs {'first' if step < 0 else 'last'}."
                    if moved is None else
                    f"Moved rule “{pick.name}” {action}: it now has priority {moved:,}.")
    except RuleError as exc:
        verb = "applied" if action == "apply" else "changed"
        st.session_state["rule_error"] = f"This rule cannot be {verb}: {exc}"
    st.rerun()


def _existing(rules: list[Rule], names: dict[str, str]) -> None:
    if not rules:
        st.info("No rules yet. Rules run on every import, before the categorizer.")
        return
    _table(rules, names)
    by_label = pick_labels(rules)  # one distinct label per rule, even for identical rules
    if (wanted := st.session_state.pop("rule_pick_id", None)) is not None:
        st.session_state["rule_pick"] = next((lb for lb, r in by_label.items() if str(r.id) == wanted),
                                             next(iter(by_label)))
    c1, c2, c3, c4, c5, c6 = st.columns([3, 1, 1, 1, 1, 1], vertical_alignment="bottom")
    pick = by_label[c1.selectbox("Rule", list(by_label), key="rule_pick")]
    if c2.button("Edit", key="rule_edit"):
        st.session_state["rule_load"] = str(pick.id)
        st.rerun()
    for action, label, column in (("up", "Move up", c3), ("down", "Move down", c4),
                                  ("apply", "Apply to existing", c5), ("delete", "Delete", c6)):
        if column.button(label, key=f"rule_{action}"):
            _act(action, pick)


def _load_pending(rules: list[Rule], leaves: dict[str, Any], accounts: dict[str, Any]) -> None:
    """Before the builder is drawn: load the rule *Edit* asked for, or clear the builder."""
    wanted = st.session_state.pop("rule_load", None)
    if wanted is None:
        return
    if wanted == "":
        form.clear(st.session_state)
        st.session_state.pop("rule_editing", None)
        return
    rule = next((r for r in rules if str(r.id) == wanted), None)
    if rule is None:
        st.error("This rule no longer exists.")
    elif (problem := form.unfit(rule)) is not None:
        st.error(f"Rule “{rule.name}” cannot be edited here: {problem}.")
    else:
        for warning in form.load(st.session_state, rule, leaves, accounts):
            st.warning(f"Rule “{rule.name}”: {warning}.")
        st.session_state["rule_editing"] = wanted


def _editing(rules: list[Rule]) -> Rule | None:
    """The rule in the builder, if the user is editing one (and it still exists)."""
    wanted = st.session_state.get("rule_editing")
    rule = next((r for r in rules if str(r.id) == wanted), None) if wanted else None
    if wanted and rule is None:
        st.session_state.pop("rule_editing", None)
    return rule


def _preview(rule: Rule) -> None:
    try:
        with common.session() as conn:
            preview = rules_apply.preview_rule(conn, rule)
    except RuleError as exc:
        st.error(f"This rule cannot be previewed: {exc}")
        return
    st.info(f"This rule matches {preview.matched} transaction(s) and would change {preview.changed}.")
    if preview.sample:  # readable: date, description, amount, then current -> new values
        frame = pd.DataFrame(preview.sample)
        frame["amount"] = frame["amount"].astype(float)
        st.dataframe(frame, hide_index=True, key="rule_preview_rows", column_config={
            "date": st.column_config.DateColumn("Date"), "description": "Description",
            "amount": st.column_config.NumberColumn("Amount", format="%.2f"),
            **{c: c.capitalize() for c in frame.columns if c not in ("date", "description", "amount")}})


def _save(rule: Rule, apply_now: bool, editing: Rule | None) -> None:
    applied = apply_now and rule.enabled
    try:
        with common.session() as conn:
            rule.id = rules_store.save_rule(conn, rule)
            n = rules_apply.apply_rule(conn, rule.id) if applied else 0
    except RuleError as exc:
        st.error(f"This rule cannot be saved: {exc}")
        return
    st.session_state["rule_notice"] = f"Rule “{rule.name.strip()}” {'updated' if editing else 'saved'}" + (
        f"; it changed {n} existing transaction(s)." if applied else
        "; it is disabled, so it was not applied." if apply_now else ".")
    if editing:  # done: the builder is empty again for a new rule
        st.session_state["rule_load"] = ""
    st.rerun()


def render() -> None:
    if notice := st.session_state.pop("rule_notice", None):
        st.success(notice)
    if error := st.session_state.pop("rule_error", None):
        st.error(error)
    with common.session() as conn:
        rules = rules_store.list_rules(conn)
        every = {label: cid for cid, label in category_options(conn)}  # names of stored rules
        leaves = {label: cid for cid, label in leaf_options(conn)}  # what a rule can set
        accounts = {a["name"]: a["id"] for a in list_accounts(conn)}
    names = {str(v): k for k, v in {**every, **accounts}.items()}
    _load_pending(rules, leaves, accounts)
    _existing(rules, names)
    editing = _editing(rules)
    if editing is None:
        st.subheader("New rule")
    else:
        c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
        c1.subheader(f"Edit rule “{editing.name}”")
        if c2.button("Cancel editing", key="rule_cancel_edit"):
            st.session_state["rule_load"] = ""
            st.rerun()
        st.caption("Saving updates this rule" + ("" if editing.enabled else " (it stays disabled)")
                   + "; Preview shows what it would change.")
    rule = _builder(leaves, accounts)
    if editing is not None:  # the same rule: same id, and on or off as it is
        rule.id, rule.enabled = editing.id, editing.enabled
    c1, c2, c3 = st.columns([1, 1, 2])
    apply_now = c3.checkbox("Also apply to existing transactions", value=True, key="rule_apply_now")
    # both buttons are drawn before either acts, so a failed preview never hides Save
    preview = c1.button("Preview", key="rule_preview")
    save = c2.button("Save changes" if editing else "Save rule", key="rule_save", type="primary")
    if preview:
        _preview(rule)
    if save:
        _save(rule, apply_now, editing)

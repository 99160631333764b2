"""Rules tab: the user's rules in priority order, a rule builder with a preview ("this rule
would change 37 transactions"), save (validated: a bad regex, a priority outside 0 to
1,000,000 or a name the user already uses gets a message), apply to existing transactions,
delete. Preview and Save are always on screen; only saving needs a name. A rule sets a leaf
category ("Food › Groceries"), never a group; the preview shows each sample row's date,
description, amount and current -> new values."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import streamlit as st

from core import rules_store
from core.categories import category_options, leaf_options
from core.import_accounts import list_accounts
from core.rules import FIELDS, MAX_PRIORITY, MIN_PRIORITY, Rule, RuleError, describe, pick_labels
from pages import common

log = logging.getLogger(__name__)

NONE = "—"
MAX_CONDITIONS = 3


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


def _existing(rules: list[Rule], names: dict[str, str]) -> None:
    if not rules:
        st.info("No rules yet. Rules run on every import, before the categorizer.")
        return
    st.dataframe(pd.DataFrame([{"priority": r.priority, "name": r.name, "rule": describe(r, names),
                                "enabled": r.enabled} for r in rules]), hide_index=True, key="rules_table")
    by_label = pick_labels(rules)  # one distinct label per rule, even for identical rules
    c1, c2, c3 = st.columns([3, 1, 1])
    pick = by_label[c1.selectbox("Rule", list(by_label), key="rule_pick")]
    if c2.button("Apply to existing", key="rule_apply"):
        try:
            with common.session() as conn:
                n = rules_store.apply_rule(conn, pick.id)
        except RuleError as exc:
            st.error(f"This rule cannot be applied: {exc}")
        else:
            st.session_state["rule_notice"] = f"Rule “{pick.name}” changed {n} transaction(s)."
            st.rerun()
    if c3.button("Delete", key="rule_delete"):
        with common.session() as conn:
            rules_store.delete_rule(conn, pick.id)
        st.rerun()


def _preview(rule: Rule) -> None:
    try:
        with common.session() as conn:
            preview = rules_store.preview_rule(conn, rule)
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


def _save(rule: Rule, apply_now: bool) -> None:
    try:
        with common.session() as conn:
            rule.id = rules_store.save_rule(conn, rule)
            n = rules_store.apply_rule(conn, rule.id) if apply_now else 0
    except RuleError as exc:
        st.error(f"This rule cannot be saved: {exc}")
        return
    st.session_state["rule_notice"] = f"Rule “{rule.name.strip()}” saved" + (
        f"; it changed {n} existing transaction(s)." if apply_now else ".")
    st.rerun()


def render() -> None:
    if notice := st.session_state.pop("rule_notice", None):
        st.success(notice)
    with common.session() as conn:
        rules = rules_store.list_rules(conn)
        every = {label: cid for cid, label in category_options(conn)}  # names of stored rules
        leaves = {label: cid for cid, label in leaf_options(conn)}  # what a rule can set
        accounts = {a["name"]: a["id"] for a in list_accounts(conn)}
    names = {str(v): k for k, v in {**every, **accounts}.items()}
    _existing(rules, names)
    st.subheader("New rule")
    rule = _builder(leaves, accounts)
    c1, c2, c3 = st.columns([1, 1, 2])
    apply_now = c3.checkbox("Also apply to existing transactions", value=True, key="rule_apply_now")
    # both buttons are drawn before either acts, so a failed preview never hides Save
    preview = c1.button("Preview", key="rule_preview")
    save = c2.button("Save rule", key="rule_save", type="primary")
    if preview:
        _preview(rule)
    if save:
        _save(rule, apply_now)

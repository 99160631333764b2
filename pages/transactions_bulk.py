"""The transactions table's bulk actions: one action on every ticked row, or on every row
matching the filter (all pages, after a confirmation).

Rows are ticked in the table's first column ("N selected"); *Select all N matching the filter*
widens the selection to the whole filter. The actions (set category — leaves only —, send back
for review, exclude from / include in spending and income, add a tag) are
:mod:`core.bulk_edit`'s, each run as one database transaction in the user's session; the
confirmation says what changed ("Filed 7 transactions under Food › Groceries."), and a warning
how many split transactions the category actions left as they are, and why (their parts carry
their categories: the split is edited under Row details). Changing the filter drops a
whole-filter selection and a pending confirmation. The table's last changes (bulk actions,
category edits, "apply to all similar") can be undone, newest first (:mod:`core.undo`; the bar
is drawn here, under the table).
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from core import bulk_edit, transaction_rows
from core import transactions_search as svc
from core.corrections import CorrectionError
from core.undo import Change
from pages import common

log = logging.getLogger(__name__)

QUESTIONS = {"category": "File all {n} transactions matching the filter under {label}? Each becomes "
                         "your decision, which the categorizer learns from. Split transactions "
                         "keep their split.",
             "clear": "Send all {n} transactions matching the filter back for review? Their "
                      "categories are cleared and the categorizer suggests new ones. Split "
                      "transactions keep their split.",
             "exclude": "Exclude all {n} transactions matching the filter from spending and income?",
             "include": "Include all {n} transactions matching the filter in spending and income?",
             "tag": "Tag all {n} transactions matching the filter “{label}”?"}


def selected_positions(editor_state: Any) -> list[int]:
    """The table rows ticked in the editor's state (positions on the page)."""
    edited = (editor_state or {}).get("edited_rows", {}) if isinstance(editor_state, dict) else {}
    return sorted(int(pos) for pos, change in edited.items() if change.get("select"))


def _done(result: bulk_edit.BulkResult) -> None:
    """Say what changed (and why split rows were not) and start again with nothing selected;
    the action is offered for undoing (this browser session only, with the user it belongs
    to)."""
    st.session_state["tx_notice"] = result.summary
    if result.changed:
        remember([result.change], f"Last bulk action: {result.summary}")
    if result.split_note:
        st.session_state["tx_warning"] = result.split_note
    st.session_state["tx_editor_version"] = st.session_state.get("tx_editor_version", 0) + 1
    for key in ("tx_bulk_all", "tx_bulk_confirm"):
        st.session_state.pop(key, None)
    st.rerun()


def _run(user, action: str, category_id: Any, tag: str, *, ids: list[Any] | None = None,
         filters: svc.Filters | None = None) -> None:
    """The action on ``ids``, or on every row of ``filters`` found now; one transaction."""
    try:
        with common.session() as conn:
            if filters is not None:
                ids = svc.matching_ids(conn, filters, cipher=transaction_rows.cipher_for(conn, user.id),
                                       user_id=user.id)
            result = bulk_edit.apply(conn, action, ids or [], category_id=category_id, tag=tag)
    except CorrectionError as exc:
        st.session_state.pop("tx_bulk_confirm", None)
        st.error(f"Nothing was changed: {exc}")
        return
    _done(result)


UNDO = "tx_changes"
"""Session key: the table's changes that can be undone (:func:`remember`)."""


def remember(changes: list[Change | None], text: str) -> None:
    """Offer what an action in the table changed (a bulk action, category edits, "apply to all
    similar") for undoing, on top of the earlier ones."""
    common.remember_undo(UNDO, changes, text)


def _undo() -> None:
    restored = common.undo_last(UNDO)
    if restored is None:
        return
    st.session_state.pop("last_correction", None)  # its "apply to all similar" box: stale now
    st.session_state["tx_notice"] = (
        f"Undone: {restored:,} transaction{'' if restored == 1 else 's'} put back as before."
        if restored else "Nothing to undo: those transactions were changed since.")
    st.session_state["tx_editor_version"] = st.session_state.get("tx_editor_version", 0) + 1


def _confirm(user, pending: dict[str, Any]) -> None:
    st.warning(QUESTIONS[pending["action"]].format(n=f"{pending['n']:,}", label=pending["label"]))
    c1, c2 = st.columns(2)
    if c1.button(f"Yes, all {pending['n']:,}", key="tx_bulk_confirm_yes", type="primary"):
        _run(user, pending["action"], pending["category_id"], pending["tag"], filters=pending["filters"])
    if c2.button("Cancel", key="tx_bulk_confirm_no"):
        st.session_state.pop("tx_bulk_confirm", None)
        st.rerun()


def render(user, filters: svc.Filters, total: int, selected: list[Any], leaves: dict[str, Any]) -> None:
    """The bulk bar under the table: ``selected`` ids ticked on this page, ``total`` rows match
    ``filters``; categories are picked among ``leaves`` (label -> id). While a whole-filter
    action waits for its confirmation, the bar stays on screen, locked, above the question."""
    whole = st.session_state.get("tx_bulk_all") == filters
    if not whole:  # the filter changed: so did what "all" means
        for key in ("tx_bulk_all", "tx_bulk_confirm"):
            st.session_state.pop(key, None)
    pending = st.session_state.get("tx_bulk_confirm")
    common.undo_bar(UNDO, "tx_undo", _undo,
                    "Put these transactions back as they were before this change")
    if not selected and not whole:
        c1, c2 = st.columns([3, 1], vertical_alignment="center")
        c1.caption("Tick rows in the first column to file, send back, exclude or tag several at once.")
        if total and c2.button(f"Select all {total:,} matching the filter", key="tx_bulk_all_btn"):
            st.session_state["tx_bulk_all"] = filters
            st.rerun()
        return
    locked = pending is not None
    with st.container(border=True):
        c1, c2 = st.columns([3, 1], vertical_alignment="center")
        if whole:
            c1.markdown(f"**All {total:,} transactions matching the filter selected**")
            if c2.button("Clear selection", key="tx_bulk_none", disabled=locked):
                st.session_state.pop("tx_bulk_all", None)
                st.rerun()
        else:
            c1.markdown(f"**{len(selected):,} selected**")
            if total > len(selected) and c2.button(f"Select all {total:,} matching the filter",
                                                   key="tx_bulk_all_btn"):
                st.session_state["tx_bulk_all"] = filters
                st.rerun()
        a1, a2, a3 = st.columns([2, 2, 1], vertical_alignment="bottom")
        action = a1.selectbox("Action", list(bulk_edit.ACTIONS), format_func=bulk_edit.ACTIONS.get,
                              key="tx_bulk_action", disabled=locked)
        label, tag = "", ""
        if action == "category":
            label = a2.selectbox("Category", list(leaves), key="tx_bulk_category", disabled=locked) or ""
        elif action == "tag":
            tag = label = a2.text_input("Tag", max_chars=bulk_edit.MAX_TAG, key="tx_bulk_tag",
                                        disabled=locked).strip()
        n = total if whole else len(selected)
        apply = a3.button(f"Apply to {n:,}", key="tx_bulk_apply", type="primary", disabled=locked)
        if pending is not None:
            _confirm(user, pending)
            return
        if not apply:
            return
        if action == "tag" and not tag:
            st.error("Type the tag to add first.")
            return
        if whole:  # the whole filter: confirm first
            st.session_state["tx_bulk_confirm"] = {"action": action, "category_id": leaves.get(label),
                                                   "label": label, "tag": tag, "filters": filters,
                                                   "n": total}
            st.rerun()
        _run(user, action, leaves.get(label), tag, ids=selected)

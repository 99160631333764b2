"""The box under the transactions table after a category edit: what it filed, "apply to all
similar" (what it would change is counted in the database at each render, so rows the job, or
anything else, filed since are not offered), "always do this" (a rule) and "Done". A row sent
back for review gets a box that says the categorizer will suggest a category at its next run.
A click that no longer fits (the category or transaction went in another tab) says why and
changes nothing (:func:`_stale`)."""

from __future__ import annotations

import logging
from typing import NoReturn

import streamlit as st

from core import corrections as corr
from core.correction_rules import rule_from_correction
from pages import common
from pages import transactions_bulk as bulk

log = logging.getLogger(__name__)


def render() -> None:
    """The box after a correction. What "apply to all similar" would change is counted in the
    database at each render, so rows the job (or anything else) filed since are not offered."""
    last = st.session_state.get("last_correction")
    if not last:
        return
    if last["category_id"] is None:
        with st.container(border=True):
            st.write(f"Sent **{last['description']}** back for review: the categorizer will "
                     "suggest a category at its next run (see Needs review).")
            if st.button("Done", key="tx_follow_up_done"):
                st.session_state.pop("last_correction")
                st.rerun()
        return
    try:
        with common.session() as conn:
            similar = corr.similar_count(conn, last["id"], last["category_id"])
    except corr.CorrectionError:  # the transaction is gone (an undone import)
        st.session_state.pop("last_correction")
        return
    with st.container(border=True):
        followed = last.get("followed", 0)
        st.write(f"Filed **{last['description']}** under **{last['label']}**"
                 + (f", and {followed} similar uncategorized transaction(s) with it."
                    if followed else ".")
                 + ("" if similar else " No similar transaction is left in another category."))
        c1, c2, c3 = st.columns(3)
        if similar and c1.button(f"Apply to all {similar} similar transactions",
                                 key="tx_apply_similar"):
            try:
                with common.session() as conn:
                    change = corr.apply_to_similar(conn, last["id"], last["category_id"])
            except corr.CorrectionError as exc:  # the category went in another tab since
                _stale(exc)
            st.session_state.pop("last_correction")
            st.session_state["tx_notice"] = notice = (
                f"{change.rows} similar transaction(s) filed under {last['label']}.")
            bulk.remember([change], f"Last change: {notice}")
            st.rerun()
        if c2.button("Always do this (create a rule)", key="tx_make_rule"):
            try:
                with common.session() as conn:
                    made = rule_from_correction(conn, last["id"], last["category_id"],
                                                last["label"])
            except corr.CorrectionError as exc:
                _stale(exc)
            st.session_state.pop("last_correction")
            st.session_state["tx_notice"] = made.message
            st.rerun()
        if c3.button("Done", key="tx_follow_up_done"):
            st.session_state.pop("last_correction")
            st.rerun()


def _stale(exc: Exception) -> NoReturn:
    """The box's action no longer fits (its category or transaction went in another tab):
    say why, drop the box and draw the page again."""
    st.session_state.pop("last_correction", None)
    st.session_state["tx_error"] = [f"Nothing was changed: {exc}"]
    st.rerun()

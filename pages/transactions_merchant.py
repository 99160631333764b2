"""Row details' *Merchant*: rename the merchant of one transaction, or of every transaction
with that merchant, and (by a rule) of future imports (:mod:`core.merchant_rename`).

The scope's labels never change (a widget whose options change is a new widget to the
browser, which then shows none of them picked); how many rows carry the name is a caption. The
name box shows the merchant as stored and keeps what the user typed until the stored name
changes (a rename, an undo). The rename is confirmed once, with how many rows and which rule,
and can be undone with the table's Undo.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from core import merchant_rename as rename
from pages import common

log = logging.getLogger(__name__)

DONE = "tx_merchant_renamed"
"""Session key: (transaction id, the confirmation of its rename), shown once."""
ALL, ONE = "all", "one"


def render(tx_id: Any, as_stored: Any, saved: Any) -> None:
    """The merchant of ``tx_id``: its name box, the scope, the rule box and the button.
    ``as_stored(key, value)`` syncs a widget with the stored value; ``saved(change, text)``
    offers the change for the table's Undo and reruns."""
    with common.session() as conn:
        old, _ = rename.merchant_of(conn, tx_id)
        count = len(rename.rows_named(conn, old))
    st.markdown("**Merchant**")
    key = f"tx_merchant_{tx_id}"
    as_stored(key, old)
    name = st.text_input("Merchant name", key=key, max_chars=rename.MAX_MERCHANT,
                         help="The name the review queue, the dashboard and the categorizer "
                              "know this merchant by. Two spellings renamed to one name become "
                              "one merchant.")
    st.caption(f"{count} transactions are named {old}." if count > 1
               else f"Only this transaction is named {old} so far.")
    scopes = {ALL: "Every transaction with this merchant", ONE: "Only this transaction"}
    scope = st.radio("Rename", list(scopes), format_func=scopes.__getitem__, horizontal=True,
                     key=f"tx_merchant_scope_{tx_id}")
    remember = st.checkbox("Also in future imports (adds a rule)", value=True,
                           key=f"tx_merchant_rule_{tx_id}", disabled=scope == ONE)
    if st.button("Rename merchant", key=f"tx_merchant_save_{tx_id}"):
        try:
            with common.session() as conn:
                done = rename.rename_merchant(conn, tx_id, name, every=scope == ALL,
                                              remember=remember)
        except rename.RenameError as exc:
            st.error(f"Not renamed: {exc}.")
        else:
            st.session_state[DONE] = (str(tx_id), done.message)
            saved(done.change, f"Last change: renamed {done.old} to {done.new}.")
    if (done := st.session_state.get(DONE)) and done[0] == str(tx_id):
        st.success(st.session_state.pop(DONE)[1])

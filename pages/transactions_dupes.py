"""Possible duplicates tab: rows an import flagged, next to the row they may repeat; the user
keeps both or deletes the new one (the import never decides alone)."""

from __future__ import annotations

import logging

import streamlit as st

from core.transaction_rows import possible_duplicates, resolve_duplicate
from pages import common

log = logging.getLogger(__name__)


def _resolve(tx_id: str, action: str) -> None:
    try:
        with common.session() as conn:
            resolve_duplicate(conn, tx_id, action)
    except ValueError as exc:  # resolved in another tab, or its import undone, since
        st.toast(f"Nothing changed: {exc}.")
        return
    st.toast("Kept both." if action == "keep" else "Deleted the duplicate.")


def render() -> None:
    with common.session() as conn:
        rows = possible_duplicates(conn)
    if not rows:
        st.info("No possible duplicates to review.")
        return
    st.caption("These rows were imported but look like a transaction you already had. Nothing was "
               "merged or dropped: you decide.")
    for r in rows:
        with st.container(border=True):
            left, right = st.columns(2)
            amount = common.money(r["amount"], r["currency"])
            left.markdown(f"**New:** {r['date']} · {r['description']} · {amount}  \n{r['account']}")
            right.markdown(f"**Already there:** {r['original_date']} · {r['original_description']}"
                           f"  \nfrom {r['original_file'] or 'manual entry'}")
            st.caption(f"Why: {r['reason']}")
            c1, c2 = st.columns(2)
            tx_id = str(r["id"])
            c1.button("Keep both", key=f"dup_keep_{tx_id}", on_click=_resolve, args=(tx_id, "keep"))
            c2.button("Delete the new one", key=f"dup_delete_{tx_id}", on_click=_resolve,
                      args=(tx_id, "delete"))

"""Transactions: search and page through the signed-in user's transactions."""

from __future__ import annotations

import logging

import streamlit as st

from core import queries
from pages import common

log = logging.getLogger(__name__)

PAGE_SIZE = 50


def render() -> None:
    common.require_user()
    st.title("Transactions")
    text = st.text_input("Search description or merchant", key="tx_search")
    page = int(st.number_input("Page", min_value=1, value=1, step=1, key="tx_page"))
    with common.session() as conn:
        rows, total = queries.search_transactions(conn, text=text, limit=PAGE_SIZE,
                                                  offset=(page - 1) * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    st.caption(f"{total:,} transactions · page {min(page, pages)} of {pages}")
    if rows.empty:
        st.info("No transactions match." if total or text else "No transactions yet.")
        return
    rows["amount"] = rows["amount"].astype(float)
    st.dataframe(rows, hide_index=True, key="tx_table", column_config={
        "amount": st.column_config.NumberColumn("Amount", format="%.2f"),
        "confidence": st.column_config.ProgressColumn("Confidence", min_value=0, max_value=1),
    })


render()

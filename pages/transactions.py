"""Transactions: the searchable table with corrections, statement import, duplicates, rules
and merchants.

Each tab lives in its own module (``pages/transactions_*.py``); every figure and every change
goes through ``core`` in the signed-in user's session. The open tab is remembered by name, so a
decision that changes a count in a tab label does not send the user back to the first tab.
"""

from __future__ import annotations

import logging

import streamlit as st

from core.review import queue_size
from core.transaction_rows import possible_duplicates
from pages import (
    common,
    transactions_dupes,
    transactions_import,
    transactions_merchants,
    transactions_review,
    transactions_rules,
    transactions_table,
)

log = logging.getLogger(__name__)


TABS = ("Transactions", "Needs review", "Import", "Possible duplicates", "Rules", "Merchants")


def _open_tab(counts: dict[str, int]) -> tuple[list[str], str]:
    """The tab labels (a count after the tabs that have one) and the label to open: the tab
    the user was on. A label with a count changes when the count does (a decision in Needs
    review or Possible duplicates, an import, the categorizer), and Streamlit then treats the
    tabs as new ones and would open the first; so the open tab is remembered by its name."""
    labels = [f"{name} ({counts[name]})" if name in counts else name for name in TABS]
    current = st.session_state.get("tx_tab")
    return labels, labels[TABS.index(current)] if current in TABS else labels[0]


def render() -> None:
    user = common.require_user()
    st.title("Transactions")
    with common.session() as conn:
        counts = {"Needs review": queue_size(conn),
                  "Possible duplicates": len(possible_duplicates(conn, limit=500))}
    labels, default = _open_tab(counts)
    tabs = st.tabs(labels, default=default, key="tx_tabs", on_change="rerun")
    st.session_state["tx_tab"] = next((name for name, tab in zip(TABS, tabs, strict=True) if tab.open),
                                      TABS[0])
    table, to_review, upload, dupes, rules, merchants = tabs
    with table:
        transactions_table.render(user)
    with to_review:
        transactions_review.render()
    with upload:
        transactions_import.render(user)
    with dupes:
        transactions_dupes.render()
    with rules:
        transactions_rules.render()
    with merchants:
        if merchants.open:  # a list of every merchant: drawn only while it is looked at
            transactions_merchants.render()


render()

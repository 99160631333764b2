"""Transactions: the searchable table with corrections, statement import, duplicates, rules.

Each tab lives in its own module (``pages/transactions_*.py``); every figure and every change
goes through ``core`` in the signed-in user's session.
"""

from __future__ import annotations

import logging

import streamlit as st

from core.review import queue_size
from core.transactions_service import possible_duplicates
from pages import (
    common,
    transactions_dupes,
    transactions_import,
    transactions_review,
    transactions_rules,
    transactions_table,
)

log = logging.getLogger(__name__)


def render() -> None:
    user = common.require_user()
    st.title("Transactions")
    with common.session() as conn:
        n_dupes = len(possible_duplicates(conn, limit=500))
        n_review = queue_size(conn)
    table, to_review, upload, dupes, rules = st.tabs(
        ["Transactions", f"Needs review ({n_review})", "Import", f"Possible duplicates ({n_dupes})",
         "Rules"])
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


render()

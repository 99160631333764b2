"""The transactions table's *Row details*: split one transaction across categories, edit its
tags, exclude it from spending and income, and rename its merchant
(:mod:`pages.transactions_merchant`).

The row is picked among the rows of the table's page, by a readable label (identical rows are
numbered, "(1 of 2)"); a split's parts are picked among leaf categories (each part needs one)
and must add up to the amount (``core.corrections.split_transaction`` names a bad part, or
says how much is left to assign; the page says "Split not saved: ..."). While the parts are
typed, a line under them shows the transaction's amount, the sum of the parts and what is left
to assign (green at zero, ``core.corrections.split_balance``); a saved split is confirmed with
its parts ("Saved the split of ...: Food › Groceries -60.00, Shopping › Household -43.56."),
also when the row no longer matches the table's filter. A split row's Category cell in the
table lists its parts, and the table refuses to overwrite it: the split is edited here. The
section's expander keeps its state (:data:`OPEN`), so a save that changes the tab labels (the
Needs review count) does not close it. A save of tags and exclusion is confirmed (or says
there was nothing to save); every save and removal can be undone with the table's Undo
(:func:`core.undo.tracked_split`, :func:`core.transaction_rows.save_details`).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import pandas as pd
import streamlit as st

from core import corrections as corr
from core import transaction_rows as tx_rows
from core import undo
from core.undo import Change
from pages import common
from pages import transactions_bulk as bulk
from pages import transactions_merchant as merchant

log = logging.getLogger(__name__)

NONE = "—"
"""The category picker's "no category" (the table's too)."""
SAVED = "tx_split_saved"
"""Session key: (transaction id, the confirmation of its saved or removed split), shown once."""
OPEN = "tx_row_details"
"""Session key of the expander around this section: whether it is open."""
SHOWN = "tx_details_shown"
"""Session key: each tags and exclusion widget's value as stored when last shown (:func:`_as_stored`)."""
DETAILS_SAVED = "tx_details_saved"
"""Session key: (transaction id, the confirmation of its saved tags and exclusion), shown once."""


def _choices(rows: pd.DataFrame) -> dict[Any, str]:
    """A readable, unique label per row id: identical rows (same day, description and amount)
    are numbered in table order, "(1 of 2)", "(2 of 2)"."""
    base = {r.id: f"{r.date} · {r.description[:50]} · {r.amount:,.2f}" for r in rows.itertuples()}
    counts = Counter(base.values())
    seen: Counter[str] = Counter()
    names = {NONE: NONE}
    for tx_id, label in base.items():
        seen[label] += 1
        names[tx_id] = f"{label} ({seen[label]} of {counts[label]})" if counts[label] > 1 else label
    return names


def confirm_gone(rows: pd.DataFrame) -> None:
    """The confirmation of a split saved for a row that is not among ``rows`` any more (a split
    row is no longer in review, so "Needs review only" drops it): shown here, at once."""
    done = st.session_state.get(SAVED)
    if done and done[0] not in {str(i) for i in rows.get("id", [])}:
        st.success(st.session_state.pop(SAVED)[1] + " It no longer matches the filter.")


def render(rows: pd.DataFrame, labels: dict[str, Any], leaves: dict[str, Any]) -> None:
    """Split, tags and exclusion of one row; a split's parts are picked among ``leaves``."""
    names = _choices(rows)
    confirm_gone(rows)
    pick = st.selectbox("Edit a transaction (merchant, split, tags, exclude)", list(names),
                        key="tx_pick",
                        format_func=names.__getitem__)
    if pick == NONE or pick not in names:
        return
    row = next(r for r in rows.itertuples() if r.id == pick)
    _as_stored(f"tx_tags_{row.id}", ", ".join(row.tags))
    _as_stored(f"tx_excl_{row.id}", bool(row.excluded))
    tags = st.text_input("Tags (comma separated)", key=f"tx_tags_{row.id}")
    excluded = st.toggle("Exclude from spending and income", key=f"tx_excl_{row.id}")
    if st.button("Save tags and exclusion", key=f"tx_save_tags_{row.id}"):
        with common.session() as conn:
            change = tx_rows.save_details(conn, row.id, tags.split(","), excluded)
        what = f"the tags and exclusion of {names[row.id]}"
        st.session_state[DETAILS_SAVED] = (str(row.id), f"Saved {what}." if change else
                                           f"Nothing to save: {what} are as shown.")
        _saved(change, f"Last change: {what} saved.")
    if (done := st.session_state.get(DETAILS_SAVED)) and done[0] == str(row.id):
        st.success(st.session_state.pop(DETAILS_SAVED)[1])
    merchant.render(row.id, _as_stored, _saved)
    st.markdown("**Split across categories**")
    with common.session() as conn:
        parts = corr.get_splits(conn, row.id)
    by_id = {v: k for k, v in labels.items()}
    start = pd.DataFrame([{"category": by_id.get(p["category_id"], NONE), "amount": float(p["amount"]),
                           "memo": p["memo"]} for p in parts] or [
        {"category": row.category if isinstance(row.category, str) and row.category else NONE,
         "amount": float(row.amount), "memo": ""},
        {"category": NONE, "amount": 0.0, "memo": ""}])
    edited = st.data_editor(start, num_rows="dynamic", hide_index=True, key=f"tx_split_{row.id}",
                            column_config={
                                "category": st.column_config.SelectboxColumn(options=[NONE, *leaves]),
                                "amount": st.column_config.NumberColumn(format="%.2f")})
    _balance(corr.split_balance(row.amount, edited["amount"]))
    if (done := st.session_state.get(SAVED)) and done[0] == str(row.id):
        st.success(st.session_state.pop(SAVED)[1])
    c1, c2 = st.columns(2)
    name = names[row.id]
    if c1.button("Save split", key=f"tx_split_save_{row.id}"):
        # every editor row, so a message's "part n" is row n; empty rows are skipped
        wanted = [(labels.get(p.category), p.amount, p.memo) for p in edited.itertuples()]
        try:
            with common.session() as conn:
                _, change = undo.tracked_split(
                    conn, row.id, lambda: corr.split_transaction(conn, row.id, wanted))
                saved = corr.get_splits(conn, row.id)
        except corr.CorrectionError as exc:
            st.error(f"Split not saved: {exc}.")
        else:
            text = f"Saved the split of {name}: " + ", ".join(
                f"{by_id.get(p['category_id'], 'uncategorized')} {p['amount']:,.2f}" for p in saved) + "."
            st.session_state[SAVED] = (str(row.id), text)
            _saved(change, f"Last change: {text[0].lower()}{text[1:]}")
    if parts and c2.button("Remove split", key=f"tx_split_remove_{row.id}"):
        with common.session() as conn:
            _, change = undo.tracked_split(conn, row.id, lambda: corr.remove_split(conn, row.id))
        st.session_state[SAVED] = (str(row.id), f"Removed the split of {name}.")
        _saved(change, f"Last change: removed the split of {name}.")


def _saved(change: Change | None, undo_text: str) -> None:
    """After a save: offer it for the table's Undo (``undo_text`` says what it did) and draw
    the page again."""
    if change is not None:
        bulk.remember([change], undo_text)
    st.rerun()


def _as_stored(key: str, stored: Any) -> None:
    """Show the row's ``stored`` value in the widget ``key`` when it changed since the widget
    last showed it (a save, an undo, a tag added in the table), and keep what the user typed
    otherwise. Set through the session state, so the browser's box changes too."""
    shown = st.session_state.setdefault(SHOWN, {})
    if key not in shown or shown[key] != stored:
        st.session_state[key] = shown[key] = stored


def _balance(balance: corr.SplitBalance) -> None:
    """Under the parts, while they are typed: the amount, their sum and what is left to assign
    (green at zero, when the split can be saved)."""
    colour = "green" if balance.left == 0 else "orange"
    st.markdown(f"Transaction **{balance.amount:,.2f}** · parts **{balance.assigned:,.2f}** · "
                f"left to assign :{colour}[**{balance.left:,.2f}**]")

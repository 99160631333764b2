"""The Transactions page's *Merchants* tab: every merchant with its transactions, money out and
in, usual category and when it was seen (:mod:`core.merchant_list`), searchable; pick one to
rename it, or give it another merchant's name to make the two one merchant (a merge), for
future imports too by a rule (:mod:`core.merchant_rename`). Above the list, merchants that look
like one shop written two ways are offered for a merge either way, or "Not the same" (kept
apart, not suggested again; :mod:`ml.merchant_pairs`). Renames and merges can be undone,
newest first, with the tab's own Undo.
"""

from __future__ import annotations

import logging

import streamlit as st

from core import merchant_rename as rename
from core.merchant_list import (
    LIMIT,
    forget_apart,
    keep_apart,
    kept_apart,
    list_merchants,
    suggestions,
)
from pages import common

log = logging.getLogger(__name__)

UNDO = "mc_last"
"""Session key of this tab's undo stack."""
DONE = "mc_done"
"""Session key: the confirmation of the last rename, shown once."""
FAILED = "mc_failed"
"""Session key: why the last rename was refused, shown once."""


def _undo() -> None:
    restored = common.undo_last(UNDO)
    if restored is not None:
        st.session_state[DONE] = (f"Undone: {restored} transaction{'s' if restored != 1 else ''}"
                                  " back to their earlier name." if restored else
                                  "Nothing to undo: those transactions were renamed again since.")


def render() -> None:
    common.undo_bar(UNDO, "mc_undo", _undo, "Give these transactions their earlier name back")
    if done := st.session_state.pop(DONE, None):
        st.success(done)
    search = st.text_input("Search merchants", key="mc_search")
    with common.session() as conn:
        merchants, total = list_merchants(conn, search)
        kept = kept_apart(conn)
        pairs = suggestions(conn, merchants, apart=kept)
    apart = sorted(kept)
    if merchants.empty:
        st.info("No merchant matches." if search.strip() else "No transactions yet: import a "
                "statement first.")
        return
    st.caption((f"The {len(merchants):,} with the most transactions of {total:,} merchants; "
                "search to find the others. " if total > len(merchants) else
                f"{total:,} merchant{'s' if total != 1 else ''}. ")
               + "Rename one, or give it another merchant's name to make them one merchant: "
               "the review queue, the dashboard and the categorizer then know them as one.")
    names = dict(zip(merchants["merchant"], merchants["example_id"], strict=True))
    _suggest(pairs, names)
    shown = merchants.drop(columns="example_id").fillna({"category": "—"})  # none filed yet
    st.dataframe(shown, hide_index=True, width="stretch",
                 column_config={
                     "merchant": st.column_config.TextColumn("Merchant", width="medium"),
                     "transactions": st.column_config.NumberColumn("Transactions"),
                     "money_out": st.column_config.NumberColumn("Money out", format="%.2f"),
                     "money_in": st.column_config.NumberColumn("Money in", format="%.2f"),
                     "currency": st.column_config.TextColumn("Currency"),
                     "category": st.column_config.TextColumn("Usual category"),
                     "first": st.column_config.DateColumn("First seen"),
                     "last": st.column_config.DateColumn("Last seen")})
    if apart:
        _apart(apart)
    pick = st.selectbox("Rename or merge", list(names), index=None, key="mc_pick",
                        placeholder=f"Choose a merchant (of the {min(total, LIMIT):,} listed)")
    if pick is None:
        return
    st.text_input("New name", value=pick, key=f"mc_name_{pick}", max_chars=rename.MAX_MERCHANT,
                  help="Type another merchant's name to merge the two.")
    st.checkbox("Also in future imports (adds a rule)", value=True, key=f"mc_rule_{pick}")
    st.button("Rename merchant", key="mc_rename", on_click=_rename,
              args=(names[pick], pick, [m for m in names if m != pick]))
    if problem := st.session_state.pop(FAILED, None):
        st.error(problem)


def _suggest(pairs: list, names: dict) -> None:
    """Merchants that look like one shop written two ways: merge either into the other (and,
    by a rule, future imports), or say they are different (not suggested again)."""
    if not pairs:
        return
    st.markdown("**Possibly the same merchant**")
    for n, p in enumerate(pairs):
        text, into, back, apart = st.columns([5, 2, 2, 2], vertical_alignment="center")
        text.caption(f"{p.merge} and {p.into} ({p.transactions} transactions): {p.why}.")
        into.button(f"Merge into {p.into}", key=f"mc_merge_{n}", on_click=_apply,
                    args=(names[p.merge], p.into, True, [p.into]))
        back.button(f"Merge into {p.merge}", key=f"mc_merge_back_{n}", on_click=_apply,
                    args=(names[p.into], p.merge, True, [p.merge]))
        apart.button("Not the same", key=f"mc_apart_{n}", on_click=_keep_apart,
                     args=(p.merge, p.into))


def _apart(pairs: list[tuple[str, str]]) -> None:
    """The pairs said to be different shops, each of which can be suggested again."""
    with st.expander(f"Kept apart ({len(pairs)})"):
        for n, (a, b) in enumerate(pairs):
            text, again = st.columns([5, 2], vertical_alignment="center")
            text.caption(f"{a} and {b}")
            again.button("Suggest again", key=f"mc_again_{n}", on_click=_forget, args=(a, b))


def _forget(a: str, b: str) -> None:
    with common.session() as conn:
        forget_apart(conn, a, b)
    st.session_state[DONE] = f"{a} and {b} may be suggested for a merge again."


def _keep_apart(a: str, b: str) -> None:
    with common.session() as conn:
        keep_apart(conn, a, b)
    st.session_state[DONE] = f"{a} and {b} are kept apart: not suggested again."


def _rename(tx_id: str, pick: str, others: list[str]) -> None:
    """The form's callback (it runs before the widgets are drawn again, so the picker can be
    emptied)."""
    _apply(tx_id, st.session_state.get(f"mc_name_{pick}", ""),
           bool(st.session_state.get(f"mc_rule_{pick}", True)), others)


def _apply(tx_id: str, name: str, remember: bool, others: list[str]) -> None:
    """Rename the merchant of ``tx_id`` to ``name`` everywhere, confirm (a merge if ``others``
    has the name), offer it for Undo."""
    try:
        with common.session() as conn:
            done = rename.rename_merchant(conn, tx_id, name, remember=remember)
    except rename.RenameError as exc:
        st.session_state[FAILED] = f"Not renamed: {exc}."
        return
    merged = any(m.lower() == done.new.lower() for m in others)
    st.session_state[DONE] = done.message + (f" {done.new} was already a merchant: they are one "
                                             "now." if merged and done.rows else "")
    common.remember_undo(UNDO, [done.change], f"Last change: renamed {done.old} to {done.new}.")
    st.session_state["mc_pick"] = None

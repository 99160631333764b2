"""The "Needs review" tab: what the categorizer was unsure about, most helpful decision first,
with its top suggestions one click away and a full category picker."""

from __future__ import annotations

import logging

import streamlit as st

from core import review
from core.transactions_service import category_options
from pages import common

log = logging.getLogger(__name__)


def _decide(tx_id: str, category: str, merchant: str) -> None:
    with common.session() as conn:
        decision = review.decide(conn, tx_id, category)
    st.toast(f"{merchant}: filed under {category}"
             + (f", and {decision.propagated} similar" if decision.propagated else ""))


def _percent(p: float) -> str:
    """``64%``; ``<1%`` rather than a misleading ``0%`` for a faint suggestion."""
    return "<1%" if p < 0.005 else f"{p:.0%}"


def render() -> None:
    with common.session() as conn:
        queue = review.queue(conn, limit=25)
        options = [label for _, label in category_options(conn)]
    if queue.empty:
        st.success("Nothing to review: every transaction is categorized.")
        return
    st.caption("Ordered by how much one decision helps: frequent, uncertain merchants first. "
               "A decision also files that merchant's other undecided transactions.")
    for row in queue.itertuples(index=False):
        with st.container(border=True, key=f"rv-card-{row.example_id}"):
            st.markdown(f"**{row.merchant}** · {row.n} transaction(s) · latest "
                        f"{row.last_date:%d %b %Y} {common.money(row.amount, row.currency)}")
            st.caption(f"{row.example} — {row.explanation or 'no explanation'}")
            cols = st.columns(4)
            for i, s in enumerate((row.suggestions or [])[:3]):
                cols[i].button(f"{s['category']} ({_percent(s['confidence'])})",
                               key=f"rv-{row.example_id}-{i}", on_click=_decide,
                               args=(row.example_id, s["category"], row.merchant))
            leaf_names = sorted({o.split(" › ", 1)[1] for o in options if " › " in o})
            other = cols[3].selectbox("Other", [""] + leaf_names, key=f"rv-other-{row.example_id}",
                                      label_visibility="collapsed", placeholder="Other category")
            if other:
                _decide(row.example_id, other, row.merchant)
                st.rerun()

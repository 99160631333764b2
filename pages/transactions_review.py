"""The "Needs review" tab: what the categorizer was unsure about, most helpful decision first,
with its top suggestions one click away and a full category picker. The tab shows the first
merchants, says how many wait in all, and shows the next ones on "Show more"; when the queue
shrinks, what "Show more" asked for shrinks with it (never more pages than the queue fills)."""

from __future__ import annotations

import logging

import streamlit as st

from core import review
from core.categories import SEPARATOR, leaf_options
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


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _show_more() -> None:
    st.session_state["rv_shown"] = int(st.session_state.get("rv_shown", review.PAGE)) + review.PAGE


def _shown(merchants: int) -> int:
    """How many merchants to show: as many as "Show more" asked for, but no more pages of
    :data:`core.review.PAGE` than the queue fills now (kept, so that a queue that shrank and
    grows again does not show pages the user did not ask for)."""
    asked = max(review.PAGE, int(st.session_state.get("rv_shown") or review.PAGE))
    shown = min(asked, max(1, -(-merchants // review.PAGE)) * review.PAGE)
    st.session_state["rv_shown"] = shown
    return shown


def render() -> None:
    with common.session() as conn:
        size = review.queue_counts(conn)
        queue = review.queue(conn, limit=_shown(size.merchants))
        leaf_names = sorted({label.split(SEPARATOR, 1)[1] for _, label in leaf_options(conn)})
    if queue.empty:
        st.success("Nothing to review: every transaction is categorized.")
        return
    waiting = (f"{_plural(size.merchants, 'merchant')} waiting "
               f"({_plural(size.transactions, 'transaction')})")
    st.caption((f"Showing {len(queue):,} of {waiting}. " if size.merchants > len(queue)
                else f"{waiting}. ")
               + "Ordered by how much one decision helps: frequent, uncertain merchants first. "
               "A decision also files that merchant's other undecided transactions.")
    for row in queue.itertuples(index=False):
        with st.container(border=True, key=f"rv-card-{row.example_id}"):
            st.markdown(f"**{row.merchant}** · {_plural(row.n, 'transaction')} · latest "
                        f"{row.last_date:%d %b %Y} {common.money(row.amount, row.currency)}")
            st.caption(f"{row.example} — {row.explanation or 'no explanation'}")
            cols = st.columns(4)
            for i, s in enumerate((row.suggestions or [])[:3]):
                cols[i].button(f"{s['category']} ({_percent(s['confidence'])})",
                               key=f"rv-{row.example_id}-{i}", on_click=_decide,
                               args=(row.example_id, s["category"], row.merchant))
            other = cols[3].selectbox("Other", [""] + leaf_names, key=f"rv-other-{row.example_id}",
                                      label_visibility="collapsed", placeholder="Other category")
            if other:
                _decide(row.example_id, other, row.merchant)
                st.rerun()
    if size.merchants > len(queue):
        left = size.merchants - len(queue)
        st.button("Show more", key="rv_more", on_click=_show_more,
                  help=(f"Show the last {_plural(left, 'merchant')}" if left <= review.PAGE else
                        f"Show {review.PAGE} more of the {left:,} merchants not shown yet"))

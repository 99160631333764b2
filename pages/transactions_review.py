"""The "Needs review" tab: what the categorizer was unsure about, most helpful decision first,
with its top suggestions one click away and a full category picker; the suggestions at least
90% sure can be accepted together from a table. The last decisions (a decision, or an accepted
table) can be undone, newest first (:mod:`core.undo`), and the last card decision can be made a
rule for the merchant's future imports ("Always do this", :mod:`core.correction_rules`). A
card's "Rename" gives its merchant a readable name (every transaction of it, and by a rule
future imports: :mod:`core.merchant_rename`), undone like a decision. The tab shows the first
merchants, says
how many wait in all, and shows the next ones on "Show more"; when the queue shrinks, what
"Show more" asked for shrinks with it (never more pages than the queue fills)."""

from __future__ import annotations

import hashlib
import logging

import pandas as pd
import streamlit as st

from core import merchant_rename, review
from core.categories import SEPARATOR, labels_by_id, leaf_options
from core.correction_rules import rule_from_correction
from core.corrections import CorrectionError
from pages import common

log = logging.getLogger(__name__)


RULE_OFFER = "rv_rule_offer"
"""Session key: the last card decision, offered as a rule ("Always do this")."""


def _decide(tx_id: str, category: str, merchant: str) -> None:
    try:
        with common.session() as conn:
            decision = review.decide(conn, tx_id, category)
    except (CorrectionError, LookupError) as exc:  # changed in another tab since it was drawn
        st.toast(f"Nothing was filed: {exc}. The queue is shown again as it is now.")
        return
    done = (f"{merchant}: filed under {category}"
            + (f", and {decision.propagated} similar" if decision.propagated else ""))
    st.toast(done)
    _remember([decision], done)
    st.session_state[RULE_OFFER] = {"user": getattr(common.current_user(), "id", None),
                                    "tx": tx_id, "category_id": decision.category_id,
                                    "merchant": merchant, "category": category}


def _rename(tx_id: str) -> None:
    """A card's "Rename": every transaction of its merchant (and, if ticked, future imports)."""
    try:
        with common.session() as conn:
            done = merchant_rename.rename_merchant(
                conn, tx_id, st.session_state.get(f"rv-name-{tx_id}", ""),
                remember=bool(st.session_state.get(f"rv-name-rule-{tx_id}", True)))
    except merchant_rename.RenameError as exc:
        st.toast(f"Not renamed: {exc}.")
        return
    st.toast(done.message)
    if done.change is not None:
        st.session_state.pop(RULE_OFFER, None)  # the last decision is no longer a category
        common.remember_undo("rv_last", [done.change],
                             f"Last decision: renamed {done.old} to {done.new}.")


def _make_rule() -> None:
    """"Always do this" for the last card decision: a rule for the merchant's future imports."""
    offer = st.session_state.pop(RULE_OFFER, None)
    if not offer:
        return
    try:
        with common.session() as conn:
            made = rule_from_correction(conn, offer["tx"], offer["category_id"],
                                        labels_by_id(conn).get(str(offer["category_id"]), ""))
    except CorrectionError as exc:  # the category or the transaction is gone since
        st.toast(f"No rule was made: {exc}")
        return
    st.toast(made.message)


def _rule_offer() -> None:
    """Under the undo bar: make the last card decision a rule, while it is the last one."""
    offer = st.session_state.get(RULE_OFFER)
    if not offer or offer["user"] != getattr(common.current_user(), "id", None):
        return
    text, button = st.columns([6, 1], vertical_alignment="center")
    text.caption(f"Always file {offer['merchant']} under {offer['category']} when it is "
                 "imported? A rule does it before the categorizer guesses.")
    button.button("Make it a rule", key="rv_make_rule", on_click=_make_rule,
                  help="Create a rule “merchant → category” (see Rules)")


def _remember(decisions: list[review.Decision], done: str) -> None:
    """A decision (or accepted table), offered for undoing on top of the earlier ones."""
    common.remember_undo("rv_last", [d.change for d in decisions], f"Last decision: {done}.")


def _undo() -> None:
    st.session_state.pop(RULE_OFFER, None)
    restored = common.undo_last("rv_last")
    if restored is None:
        return
    st.toast(f"Undone: {_plural(restored, 'transaction')} back as before"
             if restored else "Nothing to undo: those transactions were changed since")


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


def _keep_open() -> None:
    """Once the user ticks or unticks, the table stays open across reruns."""
    st.session_state["rv_sure_open"] = True


def _accept_sure(sure: pd.DataFrame) -> None:
    """The merchants whose top suggestion is sure enough, in a table with a tick box each,
    accepted together with one button (untick the ones to decide one by one)."""
    with st.expander(f"Accept {_plural(len(sure), 'sure suggestion')} at once "
                     f"({_plural(int(sure['n'].sum()), 'transaction')})",
                     expanded=bool(st.session_state.get("rv_sure_open"))):  # kept open once used
        st.caption(f"Each merchant's top suggestion here is at least {review.SURE:.0%} sure. "
                   "Untick any you want to decide yourself; each accepted merchant counts as "
                   "your decision and files its other waiting transactions too.")
        table = pd.DataFrame({"accept": True, "merchant": sure["merchant"],
                              "transactions": sure["n"], "category": sure["category"],
                              "sure": (sure["confidence"] * 100).round().astype(int)})
        # the tick boxes belong to this list: when the queue changes (the job ran, another
        # tab decided), the table starts afresh rather than apply them to other merchants
        listed = hashlib.sha256("|".join(sure["example_id"]).encode()).hexdigest()[:12]
        edited = st.data_editor(
            table, key=f"rv_sure_table_{listed}", hide_index=True, width="stretch",
            disabled=["merchant", "transactions", "category", "sure"],
            on_change=_keep_open,
            column_config={"accept": st.column_config.CheckboxColumn("Accept"),
                           "merchant": "Merchant", "transactions": "Transactions",
                           "category": "Suggested category",
                           "sure": st.column_config.NumberColumn("Sure", format="%d%%")})
        picked = sure[edited["accept"].to_numpy(dtype=bool)]
        if st.button(f"File {_plural(len(picked), 'merchant')} under their suggestion",
                     key="rv_sure_accept", disabled=picked.empty, type="primary"):
            try:
                with common.session() as conn:
                    decisions = review.accept(
                        conn, zip(picked["example_id"], picked["category"], strict=True))
            except (CorrectionError, LookupError) as exc:  # one changed since: none is filed
                st.toast(f"Nothing was filed: {exc}. The table is shown again as it is now.")
                st.rerun()
            st.session_state.pop("rv_sure_open", None)
            st.session_state.pop(RULE_OFFER, None)  # several merchants: no one rule to offer
            rows = sum(1 + d.propagated for d in decisions)
            done = (f"filed {_plural(len(decisions), 'merchant')} "
                    f"({_plural(rows, 'transaction')}) under their suggestion")
            st.toast(done[0].upper() + done[1:])
            _remember(decisions, done)
            st.rerun()


def render() -> None:
    with common.session() as conn:
        size = review.queue_counts(conn)
        queue = review.queue(conn, limit=_shown(size.merchants))
        sure = review.sure_suggestions(conn)
        leaf_names = sorted({label.split(SEPARATOR, 1)[1] for _, label in leaf_options(conn)})
    common.undo_bar("rv_last", "rv_undo", _undo,
                    "Put these transactions back as they were before the decision")
    _rule_offer()
    if queue.empty:
        st.success("Nothing to review: every transaction is categorized.")
        return
    waiting = (f"{_plural(size.merchants, 'merchant')} waiting "
               f"({_plural(size.transactions, 'transaction')})")
    st.caption((f"Showing {len(queue):,} of {waiting}. " if size.merchants > len(queue)
                else f"{waiting}. ")
               + "Ordered by how much one decision helps: frequent, uncertain merchants first. "
               "A decision also files that merchant's other undecided transactions.")
    if not sure.empty:
        _accept_sure(sure)
    for row in queue.itertuples(index=False):
        with st.container(border=True, key=f"rv-card-{row.example_id}"):
            head, rename = st.columns([6, 1], vertical_alignment="center")
            head.markdown(f"**{row.merchant}** · {_plural(row.n, 'transaction')} · latest "
                          f"{row.last_date:%d %b %Y} {common.money(row.amount, row.currency)}")
            with rename.popover("Rename", help=f"Give {row.merchant} a name you recognise"):
                st.text_input("Merchant name", value=row.merchant, key=f"rv-name-{row.example_id}",
                              max_chars=merchant_rename.MAX_MERCHANT)
                st.checkbox("Also in future imports (adds a rule)", value=True,
                            key=f"rv-name-rule-{row.example_id}")
                st.button("Rename merchant", key=f"rv-rename-{row.example_id}", on_click=_rename,
                          args=(row.example_id,))
            st.caption(f"{row.example} — {row.explanation or 'no explanation'}"
                       + (f" · {review.HELD}" if row.held else ""))
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

"""Budgets: a monthly or weekly budget per category (with the suggestion from history), this
month's progress bars and safe-to-spend. Progress is stored by the job process, which replans
after every change."""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import streamlit as st

from core import planning_service as ps
from pages import common

log = logging.getLogger(__name__)


def _progress(rows: pd.DataFrame, ran: bool) -> None:
    st.subheader("This month")
    shown = rows.dropna(subset=["available"])
    if shown.empty and not ran:
        st.info("Progress appears after the job process has run.")
    elif shown.empty:
        st.info(f"No budget progress for this month yet. Set a budget below; budgets track "
                f"the accounts in your base currency ({common.base_currency()}, Settings), "
                "nothing is converted.")
    for r in shown.itertuples(index=False):
        pct = 0.0 if pd.isna(r.pct) else float(r.pct)
        st.progress(min(max(pct, 0.0), 1.0), text=ps.budget_line(
            r.category, r.spent, r.available, r.remaining, r.status, common.base_currency()))


def _editor(rows: pd.DataFrame) -> None:
    st.subheader("Set a budget")
    names = ps.unique_labels(rows["category"])
    chosen = st.selectbox("Category", names, key="budget_category")
    cid = str(rows["category_id"].iloc[names.index(chosen)])
    row = rows.loc[rows["category_id"] == cid].iloc[0]
    suggested = None if pd.isna(row["suggested"]) else float(row["suggested"])
    if suggested is not None:
        st.caption(f"Suggested from your recent months: {common.money(suggested)} a month")
    default = row["amount"] if not pd.isna(row["amount"]) else (suggested or 0.0)
    with st.form(f"budget_form_{cid}"):
        amount = st.number_input("Amount", min_value=0.0, step=10.0, value=float(default),
                                 key=f"budget_amount_{cid}")
        period = st.radio("Period", ["monthly", "weekly"], horizontal=True, key=f"budget_period_{cid}",
                          index=1 if row["period"] == "weekly" else 0)
        rollover = st.checkbox("Carry last month's unspent part over", key=f"budget_roll_{cid}",
                               value=True if pd.isna(row["rollover"]) else bool(row["rollover"]))
        if st.form_submit_button("Save budget"):
            try:
                with common.session() as conn:
                    ps.save_budget(conn, cid, amount, period, rollover)
            except ValueError as exc:
                st.error(f"{chosen}: {exc}.")
                return
            st.rerun()
    if not pd.isna(row["amount"]) and st.button("Remove this budget", key=f"budget_del_{cid}"):
        with common.session() as conn:
            ps.delete_budget(conn, cid)
        st.rerun()


def render() -> None:
    common.require_user()
    st.title("Budgets")
    fresh = common.freshness_notice()
    month = dt.date.today().replace(day=1)
    with common.session() as conn:
        rows = ps.budgets(conn, month)
        safe = ps.safe_to_spend(conn, month)
    c1, c2, c3 = st.columns(3)
    c1.metric("Safe to spend this month", common.money(safe["safe_to_spend"]) if safe else "—")
    c2.metric("Per day", common.money(safe["per_day"]) if safe else "—")
    c3.metric("Bills still due", common.money(safe["bills_due"]) if safe else "—")
    if rows.empty:
        st.info("No spending categories yet.")
        return
    _progress(rows, fresh.last_run_at is not None)
    _editor(rows)
    mine = rows.dropna(subset=["amount"])
    if not mine.empty:
        st.subheader("Your budgets")
        st.dataframe(mine[["category", "amount", "period", "rollover", "suggested"]],
                     hide_index=True, key="my_budgets")


render()

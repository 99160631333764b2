"""Dashboard: this month's money in and out, spending by category, cash flow, balances."""

from __future__ import annotations

import datetime as dt
import logging

import plotly.express as px
import streamlit as st

from core import queries
from pages import common

log = logging.getLogger(__name__)


def render() -> None:
    user = common.require_user()
    st.title("Dashboard")
    with common.session() as conn:
        latest = queries.latest_activity_date(conn)
        today = dt.date.today()
        ref = today if latest is None or latest >= today.replace(day=1) else latest
        start, end = queries.month_bounds(ref)
        totals = queries.month_totals(conn, start, end)
        by_cat = queries.spend_by_category(conn, start, end)
        flow = queries.cash_flow_by_month(conn, 12, ref)
        balances = queries.account_balances(conn)
    if latest is None:
        st.info("No transactions yet. Upload a bank statement on the Transactions page.")
        return
    st.caption(f"{user.display_name or user.email} · {start:%B %Y}")
    c1, c2, c3 = st.columns(3)
    c1.metric("Money in", common.money(totals["income"]))
    c2.metric("Money out", common.money(totals["spent"]))
    c3.metric("Net", common.money(totals["net"]))

    left, right = st.columns(2)
    with left:
        st.subheader("Spending by category")
        if by_cat.empty:
            st.write("No spending this month.")
        else:
            fig = px.bar(by_cat, x="spent", y="category", orientation="h",
                         labels={"spent": "Spent", "category": ""})
            fig.update_layout(yaxis={"categoryorder": "total ascending"}, height=420,
                              margin={"l": 0, "r": 0, "t": 10, "b": 0})
            st.plotly_chart(fig, width="stretch")
            st.dataframe(by_cat.assign(spent=by_cat["spent"].map(common.money)),
                         hide_index=True, key="spend_by_category")
    with right:
        st.subheader("Cash flow, last 12 months")
        long = flow.melt(id_vars="month", value_vars=["money_in", "money_out"],
                         var_name="direction", value_name="amount")
        long["amount"] = long["amount"].astype(float)
        fig = px.bar(long, x="month", y="amount", color="direction", barmode="group",
                     labels={"month": "", "amount": "", "direction": ""})
        fig.update_layout(height=420, margin={"l": 0, "r": 0, "t": 10, "b": 0})
        st.plotly_chart(fig, width="stretch")
    st.subheader("Accounts")
    st.dataframe(balances.assign(balance=balances["balance"].map(common.money)),
                 hide_index=True, key="balances")


render()

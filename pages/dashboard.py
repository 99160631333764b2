"""Dashboard: this month's money in and out, net worth and balances, cash flow, spending by
category against the average, the forecast fan chart, budgets, top merchants, open alerts,
goals and the readiness gauge. Figures come from SQL aggregates and stored job outputs
(core.dashboard_queries); a date range and an account filter narrow the transaction figures.
Sums of money cover accounts of one currency (the base currency when accounts differ): amounts
are never converted; the accounts table shows every account in its own currency."""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from core import alerts_service, queries
from core import dashboard_queries as dq
from pages import common

log = logging.getLogger(__name__)
MARGIN = {"l": 0, "r": 0, "t": 10, "b": 0}


def _filters(accounts: pd.DataFrame, ref: dt.date) -> tuple[dt.date, dt.date, list[str] | None]:
    default_start = (pd.Timestamp(ref.replace(day=1)) - pd.DateOffset(months=11)).date()
    left, right = st.columns([1, 2])
    picked = left.date_input("Date range", value=(default_start, ref), key="dash_range")
    start, end = (picked if isinstance(picked, tuple) and len(picked) == 2
                  else (default_start, ref))
    names = right.multiselect("Accounts", accounts["name"].tolist(), key="dash_accounts",
                              placeholder="All accounts")
    ids = accounts.loc[accounts["name"].isin(names), "id"].tolist() or None
    return start, end + dt.timedelta(days=1), ids


def _fan_chart(months: pd.DataFrame, summary: dict | None, history: pd.DataFrame) -> go.Figure:
    x = pd.to_datetime(months["month"]) + pd.offsets.MonthEnd(0)
    fig = go.Figure([
        go.Scatter(x=pd.to_datetime(history["month"]) + pd.offsets.MonthEnd(0),
                   y=history["balance"].tolist(), name="actual", mode="lines",
                   line={"color": "grey"}),
        go.Scatter(x=x, y=months["balance_p90"], line={"width": 0}, name="p90", mode="lines",
                   showlegend=False),
        go.Scatter(x=x, y=months["balance_p10"], fill="tonexty", line={"width": 0}, mode="lines",
                   name="p10–p90", fillcolor="rgba(31,119,180,0.25)"),
        go.Scatter(x=x, y=months["balance_p50"], name="p50 (expected)", mode="lines+markers",
                   line={"color": "rgb(31,119,180)"})])
    if summary and summary.get("buffer") is not None:
        fig.add_hline(y=summary["buffer"], line_dash="dash", line_color="firebrick",
                      annotation_text="buffer")
    fig.update_layout(height=360, margin=MARGIN, yaxis_title="Month-end balance")
    return fig


def _gauge(score: float) -> go.Figure:
    fig = go.Figure(go.Indicator(mode="gauge+number", value=score,
                                 gauge={"axis": {"range": [0, 100]},
                                        "steps": [{"range": [0, 50], "color": "#f4cccc"},
                                                  {"range": [50, 80], "color": "#fff2cc"},
                                                  {"range": [80, 100], "color": "#d9ead3"}]}))
    fig.update_layout(height=220, margin={"l": 20, "r": 20, "t": 20, "b": 0})
    return fig


def _bars(frame: pd.DataFrame, x: str, y: str, hover: str, **kw: object) -> go.Figure:
    """Bars without axis titles; ``hover`` is the tooltip (empty axis labels would leave
    only "=value" in plotly's default one)."""
    fig = px.bar(frame, x=x, y=y, **kw)
    fig.update_traces(hovertemplate=hover + "<extra></extra>")
    fig.update_layout(height=380, margin=MARGIN)
    return fig


def render() -> None:
    user = common.require_user()
    st.title("Dashboard")
    common.freshness_notice()
    today = dt.date.today()
    with common.session() as conn:
        latest = dq.latest_activity_date(conn)
        accounts = dq.accounts(conn)
    if latest is None:
        st.info("No transactions yet. Upload a bank statement on the Transactions page.")
        return
    ref = today if latest >= today.replace(day=1) else latest
    month, month_end = queries.month_bounds(ref)
    start, end, picked = _filters(accounts, max(ref, latest))
    base = common.base_currency()
    ids, cur, left_out = dq.summed_accounts(accounts, picked, base)
    with common.session() as conn:
        totals = dq.totals(conn, month, month_end, ids)
        table = dq.balances(conn, picked)
        every = dq.balances(conn) if picked else table
        flow = dq.cash_flow(conn, start, end, ids)
        by_cat = dq.category_vs_average(conn, month, ids)
        merchants = dq.top_merchants(conn, start, end, ids)
        fc_months, summary = dq.forecast(conn)
        history = dq.balance_history(  # the actuals beside the forecast: base-currency accounts
            conn, float(every.loc[every["currency"] == base, "balance"].astype(float).sum()),
            currency=base)
        budgets = dq.budget_progress(conn, today.replace(day=1))
        safe = dq.safe_to_spend(conn, today.replace(day=1))
        n_alerts, alerts, n_quiet = alerts_service.open_alerts(
            conn, min_risk=alerts_service.get_prefs(conn)["in_app_min_risk"])
        goals = dq.goal_progress(conn)
        ready = dq.readiness(conn)
    st.caption(f"{user.display_name or user.email} · {month:%B %Y}")
    if left_out:
        st.caption(f"Totals and charts add up your {cur} accounts; accounts in "
                   f"{', '.join(left_out)} are listed under Accounts in their own currency "
                   "(amounts are not converted).")
    if picked:
        st.caption(f"The account filter applies to money in and out, net worth, the charts and "
                   f"top merchants. Safe to spend, the forecast, budgets and goals always cover "
                   f"all your {base} accounts.")
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric("Money in", common.money(totals["income"], cur))
    c2.metric("Money out", common.money(totals["spent"], cur))
    c3.metric("Net", common.money(totals["net"], cur))
    c4.metric("Net worth", common.money(
        table.loc[table["currency"] == cur, "balance"].astype(float).sum(), cur))
    c5.metric("Safe to spend", common.money(safe["safe_to_spend"]) if safe else "—",
              help=f"{common.money(safe['per_day'])} a day for {safe['days_left']} days"
              if safe else "Computed by the job process.")

    left, right = st.columns(2)
    with left:
        st.subheader("Cash flow: in vs out")
        long = flow.rename(columns={"money_in": "Money in", "money_out": "Money out"}).melt(
            id_vars="month", value_vars=["Money in", "Money out"], var_name="direction",
            value_name="amount")
        if long.empty or not long["amount"].fillna(0).astype(float).any():
            st.info("No money in or out in these accounts between "
                    f"{start:%d %b %Y} and {end - dt.timedelta(days=1):%d %b %Y}.")
        else:
            st.plotly_chart(_bars(long, "month", "amount",
                                  "%{fullData.name}, %{x|%B %Y}: %{y:,.2f}",
                                  color="direction", barmode="group",
                                  labels={"month": "", "amount": "", "direction": ""}),
                            width="stretch", key="cash_flow")
    with right:
        st.subheader("Spending by category: this month vs average")
        top = by_cat.head(10).rename(columns={"this_month": "This month",
                                              "average": "Monthly average"}).melt(
            id_vars="category", var_name="period", value_name="spent")
        if top.empty or not top["spent"].fillna(0).astype(float).any():
            st.info(f"No categorized spending in these accounts in {month:%B %Y}.")
        else:
            st.plotly_chart(_bars(top, "spent", "category", "%{y}, %{fullData.name}: %{x:,.2f}",
                                  color="period", barmode="group",
                                  orientation="h",
                                  labels={"spent": "", "category": "", "period": ""}),
                            width="stretch", key="categories")

    left, right = st.columns(2)
    with left:
        st.subheader("Forecast: month-end balance")
        if fc_months.empty or fc_months["balance_p50"].isna().all():
            reason = summary["reason"] if summary and summary["reason"] else None
            st.info(f"No forecast: {reason}." if reason
                    else "The forecast appears after the job process has run.")
        else:
            st.plotly_chart(_fan_chart(fc_months, summary, history), width="stretch", key="fan_chart")
            if summary and summary["prob_below_buffer"] is not None:
                st.caption(f"Chance of dropping below your buffer this month: "
                           f"{summary['prob_below_buffer']:.0%}")
    with right:
        st.subheader("Accounts")
        st.dataframe(table.assign(balance=common.moneys(table["balance"], table["currency"])),
                     hide_index=True, key="balances")
        st.subheader("Top merchants")
        st.dataframe(merchants.assign(spent=[common.money(v, cur) for v in merchants["spent"]]),
                     hide_index=True, key="merchants")

    left, right = st.columns(2)
    with left:
        st.subheader("Budgets this month")
        for b in budgets.head(8).itertuples(index=False):
            st.progress(min(max(float(b.pct), 0.0), 1.0),
                        text=f"{b.category}: {common.money(b.spent)} of "
                             f"{common.money(b.available)} ({b.status})")
        if budgets.empty:
            st.write("No budgets yet.")
        st.subheader(f"Open alerts ({n_alerts})")
        for a in alerts.itertuples(index=False):
            st.write(f"**{a.risk}** · {a.title}")
        if n_quiet:
            st.caption(f"{n_quiet} open alert{'s' if n_quiet > 1 else ''} below your 'show in"
                       " the app' risk level (Alerts page) not counted.")
    with right:
        st.subheader("Goals")
        for g in goals.itertuples(index=False):
            st.progress(min(g.saved / g.target, 1.0) if g.target else 0.0,
                        text=f"{g.name}: {common.money(g.saved)} of {common.money(g.target)}"
                             + (f" · {g.status.replace('_', ' ')}" if g.status else ""))
        if goals.empty:
            st.write("No goals yet. Add one on the Goals page.")
        st.subheader("Investment readiness")
        if ready:
            st.plotly_chart(_gauge(float(ready["score"])), width="stretch", key="readiness")
            st.caption(("Eligible · " if ready["eligible"] else "Not eligible yet · ")
                       + ready["explanation"])
        else:
            st.write("Computed by the job process.")


render()

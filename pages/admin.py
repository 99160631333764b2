"""Admin: model performance, system health and spend trends for staff and admins.

Every figure is a k-anonymous aggregate from ``core.analytics`` (groups of fewer than k users
are suppressed); nothing here can show an individual's transactions. Each aggregate has a CSV
download. Admins can change a user's role (audited); staff cannot.
"""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import plotly.express as px
import streamlit as st

from core import analytics
from pages import common

log = logging.getLogger(__name__)

HEADLINE = {"users": "Users", "transactions": "Transactions", "import_batches": "Import batches",
            "accounts": "Accounts"}


def _suppressed(k: int) -> None:
    st.info(f"Nothing to show: no group has at least {k} users yet (smaller groups are suppressed).")


def _csv(frame: pd.DataFrame, name: str) -> None:
    st.download_button("Download CSV", frame.to_csv(index=False).encode(), file_name=f"{name}.csv",
                       mime="text/csv", key=f"csv_{name}")


def _section(title: str, frame: pd.DataFrame, name: str, k: int, chart=None) -> None:
    """A heading, a plotly chart (if any), the table and its CSV download; or the suppression note."""
    st.markdown(f"**{title}**")
    if frame.empty:
        _suppressed(k)
        return
    if chart is not None:
        fig = chart(frame)
        fig.update_layout(height=340, margin={"l": 0, "r": 0, "t": 10, "b": 0})
        st.plotly_chart(fig, width="stretch", key=f"chart_{name}")
    st.dataframe(frame, hide_index=True, key=f"table_{name}")
    _csv(frame, name)


def _model_performance(k: int) -> None:
    with common.session() as conn:
        accuracy = analytics.categorization_accuracy(conn)
        by_category = analytics.categorization_by_category(conn)
        calibration = analytics.categorization_calibration(conn)
        queue = analytics.review_queue(conn)
        verdicts = analytics.anomaly_verdicts(conn)
        forecasts = analytics.forecast_accuracy(conn)
    c1, c2 = st.columns(2)
    c1.metric("Review queue", "—" if queue is None else f"{int(queue['items']):,}",
              help=None if queue else f"Suppressed: fewer than {k} users have items")
    c2.metric("Users with items to review", "—" if queue is None else f"{int(queue['users']):,}")
    left, right = st.columns(2)
    with left:
        _section("Categorization accuracy by month (1 − share later corrected)", accuracy,
                 "categorization_accuracy", k,
                 lambda f: px.line(f, x="month", y="accuracy", markers=True, range_y=[0, 1]))
        _section("Calibration: stated confidence vs observed accuracy", calibration,
                 "categorization_calibration", k,
                 lambda f: px.line(f, x="mean_confidence", y="accuracy", markers=True,
                                   range_x=[0, 1], range_y=[0, 1], hover_data=["bucket", "predictions"])
                 .add_shape(type="line", x0=0, y0=0, x1=1, y1=1, line={"dash": "dot"}))
    with right:
        _section("Share of predictions later corrected, by category", by_category,
                 "categorization_by_category", k,
                 lambda f: px.bar(f.head(25), x="corrected_share", y="category", orientation="h"))
        _section("Anomaly verdicts", verdicts, "anomaly_verdicts", k,
                 lambda f: px.bar(f.melt(id_vars="kind", value_vars=["expected", "suspicious"],
                                         var_name="verdict", value_name="n"),
                                  x="n", y="kind", color="verdict", orientation="h"))
    if forecasts.empty:
        st.caption("Forecast accuracy: no past-month forecasts from at least "
                   f"{k} users to score yet.")
    else:
        _section("Forecast: p50 error and p10–p90 coverage", forecasts, "forecast_accuracy", k,
                 lambda f: px.line(f, x="month", y="coverage_p10_p90", markers=True, range_y=[0, 1]))


def _system_health(k: int) -> None:
    days = st.selectbox("Window (days)", [1, 7, 30, 90], index=1, key="health_days")
    with common.session() as conn:
        stages = analytics.stage_health(conn, days)
        daily = analytics.job_runs_daily(conn, max(days, 14))
        failures = analytics.job_failures(conn, days)
        queue = analytics.queue_depth(conn)
        size = analytics.database_size(conn)
    c1, c2, c3 = st.columns(3)
    c1.metric("Database size", size["database_pretty"])
    by_status = queue.groupby("status")["jobs"].sum() if not queue.empty else pd.Series(dtype=int)
    c2.metric("Jobs waiting", int(by_status.get("todo", 0)))
    c3.metric("Jobs running", int(by_status.get("doing", 0)))
    _section("Runs by stage (durations in seconds, last success)", stages, "stage_health", k,
             lambda f: px.bar(f.melt(id_vars="stage", value_vars=["succeeded", "failed", "running"],
                                     var_name="status", value_name="n"),
                              x="stage", y="n", color="status"))
    _section("Runs per day", daily, "job_runs_daily", k,
             lambda f: px.bar(f, x="day", y="runs", color="stage", pattern_shape="status"))
    st.markdown("**Failures** (messages with user-derived values masked)")
    if failures.empty:
        st.success(f"No failed runs in the last {days} day(s).")
    else:
        st.dataframe(failures, hide_index=True, key="table_job_failures")
        _csv(failures, "job_failures")
    if not queue.empty:
        st.dataframe(queue, hide_index=True, key="table_queue_depth")
        _csv(queue, "queue_depth")


def _spend_trends(k: int) -> None:
    today = dt.date.today()
    c1, c2, c3 = st.columns(3)
    start = c1.date_input("From month", value=(today.replace(day=1) - pd.DateOffset(months=11)).date(),
                          key="spend_from")
    end = c2.date_input("To month", value=today, key="spend_to")
    with common.session() as conn:
        spend = analytics.spend_by_category_month(conn, start, end)
        active = analytics.active_users(conn, start, end)
        imports = analytics.imports_per_day(conn, 30)
    categories = sorted(spend["category"].unique()) if not spend.empty else []
    chosen = c3.selectbox("Category", ["All", *categories], key="spend_category")
    if chosen != "All":
        spend = spend[spend["category"] == chosen]
    _section("Money out by month and category (groups of at least k users)", spend,
             "spend_by_category_month", k,
             lambda f: px.bar(f.assign(month=f["month"].astype(str).str[:7]), x="month", y="total",
                              color="category", facet_row="currency"))
    if not spend.empty:
        latest = spend[spend["month"] == spend["month"].max()]
        fig = px.scatter(latest, x="median_per_user", y="category", color="currency",
                         error_x=latest["p75_per_user"] - latest["median_per_user"],
                         error_x_minus=latest["median_per_user"] - latest["p25_per_user"])
        fig.update_layout(height=340, margin={"l": 0, "r": 0, "t": 30, "b": 0},
                          title=f"Per-user spend in {latest['month'].max():%B %Y}: median, p25–p75")
        st.plotly_chart(fig, width="stretch", key="chart_spend_distribution")
    left, right = st.columns(2)
    with left:
        _section("Active users per month", active, "active_users", k,
                 lambda f: px.line(f, x="month", y=["registered", "signed_in", "importing",
                                                    "with_transactions"], markers=True))
    with right:
        _section("Imports and transactions added per day", imports, "imports_per_day", k,
                 lambda f: px.bar(f, x="day", y=["imports", "transactions_added"], barmode="group"))


def _roles(user) -> None:
    if not user.is_admin:
        st.info("Only admins can change roles.")
        return
    with st.form("role_form"):
        email = st.text_input("Account email", key="role_email")
        role = st.selectbox("New role", list(analytics.ROLES), key="role_value")
        submitted = st.form_submit_button("Change role")
    if submitted:
        try:
            with common.session() as conn:
                old = analytics.set_user_role(conn, email, role)
        except analytics.RoleChangeRefused as exc:
            st.error(f"Not changed: {exc}.")
        else:
            st.success(f"{email}: {old} → {role} (recorded in the audit log).")
    with common.session() as conn:
        privileged = analytics.privileged_users(conn)
    st.markdown("**Staff and admin accounts**")
    st.dataframe(privileged, hide_index=True, key="table_privileged_users")


def render() -> None:
    user = common.require_user()
    if not user.is_staff:
        st.error("Staff or admin role required.")
        st.stop()
    st.title("Admin")
    with common.session() as conn:
        k = analytics.k_anonymity(conn)
        overview = analytics.overview(conn)
    st.caption(f"Aggregates over at least {k} users only; smaller groups are suppressed. "
               "No view here returns an individual's transactions, descriptions or amounts.")
    cols = st.columns(len(HEADLINE))
    for col, (name, label) in zip(cols, HEADLINE.items(), strict=True):
        value = overview[name]
        col.metric(label, "—" if value is None else f"{value:,}",
                   help=None if value is not None else f"Suppressed: fewer than {k} users")
    perf, health, trends, roles = st.tabs(["Model performance", "System health", "Spend trends", "Roles"])
    with perf:
        _model_performance(k)
    with health:
        _system_health(k)
    with trends:
        _spend_trends(k)
    with roles:
        _roles(user)


render()

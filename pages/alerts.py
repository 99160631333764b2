"""Alerts: security activity on the account (sign-ins, failed attempts, exports)."""

from __future__ import annotations

import logging

import streamlit as st

from core import queries
from pages import common

log = logging.getLogger(__name__)


def render() -> None:
    common.require_user()
    st.title("Alerts")
    with common.session() as conn:
        activity = queries.security_activity(conn)
    failed = int((activity["action"] == "login_failed").sum()) if not activity.empty else 0
    if failed:
        st.warning(f"{failed} failed sign-in attempt(s) among your recent account activity.")
    st.subheader("Account activity")
    if activity.empty:
        st.info("No activity recorded yet.")
    else:
        st.dataframe(activity, hide_index=True, key="activity")


render()

"""Admin: installation-wide aggregates for staff and admins (never a user's rows)."""

from __future__ import annotations

import logging

import streamlit as st

from core import queries
from pages import common

log = logging.getLogger(__name__)


def render() -> None:
    user = common.require_user()
    if not user.is_staff:
        st.error("Staff or admin role required.")
        st.stop()
    st.title("Admin")
    with common.session() as conn:
        overview = queries.admin_overview(conn)
    cols = st.columns(len(overview))
    for col, (name, value) in zip(cols, overview.items(), strict=True):
        col.metric(name.replace("_", " ").capitalize(), f"{value:,}")
    st.caption("Aggregates only: no admin view returns an individual's transactions.")


render()

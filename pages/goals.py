"""Goals: what the user has put aside so far (planning arrives with the forecast)."""

from __future__ import annotations

import logging

import streamlit as st

from core import queries
from pages import common

log = logging.getLogger(__name__)


def render() -> None:
    common.require_user()
    st.title("Goals")
    with common.session() as conn:
        balances = queries.account_balances(conn)
    savings = balances[balances["kind"].isin(["savings", "investment"])]
    total = float(savings["balance"].sum()) if not savings.empty else 0.0
    st.metric("Saved so far (savings and investment accounts)", common.money(total))
    if savings.empty:
        st.info("No savings accounts yet.")
    else:
        st.dataframe(savings.assign(balance=savings["balance"].map(common.money)),
                     hide_index=True, key="savings")
    st.caption("Goal plans with monthly amounts and completion dates are computed by the "
               "forecast stage of the job process.")


render()

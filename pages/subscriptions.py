"""Subscriptions and bills found by the recurring stage: confirm or dismiss each one."""

from __future__ import annotations

import logging

import streamlit as st

from core import alerts_service as svc
from pages import common

log = logging.getLogger(__name__)


def _set(series_id: str, status: str | None) -> None:
    with common.session() as conn:
        svc.set_series_status(conn, series_id, status)


def _row(s) -> None:
    change = s.price_change or {}
    what = (("price rise" if change.get("rise") else "price change") if s.direction == "out"
            else "raised" if (change.get("pct") or 0) > 0 else "lowered")  # a pay rise
    price = (f" · {what} {common.money(abs(change['from']))} → {common.money(abs(change['to']))}"
             if change.get("from") is not None else "")
    next_due = f"next {s.next_date:%d %b %Y} ≈ {common.money(abs(float(s.next_amount or 0)))}" \
        if s.next_date is not None else "no next date"
    left, confirm, dismiss = st.columns([6, 1.2, 1.6], vertical_alignment="center")
    badge = {"confirmed": " ✓ confirmed", "dismissed": " ✗ dismissed"}.get(s.user_status, "")
    left.markdown(f"**{s.merchant}** — {s.cadence}, {common.money(abs(float(s.last_amount or 0)))}"
                  f" · {next_due} · {s.status}{price}{badge}")
    sid = str(s.id)
    if s.user_status != "confirmed":
        confirm.button("Confirm", key=f"conf-{sid}", on_click=_set, args=(sid, "confirmed"))
    if s.user_status != "dismissed":
        dismiss.button("Not recurring", key=f"dism-{sid}", on_click=_set, args=(sid, "dismissed"))


def render() -> None:
    common.require_user()
    st.title("Subscriptions & bills")
    show_dismissed = st.toggle("Show dismissed", key="show_dismissed")
    with common.session() as conn:
        series = svc.list_series(conn, include_dismissed=show_dismissed)
    if series.empty:
        st.info("No recurring payments found yet. They appear after the job process has run.")
        return
    out, inc = series[series["direction"] == "out"], series[series["direction"] != "out"]
    monthly = {"weekly": 52 / 12, "biweekly": 26 / 12, "monthly": 1, "quarterly": 1 / 3, "yearly": 1 / 12}
    total = sum(abs(float(r.last_amount or 0)) * monthly.get(r.cadence, 0) for r in out.itertuples()
                if r.user_status != "dismissed")
    st.metric("Recurring spending per month (estimated)", common.money(total))
    st.subheader("Outgoing")
    for s in out.itertuples(index=False):
        _row(s)
    if not inc.empty:
        st.subheader("Income")
        for s in inc.itertuples(index=False):
            _row(s)


render()

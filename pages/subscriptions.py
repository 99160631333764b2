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
    cur = s.currency if isinstance(s.currency, str) else None  # None: the base currency
    price = (f" · {what} {common.money(abs(change['from']), cur)} → "
             f"{common.money(abs(change['to']), cur)}" if change.get("from") is not None else "")
    next_due = f"next {s.next_date:%d %b %Y} ≈ {common.money(abs(float(s.next_amount or 0)), cur)}" \
        if s.next_date is not None else "no next date"
    left, confirm, dismiss = st.columns([6, 1.2, 1.6], vertical_alignment="center")
    badge = {"confirmed": " ✓ confirmed", "dismissed": " ✗ dismissed"}.get(s.user_status, "")
    left.markdown(f"**{s.merchant}** — {s.cadence}, {common.money(abs(float(s.last_amount or 0)), cur)}"
                  f" · {next_due} · {s.status}{price}{badge}")
    sid = str(s.id)
    if s.user_status != "confirmed":
        confirm.button("Confirm", key=f"conf-{sid}", on_click=_set, args=(sid, "confirmed"))
    if s.user_status != "dismissed":
        dismiss.button("Not recurring", key=f"dism-{sid}", on_click=_set, args=(sid, "dismissed"))


def render() -> None:
    common.require_user()
    st.title("Subscriptions & bills")
    common.freshness_notice()
    show_dismissed = st.toggle("Show dismissed", key="show_dismissed")
    with common.session() as conn:
        series = svc.list_series(conn, include_dismissed=show_dismissed)
    if series.empty:
        st.info("No recurring payments found yet. They appear after the job process has run.")
        return
    out, inc = series[series["direction"] == "out"], series[series["direction"] != "out"]
    base = common.base_currency()
    per_month = svc.spending_per_month(series)
    st.metric("Recurring spending per month (estimated)",
              common.money(per_month.pop(base, 0.0) + per_month.pop("", 0.0)))
    if per_month:
        st.caption("Plus, not converted: " + ", ".join(
            common.money(v, c) for c, v in sorted(per_month.items())) + " a month")
    st.subheader("Outgoing")
    for s in out.itertuples(index=False):
        _row(s)
    if not inc.empty:
        st.subheader("Income")
        for s in inc.itertuples(index=False):
            _row(s)


render()

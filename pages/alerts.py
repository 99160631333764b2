"""Alerts: what the job process found (anomalies, price rises, bills), with the user's verdicts,
snooze and dismiss; notification preferences; account activity."""

from __future__ import annotations

import logging

import streamlit as st

from core import alerts_service as svc
from core import queries
from pages import common

log = logging.getLogger(__name__)

RISK_ICON = {"high": ":material/error:", "medium": ":material/warning:", "low": ":material/info:"}
LABELS = {"anomaly": "Unusual charge", "price_rise": "Price rise", "missed_bill": "Missed bill",
          "upcoming_bill": "Upcoming bill", "new_subscription": "New subscription",
          "low_balance": "Low balance", "budget": "Budget"}


def _act(alert_id: str, action: str) -> None:
    try:
        with common.session() as conn:
            if action in ("expected", "suspicious"):
                svc.record_verdict(conn, alert_id, action)
            elif action == "snooze":
                svc.set_alert_status(conn, alert_id, "snoozed", snooze_days=7)
            else:
                svc.set_alert_status(conn, alert_id, action)
    except LookupError:  # the job rebuilt the alerts since the page was drawn
        st.toast("Nothing changed: this alert is no longer there (the alerts were updated since"
                 " the page was shown). The list is shown again as it is now.")
        return
    st.toast({"expected": "Marked as expected: this pattern will not alert again.",
              "suspicious": "Marked as suspicious.", "snooze": "Snoozed for 7 days.",
              "dismissed": "Dismissed."}.get(action, "Saved."))


def _alert_list() -> None:
    with common.session() as conn:
        prefs = svc.get_prefs(conn)
    min_risk = svc.shown_risks(prefs["in_app_min_risk"])
    c1, c2, c3 = st.columns(3)
    types = c1.multiselect("Type", svc.TYPES, format_func=LABELS.get, key="alert_types")
    risks = c2.multiselect("Risk", svc.RISKS, default=list(min_risk), key="alert_risks")
    statuses = c3.multiselect("Status", svc.STATUSES, default=["open"], key="alert_statuses")
    with common.session() as conn:
        alerts = svc.list_alerts(conn, types=types, risks=risks, statuses=statuses)
    st.caption(f"{len(alerts)} alert(s)")
    if alerts.empty:
        st.info("Nothing needs your attention.")
        return
    for a in alerts.itertuples(index=False):
        with st.expander(f"{a.title} · {LABELS.get(a.type, a.type)} · {a.risk} risk",
                         icon=RISK_ICON[a.risk], expanded=a.risk == "high" and a.status == "open"):
            st.write(a.body)
            if a.transaction_ids:
                with common.session() as conn:
                    st.dataframe(svc.alert_transactions(conn, a.transaction_ids), hide_index=True)
            cols = st.columns(4)
            aid = str(a.id)
            if a.type == "anomaly":
                cols[0].button("Expected", key=f"exp-{aid}", on_click=_act, args=(aid, "expected"),
                               help="This is normal for me: stop alerting on this pattern")
                cols[1].button("Suspicious", key=f"sus-{aid}", on_click=_act, args=(aid, "suspicious"))
            cols[2].button("Snooze 7 days", key=f"snz-{aid}", on_click=_act, args=(aid, "snooze"))
            cols[3].button("Dismiss", key=f"dis-{aid}", on_click=_act, args=(aid, "dismissed"))


def _preferences() -> None:
    with common.session() as conn:
        prefs = svc.get_prefs(conn)
    with st.form("notification_prefs"):
        st.write("High-risk alerts can also reach you outside the app.")
        in_app = st.selectbox("Show in the app from risk level", svc.RISKS,
                              index=svc.RISKS.index(prefs["in_app_min_risk"]))
        email_on = st.checkbox("Email me high-risk alerts", value=prefs["email_enabled"])
        email = st.text_input("Email address (empty: my sign-in email)", value=prefs["email_address"] or "")
        hook_on = st.checkbox("Send high-risk alerts to a webhook", value=prefs["webhook_enabled"])
        hook = st.text_input("Webhook URL", value=prefs["webhook_url"] or "")
        sms_on = st.checkbox("Text me high-risk alerts (if the operator configured an SMS gateway)",
                             value=prefs["sms_enabled"])
        sms = st.text_input("Phone number", value=prefs["sms_number"] or "")
        if st.form_submit_button("Save preferences"):
            try:
                with common.session() as conn:
                    svc.save_prefs(conn, {"in_app_min_risk": in_app, "email_enabled": email_on,
                                          "email_address": email or None, "webhook_enabled": hook_on,
                                          "webhook_url": hook or None, "sms_enabled": sms_on,
                                          "sms_number": sms or None})
                st.success("Saved.")
            except ValueError as exc:
                st.error(str(exc))


def render() -> None:
    common.require_user()
    st.title("Alerts")
    alerts_tab, anomalies_tab, prefs_tab, activity_tab = st.tabs(
        ["Alerts", "All anomalies", "Notifications", "Account activity"])
    with alerts_tab:
        _alert_list()
    with anomalies_tab:
        with common.session() as conn:
            found = svc.list_anomalies(conn)
        if found.empty:
            st.info("No anomalies found yet.")
        else:
            found = found.assign(kind=found["kind"].astype(str).str.replace("_", " "))
            st.dataframe(found, hide_index=True, key="anomalies", column_config={
                "date": st.column_config.DateColumn("Date"), "merchant": "Merchant",
                "amount": st.column_config.NumberColumn("Amount", format="%.2f"),
                "risk": "Risk", "kind": "Kind", "reason": "Reason",
                "score": st.column_config.ProgressColumn("Score", min_value=0, max_value=1)})
    with prefs_tab:
        _preferences()
    with activity_tab:
        with common.session() as conn:
            activity = queries.security_activity(conn)
        failed = int((activity["action"] == "login_failed").sum()) if not activity.empty else 0
        if failed:
            st.warning(f"{failed} failed sign-in attempt(s) among your recent account activity.")
        st.dataframe(activity, hide_index=True, key="activity")


render()

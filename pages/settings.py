"""Settings: privacy rights — consents (with time and version), data export, account deletion."""

from __future__ import annotations

import datetime as dt
import logging

import streamlit as st

from core import consents, privacy
from pages import common

log = logging.getLogger(__name__)

EXPORT_KEY = "privacy_export"


def _consents(user) -> None:
    st.subheader("Consents")
    st.caption("Everything here is off until you turn it on. Each change is kept with its time "
               "and the version of the text you agreed to.")
    with common.session() as conn:
        state = consents.current(conn)
    with st.form("consents_form"):
        choices = {}
        for key, purpose in consents.PURPOSES.items():
            now = state[key]
            choices[key] = st.toggle(purpose.title, value=now.granted, key=f"consent_{key}")
            st.caption(purpose.text)
            if now.at is not None:
                verb = "Given" if now.granted else "Withdrawn"
                st.caption(f"{verb} on {now.at:%d %b %Y %H:%M} UTC (version {now.version})")
            else:
                st.caption(f"Not given (default). Current text: version {purpose.version}")
        saved = st.form_submit_button("Save consents")
    if saved:
        with common.session() as conn:
            changed = [k for k, on in choices.items() if consents.set_consent(conn, user, k, on)]
        st.session_state["consent_flash"] = (f"Saved {len(changed)} change(s)." if changed
                                             else "Nothing changed.")
        st.rerun()
    flash = st.session_state.pop("consent_flash", None)
    if flash:
        st.success(flash)
    with common.session() as conn:
        ledger = consents.history(conn)
    if not ledger.empty:
        with st.expander("Consent history"):
            st.dataframe(ledger, hide_index=True, key="consent_history")


def _export(user) -> None:
    st.subheader("Export my data")
    st.caption("A ZIP with one CSV and one JSON file per table: transactions, categories, rules, "
               "corrections, budgets and goals, alerts, consents and the audit entries about you. "
               "Encrypted fields (notes, account numbers, raw import lines) are decrypted. "
               "The export itself is recorded in your audit log.")
    if st.button("Prepare export", key="prepare_export"):
        with st.spinner("Collecting your data…"):
            st.session_state[EXPORT_KEY] = privacy.export_user_data(common.database(), user)
    data = st.session_state.get(EXPORT_KEY)
    if data:
        st.download_button("Download ZIP", data=data, mime="application/zip", key="download_export",
                           file_name=f"pfm-export-{dt.date.today():%Y%m%d}.zip")


def _delete(user) -> None:
    st.subheader("Delete my account")
    st.warning("This deletes your account and every piece of your data at once: transactions, "
               "categories, rules, alerts, consents and your encryption key. It cannot be undone. "
               "Only a record that an account was deleted remains, without your email or data.")
    typed = st.text_input("Type your email address to confirm", key="delete_confirm")
    if st.button("Delete my account permanently", type="primary", key="delete_account"):
        try:
            result = privacy.delete_account(common.database(), user, typed)
        except privacy.DeletionRefused as exc:
            st.error(f"Not deleted: {exc}")
            return
        log.info("account deleted from the settings page: %s", result)
        _forget_session()
        st.rerun()


def _forget_session() -> None:
    """Sign out locally without the backend's sign-out (it would audit the deleted account)."""
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state["signed_out"] = True
    st.session_state["cookie_action"] = ("delete", None)


def render() -> None:
    user = common.require_user()
    st.title("Settings")
    st.caption(f"Signed in as {user.email}")
    _consents(user)
    st.divider()
    _export(user)
    st.divider()
    _delete(user)


render()

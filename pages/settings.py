"""Settings: how categories are applied (and the threshold in use), the base currency and the
forecast's balance buffer; the user's accounts (name, kind, currency, opening balance); their
categories (``pages/settings_categories.py``); the password; privacy rights — consents (with
time and version), data export, account deletion."""

from __future__ import annotations

import datetime as dt
import logging

import pandas as pd
import streamlit as st

from core import accounts, auto_apply, consents, preferences, privacy
from core.auth import AuthError
from core.currency import COMMON
from core.import_accounts import KINDS
from pages import common, settings_categories

log = logging.getLogger(__name__)

EXPORT_KEY = "privacy_export"
CHANGED_NOTICE = "settings_changed_notice"


AUTOMATIC, CUSTOM = "Automatic (recommended)", "Custom"


def _preferences() -> None:
    st.subheader("Categorization, currency and forecast")
    with common.session() as conn:
        prefs = preferences.current(conn)
        applied = auto_apply.applied_threshold(conn)
    lo, hi = (round(v * 100) for v in preferences.THRESHOLD_RANGE)
    with st.form("prefs_form"):
        mode = st.radio("Apply a predicted category without asking", [AUTOMATIC, CUSTOM],
                        index=0 if prefs.auto_apply_threshold is None else 1, horizontal=True,
                        key="pref_mode")
        st.caption("Automatic: the lowest confidence at which the model's earlier guesses "
                   "for you were at least 95% right, recalculated whenever it learns. Anything "
                   "less sure waits in Needs review.")
        st.caption(applied.describe())
        percent = st.slider("Custom: when the model is at least this sure (%)", lo, hi,
                            value=round((prefs.auto_apply_threshold or 0.9) * 100),
                            key="pref_threshold")
        codes = list(dict.fromkeys([prefs.base_currency, *COMMON]))
        code = st.selectbox("Base currency (totals, budgets, goals and alerts)", sorted(codes),
                            index=sorted(codes).index(prefs.base_currency), key="pref_currency",
                            help="Each account keeps its own currency; this is the one "
                                 "totals are written in. A new user's follows their first "
                                 "account. Nothing is converted (there are no exchange "
                                 "rates): budgets and goal amounts keep their numbers, and "
                                 "totals cover the accounts in this currency.")
        buffer = st.number_input(f"Warn when the forecast balance may drop below "
                                 f"({prefs.base_currency})", min_value=0.0,
                                 max_value=float(preferences.MAX_BUFFER),
                                 value=float(prefs.balance_buffer), step=50.0, key="pref_buffer")
        saved = st.form_submit_button("Save settings")
    if saved:
        try:
            with common.session() as conn:
                preferences.set_auto_apply_threshold(
                    conn, None if mode == AUTOMATIC else percent / 100)
                preferences.set_balance_buffer(conn, buffer)
                preferences.set_base_currency(conn, code)
        except preferences.PreferenceError as exc:
            st.error(f"Not saved: {exc}")
            return
        st.session_state["prefs_flash"] = ("Saved. The next categorization and forecast run "
                                           "(within a minute) use them.")
        st.rerun()
    flash = st.session_state.pop("prefs_flash", None)
    if flash:
        st.success(flash)


def _accounts() -> None:
    st.subheader("Accounts")
    with common.session() as conn:
        found = accounts.overview(conn)
    if found.empty:
        st.caption("No accounts yet: importing a statement creates one.")
        return
    st.dataframe(pd.DataFrame({
        "account": found["name"], "kind": found["kind"], "currency": found["currency"],
        "opening balance": common.moneys(found["opening_balance"], found["currency"]),
        "balance": common.moneys(found["balance"], found["currency"]),
        "transactions": found["transactions"]}), hide_index=True, key="acct_table")
    names = found["name"].tolist()
    if (renamed := st.session_state.pop("acct_pick_next", None)) in names:
        st.session_state["acct_pick"] = renamed  # keep the edited account selected
    pick = st.selectbox("Edit an account", names, key="acct_pick")
    row = found.iloc[names.index(pick)]
    with st.form(f"acct_form_{row['id']}"):
        c1, c2, c3 = st.columns([2, 1, 1])
        name = c1.text_input("Name", value=row["name"], key=f"acct_name_{row['id']}")
        kind = c2.selectbox("Kind", KINDS, index=KINDS.index(row["kind"]),
                            key=f"acct_kind_{row['id']}")
        currency = c3.text_input("Currency", value=row["currency"], max_chars=3,
                                 key=f"acct_currency_{row['id']}")
        opening = st.number_input(
            "Opening balance (the balance before its first transaction)",
            value=float(row["opening_balance"]), step=100.0, format="%.2f",
            key=f"acct_opening_{row['id']}",
            help="Set automatically when a first statement's balance column adds up; "
                 "change it when the balance shown differs from your bank's.")
        saved = st.form_submit_button("Save account")
    if saved:
        try:
            with common.session() as conn:
                accounts.update_account(conn, row["id"], name=name, kind=kind,
                                        currency=currency, opening_balance=f"{opening:.2f}")
        except accounts.AccountError as exc:
            st.error(f"Not saved: {exc}")
            return
        st.session_state["acct_pick_next"] = " ".join(name.split())
        st.session_state["acct_flash"] = "Account saved. Balances and the forecast follow " \
                                         "within a minute."
        st.rerun()
    if flash := st.session_state.pop("acct_flash", None):
        st.success(flash)


def _password(user) -> None:
    st.subheader("Password")
    notice = st.session_state.pop(CHANGED_NOTICE, None)
    if notice:
        st.success(notice)
    with st.form("password_form", clear_on_submit=True):
        current = st.text_input("Current password", type="password", key="pw_current")
        new = st.text_input("New password", type="password", key="pw_new",
                            help="At least 10 characters with three of: lowercase, uppercase, "
                                 "digit, symbol (or 16+ characters)")
        repeat = st.text_input("New password again", type="password", key="pw_repeat")
        submitted = st.form_submit_button("Change password")
    if not submitted:
        return
    if new != repeat:
        st.error("Not changed: the two new passwords differ.")
        return
    try:
        common.auth_backend().change_password(user, current, new)
    except AuthError as exc:
        st.error(f"Not changed: {exc}")
        return
    common.sign_in(user)  # a new remembered sign-in for this browser; the others end
    st.session_state[CHANGED_NOTICE] = ("Password changed. Other browsers that remembered your "
                                         "sign-in will ask you to sign in again.")
    st.rerun()


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
    _preferences()
    st.divider()
    _accounts()
    st.divider()
    settings_categories.render(user)
    st.divider()
    _password(user)
    st.divider()
    _consents(user)
    st.divider()
    _export(user)
    st.divider()
    _delete(user)


render()

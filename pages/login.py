"""Sign in / create an account. Shown to visitors who are not signed in."""

from __future__ import annotations

import logging

import streamlit as st

from core.auth import AuthError
from core.config import get_settings
from core.demo_seed import demo_credentials
from pages import common

log = logging.getLogger(__name__)


def _signed_in(user) -> None:
    common.sign_in(user)
    st.rerun()


def render() -> None:
    st.title("Personal finance")
    st.caption("See where your money goes and where it is heading.")
    settings = get_settings()
    backend = common.auth_backend()
    creds = (demo_credentials(settings, common.database()) if settings.auth_backend == "local"
             else None)
    if creds:
        st.info(f"Try the demo household: sign in as **{creds.email}** with password "
                f"**{creds.password}**")
    sign_in, sign_up = st.tabs(["Sign in", "Create account"])
    with sign_in, st.form("sign_in_form"):
        email = st.text_input("Email", key="login_email")
        password = st.text_input("Password", type="password", key="login_password")
        if st.form_submit_button("Sign in", type="primary"):
            try:
                _signed_in(backend.sign_in(email, password))
            except AuthError as exc:
                st.error(str(exc))
    with sign_up, st.form("sign_up_form"):
        name = st.text_input("Name", key="signup_name")
        email = st.text_input("Email", key="signup_email")
        password = st.text_input("Password", type="password", key="signup_password",
                                 help="At least 10 characters with three of: lowercase, "
                                      "uppercase, digit, symbol — or 16+ characters.")
        confirm = st.text_input("Repeat password", type="password", key="signup_confirm")
        if st.form_submit_button("Create account"):
            if password != confirm:
                st.error("The two passwords differ.")
            else:
                try:
                    _signed_in(backend.sign_up(email, password, name))
                except AuthError as exc:
                    st.error(str(exc))


render()

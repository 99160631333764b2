"""Streamlit entry point: routes to the pages a visitor may see (router only).

Not signed in: the sign-in page only. Signed in: Dashboard, Transactions, Goals, Alerts, Settings,
and Admin for staff/admin — the role is re-read from the database on every run, so a role change
takes effect at once.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from core import preferences, queries  # noqa: E402
from pages import common  # noqa: E402

log = logging.getLogger(__name__)
PAGES = ROOT / "pages"
# URL paths of the signed-in pages. Signed out, each shows the sign-in form, so a bookmarked
# /transactions asks for a sign-in and then opens Transactions (not "page not found").
# (A comment, not a docstring: Streamlit would print a bare string in the entry script.)
MEMBER_PATHS = ("home", "dashboard", "transactions", "goals", "budgets", "subscriptions", "alerts",
                "settings", "admin")


def _sidebar(user) -> None:
    with st.sidebar:
        st.write(f"Signed in as **{user.email}**")
        if st.button("Sign out", key="sign_out"):
            common.sign_out()
            st.rerun()


def _staff_only() -> None:
    st.title("Admin")
    st.warning("The Admin page is for staff accounts. Ask an administrator if you need access.")


def main() -> None:
    st.set_page_config(page_title="Personal finance", page_icon="💶", layout="wide")
    user = common.current_user() or common.restore_from_cookie()
    common.sync_cookie()
    if user is None:
        login = [st.Page(PAGES / "login.py", title="Sign in", url_path="login", default=True)]
        login += [st.Page(PAGES / "login.py", title="Sign in", url_path=path, visibility="hidden")
                  for path in MEMBER_PATHS]
        nav = st.navigation(login, position="hidden")
        nav.run()
        return
    with common.session() as conn:  # re-read on every run: another browser may have changed them
        role = queries.my_role(conn)
        common.remember_base_currency(preferences.base_currency(conn))
    if role != user.app_role:
        user = dataclasses.replace(user, app_role=role)
        st.session_state["user"] = user
    dashboard = st.Page(PAGES / "dashboard.py", title="Dashboard", icon=":material/dashboard:",
                        url_path="home", default=True)  # (a default page's path is "/")
    pages = [
        dashboard,
        # the default page lives at "/"; a bookmarked /dashboard lands there instead of on
        # Streamlit's "page not found"
        st.Page(lambda: st.switch_page(dashboard), title="Dashboard (link)",
                url_path="dashboard", visibility="hidden"),
        st.Page(PAGES / "transactions.py", title="Transactions", icon=":material/receipt_long:",
                url_path="transactions"),
        st.Page(PAGES / "goals.py", title="Goals", icon=":material/flag:", url_path="goals"),
        st.Page(PAGES / "budgets.py", title="Budgets", icon=":material/savings:", url_path="budgets"),
        st.Page(PAGES / "subscriptions.py", title="Subscriptions", icon=":material/autorenew:",
                url_path="subscriptions"),
        st.Page(PAGES / "alerts.py", title="Alerts", icon=":material/notifications:",
                url_path="alerts"),
        st.Page(PAGES / "settings.py", title="Settings", icon=":material/settings:",
                url_path="settings"),
    ]
    if user.is_staff:
        pages.append(st.Page(PAGES / "admin.py", title="Admin", icon=":material/admin_panel_settings:",
                             url_path="admin"))
    else:  # a member following an admin link is told why, not shown "page not found"
        pages.append(st.Page(_staff_only, title="Admin", url_path="admin", visibility="hidden"))
    _sidebar(user)
    st.navigation(pages).run()


main()

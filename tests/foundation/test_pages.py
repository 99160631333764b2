"""Pages through AppTest: who sees which page, sign-in through the form, and two users at once."""

from __future__ import annotations

import ast
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.db import Database

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")


def _app() -> AppTest:
    return AppTest.from_file(MAIN, default_timeout=60)




def _links(at: AppTest) -> dict[str, str]:
    """URL path -> title of every registered page."""
    return {p.get("url_pathname", ""): p["page_name"] for p in at._registered_pages.values()}


def _signed_in(user) -> AppTest:
    at = _app()
    at.session_state["user"] = user
    return at.run()


def _give_transactions(db: Database, user, description: str, amounts: list[str]) -> None:
    today = dt.date.today()
    with db.user_session(user) as conn:
        account = conn.execute("insert into accounts (name) values ('Current') returning id").fetchone()[0]
        for i, amount in enumerate(amounts):
            conn.execute("insert into transactions (account_id, date, amount, description, merchant,"
                         " dedupe_key) values (%s, %s, %s, %s, %s, %s)",
                         [account, today.replace(day=1), Decimal(amount), description, description,
                          f"k{i}"])


def test_anonymous_visitor_sees_only_sign_in(db: Database, nav_titles) -> None:
    at = _app().run()
    assert not at.exception
    assert nav_titles(at) == ["Sign in"]
    assert [t.value for t in at.title] == ["Personal finance"]
    assert not at.metric and not at.dataframe
    # every member page's path shows the sign-in form (a bookmark asks for a sign-in first)
    links = _links(at)
    assert {links[path] for path in ("transactions", "goals", "settings", "admin")} == {"Sign in"}


def test_sign_in_form_with_real_backend(db: Database, make_user, nav_titles) -> None:
    made = make_user()
    at = _app().run()
    at.text_input(key="login_email").input(made.email)
    at.text_input(key="login_password").input("wrong-Password-1")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Wrong email or password."]
    assert nav_titles(at) == ["Sign in"]
    at.text_input(key="login_password").input(made.password)
    at.button[0].click().run()
    assert not at.exception
    assert nav_titles(at) == ["Dashboard", "Transactions", "Goals", "Budgets", "Subscriptions", "Alerts",
                        "Settings"]
    # the dashboard is the default page at "/"; a bookmarked /dashboard has a page too
    assert _links(at)[""] == "Dashboard" and _links(at)["dashboard"] == "Dashboard (link)"


def test_sign_up_form_validates_and_creates_account(db: Database, nav_titles) -> None:
    at = _app().run()
    at.text_input(key="signup_email").input("new-person@example.org")
    at.text_input(key="signup_password").input("weakpass")
    at.text_input(key="signup_confirm").input("weakpass")
    at.button[1].click().run()
    assert "too weak" in at.error[0].value
    at.text_input(key="signup_password").input("Much-Better-Pass-7")
    at.text_input(key="signup_confirm").input("Much-Better-Pass-7")
    at.button[1].click().run()
    assert not at.exception and "Dashboard" in nav_titles(at)


def test_user_does_not_see_admin_but_admin_and_staff_do(db: Database, make_user, nav_titles) -> None:
    member = _signed_in(make_user().user)
    assert "Admin" not in nav_titles(member)
    # /admin for a member is a notice that the page is for staff (see the browser test)
    assert _links(member)["admin"] == "Admin"
    assert all(p["script_path"] != str(Path("pages/admin.py").resolve())
               for p in member._registered_pages.values())
    for role in ("staff", "admin"):
        at = _signed_in(make_user(role).user)
        assert nav_titles(at)[-1] == "Admin"
        at.switch_page("../pages/admin.py").run()
        assert not at.exception
        assert [m.label for m in at.metric][:4] == ["Users", "Transactions", "Import batches", "Accounts"]


def test_role_is_reread_from_the_database(db: Database, make_user, nav_titles) -> None:
    made = make_user("admin")
    at = _signed_in(made.user)
    assert "Admin" in nav_titles(at)
    with db.owner_connection() as conn:
        conn.execute("update profiles set role = 'user' where user_id = %s", [str(made.user.id)])
    at.run()
    assert "Admin" not in nav_titles(at)


def test_sign_out_returns_to_sign_in(db: Database, make_user, nav_titles) -> None:
    at = _signed_in(make_user().user)
    at.sidebar.button(key="sign_out").click().run()
    assert nav_titles(at) == ["Sign in"] and "user" not in at.session_state


def test_two_users_at_once_never_see_each_other(db: Database, make_user) -> None:
    alice, bob = make_user(name="alice").user, make_user(name="bob").user
    _give_transactions(db, alice, "ALICE BAKERY", ["-11.11", "-22.22"])
    _give_transactions(db, bob, "BOB GARAGE", ["-333.33"])
    at_a, at_b = _signed_in(alice), _signed_in(bob)
    for _ in range(2):  # interleaved reruns
        at_a.run()
        at_b.run()
        assert at_a.metric[1].value == "€33.33" and at_b.metric[1].value == "€333.33"
    at_a.switch_page("../pages/transactions.py").run()
    at_b.switch_page("../pages/transactions.py").run()
    a_text = at_a.dataframe[0].value.to_string()
    b_text = at_b.dataframe[0].value.to_string()
    assert "ALICE BAKERY" in a_text and "BOB GARAGE" not in a_text
    assert "BOB GARAGE" in b_text and "ALICE BAKERY" not in b_text


@pytest.mark.parametrize("folder", ["pages", "app"])
def test_no_cache_shared_across_users(folder: str) -> None:
    """Any st.cache_data / st.cache_resource in the UI must be keyed by user_id first."""
    root = Path(MAIN).parents[1] / folder
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for deco in node.decorator_list:
                    text = ast.unparse(deco)
                    if "cache_resource" in text:
                        raise AssertionError(f"{path}:{node.lineno}: cache_resource in the UI layer")
                    if "cache_data" in text:
                        first = node.args.args[0].arg if node.args.args else None
                        assert first == "user_id", f"{path}:{node.lineno}: cache key must start with user_id"

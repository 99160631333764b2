"""The Settings and Admin pages through AppTest, on the real database.

Settings: the auto-apply threshold and balance buffer save to the profile, the password
changes (the current one checked, the browser's remembered sign-in renewed), consents save to
the ledger, "Prepare export" produces the ZIP offered for download,
deletion refuses a wrong confirmation and deletes with the right one. Admin: a staff account
sees the charts (in the k-anonymous installation of ``test_admin_analytics``) and cannot change
roles; an admin can; a normal user cannot reach the page.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core import consents, preferences
from core.db import Database, get_database, set_database

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")


def _page(user, page: str | None) -> AppTest:
    at = AppTest.from_file(MAIN, default_timeout=90)
    at.session_state["user"] = user
    at.run()
    if page:
        at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, at.exception
    return at




def test_settings_auto_apply_threshold_and_buffer(db: Database, make_user) -> None:
    user = make_user(name="settings-prefs").user
    at = _page(user, "settings")
    assert at.radio(key="pref_mode").value == "Automatic (recommended)"
    at.radio(key="pref_mode").set_value("Custom")
    at.slider(key="pref_threshold").set_value(85)
    at.number_input(key="pref_buffer").set_value(1200.0)
    at.button(key="FormSubmitter:prefs_form-Save settings").click().run()
    assert not at.exception, at.exception
    assert any(m.value.startswith("Saved. The next categorization") for m in at.success)
    with db.user_session(user) as conn:
        row = conn.execute("select auto_apply_threshold, balance_buffer::float8 from profiles"
                           ).fetchone()
    assert (round(row[0], 4), row[1]) == (0.85, 1200.0)
    assert at.radio(key="pref_mode").value == "Custom" and at.slider(key="pref_threshold").value == 85
    at.radio(key="pref_mode").set_value("Automatic (recommended)")
    at.selectbox(key="pref_currency").select("GBP")
    at.button(key="FormSubmitter:prefs_form-Save settings").click().run()
    with db.user_session(user) as conn:
        assert conn.execute("select auto_apply_threshold, base_currency from profiles"
                            ).fetchone() == (None, "GBP")
    # amounts on every page are now written in pounds
    assert "(GBP)" in at.number_input(key="pref_buffer").label
    at.switch_page("../pages/budgets.py").run()
    assert not at.exception, at.exception
    assert at.metric[0].value.startswith("£") or at.metric[0].value == "—"
    assert not any("€" in m.value for m in at.metric)


def test_a_base_currency_changed_in_another_browser_shows_at_the_next_run(db: Database,
                                                                          make_user) -> None:
    user = make_user(name="settings-other-browser").user
    with db.user_session(user) as conn:
        account = conn.execute("insert into accounts (name) values ('Current') returning id"
                               ).fetchone()[0]
        conn.execute("insert into transactions (account_id, date, amount, description, dedupe_key)"
                     " values (%s, current_date, 1234.5, 'Salary', 'k1')", [account])
    at = _page(user, None)  # the dashboard
    assert at.metric[0].label == "Money in" and at.metric[0].value == "€1,234.50"
    with db.user_session(user) as conn:  # what Settings in another browser saves
        preferences.set_base_currency(conn, "GBP")
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["base_currency"] == (str(user.id), "GBP")
    # the dashboard adds up the EUR account in euros (amounts are never converted) and says
    # nothing is left out; the budgets page writes in the new base currency
    assert at.metric[0].value == "€1,234.50"
    at.switch_page("../pages/budgets.py").run()
    assert not at.exception, at.exception
    assert not any("€" in m.value for m in at.metric)


def test_settings_password_change(db: Database, make_user, auth) -> None:
    made = make_user(name="settings-password")
    at = _page(made.user, "settings")
    submit = "FormSubmitter:password_form-Change password"

    def change(current: str, new: str, repeat: str) -> None:
        at.text_input(key="pw_current").input(current)
        at.text_input(key="pw_new").input(new)
        at.text_input(key="pw_repeat").input(repeat)
        at.button(key=submit).click().run()
        assert not at.exception, at.exception

    change(made.password, "Brand-New-Passw0rd", "Brand-New-Passw0rd-typo")
    assert [e.value for e in at.error] == ["Not changed: the two new passwords differ."]
    change("Not-The-Passw0rd", "Brand-New-Passw0rd", "Brand-New-Passw0rd")
    assert [e.value for e in at.error] == ["Not changed: Your current password is not right."]
    change(made.password, "short", "short")
    assert at.error[0].value.startswith("Not changed: New password too weak: at least 10 characters")
    assert auth.sign_in(made.email, made.password).id == made.user.id  # nothing changed so far
    change(made.password, "Brand-New-Passw0rd", "Brand-New-Passw0rd")
    assert not at.error
    assert [m.value for m in at.success] == [
        "Password changed. Other browsers that remembered your sign-in will ask you to sign in again."]
    assert auth.sign_in(made.email, "Brand-New-Passw0rd").id == made.user.id
    action, token = at.session_state["cookie_action"]  # this browser remembers the new sign-in
    assert action == "set" and at.session_state["auth_backend"].restore(token).id == made.user.id


def test_settings_consents_export_and_delete(db: Database, make_user, nav_titles) -> None:
    made = make_user(name="settings")
    user = made.user
    with db.user_session(user) as conn:
        conn.execute("insert into rules (name) values ('Groceries rule')")
    at = _page(user, "settings")
    assert [t.value for t in at.title] == ["Settings"]
    assert [t.label for t in at.toggle] == [p.title for p in consents.PURPOSES.values()]
    assert not any(t.value for t in at.toggle)  # off by default
    at.toggle(key="consent_email_alerts").set_value(True)
    at.button(key="FormSubmitter:consents_form-Save consents").click().run()
    with db.user_session(user) as conn:
        state = consents.current(conn)
    assert state["email_alerts"].granted and not state["model_training"].granted
    assert [m.value for m in at.success] == ["Saved 1 change(s)."]
    assert any(f"version {consents.PURPOSES['email_alerts'].version}" in c.value for c in at.caption)

    at.button(key="prepare_export").click().run()
    assert not at.exception
    zf = zipfile.ZipFile(io.BytesIO(at.session_state["privacy_export"]))
    assert json.loads(zf.read("json/rules.json"))[0]["name"] == "Groceries rule"
    assert [r["purpose"] for r in json.loads(zf.read("json/consents.json"))] == ["email_alerts"]

    at.text_input(key="delete_confirm").input("not-my-email@example.org")
    at.button(key="delete_account").click().run()
    assert any("Not deleted" in e.value for e in at.error)
    with db.owner_connection() as conn:
        assert conn.execute("select count(*) from profiles where user_id = %s",
                            [str(user.id)]).fetchone()[0] == 1
    at.text_input(key="delete_confirm").input(made.email)
    at.button(key="delete_account").click().run()
    assert not at.exception
    assert nav_titles(at) == ["Sign in"] and "user" not in at.session_state
    with db.owner_connection() as conn:
        left = conn.execute("select action from audit_log where user_id = %s", [str(user.id)]).fetchall()
    assert left == [("account_deleted",)]  # no sign-out entry written for the deleted account


@pytest.fixture
def analytics_install(db: Database, grown):
    """Point the app at the k-anonymous installation of test_admin_analytics, then back."""
    previous = get_database()
    set_database(grown["db"])
    yield grown
    set_database(previous)


def test_admin_page_as_staff_renders_charts(analytics_install) -> None:
    at = _page(analytics_install["staff"], "admin")
    assert [m.label for m in at.metric][:4] == ["Users", "Transactions", "Import batches", "Accounts"]
    assert at.metric[0].value == "14"
    charts = at.get("plotly_chart")
    assert len(charts) >= 8, len(charts)
    assert len(at.get("download_button")) >= 8
    text = " ".join(i.value for i in at.info)
    assert "Only admins can change roles." in text
    assert "role_email" not in [t.key for t in at.text_input]  # no role form for staff


def test_admin_page_as_admin_changes_a_role(analytics_install) -> None:
    world = analytics_install
    at = _page(world["admin"], "admin")
    at.text_input(key="role_email").input(world["plain"].email)
    at.selectbox(key="role_value").set_value("staff")
    at.button(key="FormSubmitter:role_form-Change role").click().run()
    assert not at.exception
    assert any("user → staff" in s.value for s in at.success)
    with world["db"].owner_connection() as conn:
        role = conn.execute("select role from profiles where user_id = %s",
                            [str(world["plain"].id)]).fetchone()[0]
        conn.execute("update profiles set role = 'user' where user_id = %s", [str(world["plain"].id)])
    assert role == "staff"


def test_normal_user_cannot_reach_admin(db: Database, make_user, nav_titles) -> None:
    user = make_user().user
    # even a session that claims staff: the role is re-read from the database on every run
    forged = dataclasses.replace(user, app_role="staff")
    for who in (user, forged):
        at = _page(who, None)
        assert "Admin" not in nav_titles(at) and "Settings" in nav_titles(at)
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page("../pages/admin.py")
        assert at.session_state["user"].app_role == "user"


def test_settings_edits_an_account(db: Database, make_user) -> None:
    from core.import_accounts import create_account
    from core.transaction_rows import cipher_for

    user = make_user(name="settings-accounts").user
    with db.user_session(user) as conn:
        create_account(conn, cipher_for(conn, user.id), "Everyday", currency="EUR")
        create_account(conn, cipher_for(conn, user.id), "Savings", kind="savings")
    at = _page(user, "settings")
    table = next(d.value for d in at.dataframe if "opening balance" in d.value.columns)
    assert list(table["account"]) == ["Everyday", "Savings"]
    at.selectbox(key="acct_pick").select("Savings").run()
    form = next(k for k in (w.key for w in at.text_input) if k and k.startswith("acct_name_"))
    suffix = form.removeprefix("acct_name_")
    at.text_input(key=f"acct_name_{suffix}").input("Rainy day pot")
    at.number_input(key=f"acct_opening_{suffix}").set_value(2500.0)
    at.button(key=f"FormSubmitter:acct_form_{suffix}-Save account").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("Account saved.") for s in at.success)
    assert at.selectbox(key="acct_pick").value == "Rainy day pot"  # still the edited one
    with db.user_session(user) as conn:
        assert conn.execute("select name, opening_balance::float8 from accounts where kind ="
                            " 'savings'").fetchone() == ("Rainy day pot", 2500.0)
    # a bad edit names the field and saves nothing
    at.text_input(key=f"acct_currency_{suffix}").input("E1")
    at.button(key=f"FormSubmitter:acct_form_{suffix}-Save account").click().run()
    assert any("Not saved: currency: currency 'E1'" in e.value for e in at.error)
    with db.user_session(user) as conn:
        assert conn.execute("select currency from accounts where kind = 'savings'"
                            ).fetchone()[0] == "EUR"

"""The user's categorization and forecast settings on the real database (RLS, triggers)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core import preferences
from core.db import Database


def _dirty_seq(db: Database, user) -> int:
    with db.owner_connection() as conn:
        row = conn.execute("select dirty_seq from pipeline.user_state where user_id = %s",
                           [str(user.id)]).fetchone()
    return row[0] if row else 0


def test_settings_round_trip_validate_and_mark_the_user_dirty(db: Database, make_user) -> None:
    me, other = make_user(name="prefs").user, make_user(name="prefs-other").user
    with db.user_session(me) as conn:
        start = preferences.current(conn)
    assert start.auto_apply_threshold is None and start.balance_buffer == Decimal("500.00")
    before = _dirty_seq(db, me)
    with db.user_session(me) as conn:
        preferences.set_auto_apply_threshold(conn, 0.85)
        preferences.set_balance_buffer(conn, "1250.5")
    assert _dirty_seq(db, me) > before  # the job re-applies them at its next poll
    with db.user_session(me) as conn:
        assert preferences.current(conn) == preferences.Preferences(0.85, Decimal("1250.50"),
                                                                    start.base_currency)
    with db.user_session(other) as conn:  # RLS: nobody else's profile changed
        assert preferences.current(conn).auto_apply_threshold is None
        assert preferences.current(conn).balance_buffer == Decimal("500.00")
    for bad, where in ((0.3, "auto-apply threshold: 30% is outside 50%-99%"),
                       (1.0, "auto-apply threshold: 100% is outside 50%-99%")):
        with db.user_session(me) as conn, pytest.raises(preferences.PreferenceError, match=where):
            preferences.set_auto_apply_threshold(conn, bad)
    for bad, where in (("-5", "must be between 0"), ("lots", "is not an amount")):
        with db.user_session(me) as conn, pytest.raises(preferences.PreferenceError, match=where):
            preferences.set_balance_buffer(conn, bad)
    with db.user_session(me) as conn:
        preferences.set_auto_apply_threshold(conn, None)  # back to automatic
        assert preferences.current(conn).auto_apply_threshold is None
        assert preferences.current(conn).balance_buffer == Decimal("1250.50")


def test_base_currency_follows_the_first_account_and_can_be_changed(db: Database,
                                                                     make_user) -> None:
    from core.import_accounts import create_account
    from core.transaction_rows import cipher_for

    me = make_user(name="currency-first").user
    with db.user_session(me) as conn:
        assert preferences.current(conn).base_currency == "EUR"
        create_account(conn, cipher_for(conn, me.id), "Monzo", currency="gbp")
        create_account(conn, cipher_for(conn, me.id), "Travel card", currency="USD")
        accounts = conn.execute("select name, currency from accounts order by name").fetchall()
        assert accounts == [("Monzo", "GBP"), ("Travel card", "USD")]
        assert preferences.current(conn).base_currency == "GBP"  # the first one, not the last
        # an account without a currency takes the base currency
        create_account(conn, cipher_for(conn, me.id), "Savings")
        assert conn.execute("select currency from accounts where name = 'Savings'"
                            ).fetchone()[0] == "GBP"
        assert preferences.set_base_currency(conn, " chf ") == "CHF"
        assert preferences.current(conn).base_currency == "CHF"
    for bad in ("E1", "EURO", ""):
        with db.user_session(me) as conn, pytest.raises(preferences.PreferenceError,
                                                        match="base currency: currency"):
            preferences.set_base_currency(conn, bad)
        with db.user_session(me) as conn, pytest.raises(ValueError,
                                                        match="not a three-letter code"):
            create_account(conn, cipher_for(conn, me.id), "Bad", currency=bad or "12")
    with db.user_session(me) as conn:
        assert preferences.current(conn).base_currency == "CHF"
        assert conn.execute("select count(*) from accounts").fetchone()[0] == 3


def test_accounts_are_edited_validated_and_replanned(db: Database, make_user) -> None:
    from core import accounts
    from core.import_accounts import create_account
    from core.transaction_rows import cipher_for

    me, other = make_user(name="acct-edit").user, make_user(name="acct-other").user
    with db.user_session(me) as conn:
        main = create_account(conn, cipher_for(conn, me.id), "Main", currency="EUR")
        create_account(conn, cipher_for(conn, me.id), "Card", kind="credit")
        conn.execute("insert into transactions (account_id, date, amount, currency, description,"
                     " dedupe_key) values (%s, '2026-01-02', -40.00, 'EUR', 'SHOP', 'k1')", [main])
    with db.user_session(other) as conn:
        theirs = create_account(conn, cipher_for(conn, other.id), "Theirs")
    before = _dirty_seq(db, me)
    with db.user_session(me) as conn:
        accounts.update_account(conn, main, name="  Main   current ", kind="checking",
                                currency="gbp", opening_balance="1250.5")
        found = accounts.overview(conn).set_index("name")
    assert _dirty_seq(db, me) > before  # balances and the forecast are recomputed
    assert found.loc["Main current", ["currency", "opening_balance", "balance", "transactions"]
                     ].tolist() == ["GBP", Decimal("1250.50"), Decimal("1210.50"), 1]
    for change, message in (
            ({"name": " "}, "name: an account needs a name"),
            ({"name": "card"}, "name: you already have an account called 'card'"),
            ({"kind": "pocket"}, "kind: 'pocket' is not one of checking"),
            ({"currency": "EURO"}, "currency: currency 'EURO' is not a three-letter code"),
            ({"opening_balance": "lots"}, "opening balance: 'lots' is not an amount"),
            ({"opening_balance": "1e15"}, "opening balance: .* is too large")):
        edit = {"name": "Main current", "kind": "checking", "currency": "GBP",
                "opening_balance": "0", **change}
        with db.user_session(me) as conn, pytest.raises(accounts.AccountError, match=message):
            accounts.update_account(conn, main, **edit)
    with db.user_session(me) as conn:  # RLS: another user's account cannot be edited
        with pytest.raises(accounts.AccountError, match="no longer exists"):
            accounts.update_account(conn, theirs, name="Mine", kind="checking", currency="EUR",
                                    opening_balance=0)
        assert accounts.overview(conn).set_index("name").loc["Main current",
                                                             "opening_balance"] == Decimal("1250.50")

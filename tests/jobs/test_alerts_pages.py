"""The Alerts and Subscriptions pages (AppTest) on pipeline outputs of a real demo household."""

from __future__ import annotations

from pathlib import Path

from core.config import Settings
from core.db import Database
from jobs import pipeline

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")



def test_alerts_page_verdict_snooze_and_preferences(open_page, db: Database, settings: Settings,
                                                    household_user) -> None:
    user = household_user(seed=7)
    pipeline.run_user(db, settings, user.id)
    at = open_page(user, "alerts")
    labels = [e.label for e in at.expander]
    assert any("Unusual charge" in label and "high risk" in label for label in labels), labels
    found = next(d.value for d in at.dataframe if "reason" in d.value.columns)  # All anomalies
    assert "amount spike" in set(found["kind"]) and not found["kind"].str.contains("_").any()
    assert any("Price rise" in label for label in labels), labels
    expected_buttons = [b for b in at.button if b.key and b.key.startswith("exp-")]
    alert_id = expected_buttons[0].key.removeprefix("exp-")
    expected_buttons[0].click().run()
    with db.user_session(user) as conn:
        status = conn.execute("select status from alerts where id = %s", [alert_id]).fetchone()[0]
        verdicts = conn.execute("select verdict from anomaly_verdicts").fetchall()
    assert status == "resolved" and verdicts == [("expected",)]
    snooze = next(b for b in at.button if b.key and b.key.startswith("snz-"))
    snooze.click().run()
    with db.user_session(user) as conn:
        snoozed = conn.execute("select count(*) from alerts where status = 'snoozed'"
                               " and snoozed_until > now() + interval '6 days'").fetchone()[0]
    assert snoozed == 1
    # preferences: a bad webhook URL is refused with a message, a good one is saved
    at.checkbox[1].check()
    at.text_input[1].input("ftp://example.org/hook")
    at.button(key="FormSubmitter:notification_prefs-Save preferences").click().run()
    assert any("http://" in e.value for e in at.error)
    at.text_input[1].input("https://example.org/hook")
    at.button(key="FormSubmitter:notification_prefs-Save preferences").click().run()
    with db.user_session(user) as conn:
        prefs = conn.execute("select webhook_enabled, webhook_url from notification_prefs").fetchone()
    assert prefs == (True, "https://example.org/hook")


def test_a_stale_alert_button_says_so(open_page, db: Database, settings: Settings,
                                      household_user) -> None:
    """The page was drawn, then the job rebuilt the alerts: a click on a gone alert says so
    instead of failing."""
    user = household_user(seed=7)
    pipeline.run_user(db, settings, user.id)
    at = open_page(user, "alerts")
    dismiss = next(b for b in at.button if b.key and b.key.startswith("dis-"))
    with db.owner_connection() as conn:
        conn.execute("delete from public.alerts where id = %s", [dismiss.key.removeprefix("dis-")])
    dismiss.click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.toast][-1].startswith("Nothing changed: this alert is no longer")


def test_subscriptions_page_lists_price_rise_and_confirms(open_page, db: Database, settings: Settings,
                                                          household_user) -> None:
    user = household_user(seed=7)
    pipeline.run_user(db, settings, user.id)
    at = open_page(user, "subscriptions")
    text = " ".join(m.value for m in at.markdown)
    assert "**Netflix** — monthly" in text and "price rise" in text
    # a pay rise reads as one; cash taken out of the ATM is no bill
    with db.user_session(user) as conn:
        raised = [r[0] for r in conn.execute(
            "select merchant from recurring_series where direction = 'in'"
            " and price_change is not null").fetchall()]
        cash = conn.execute(
            "select count(*) from recurring_series s join transactions t"
            " on t.id = any(s.transaction_ids) join categories c on c.id = t.category_id"
            " where c.name = 'ATM Withdrawal'").fetchone()[0]
    assert raised and cash == 0
    for name in raised:
        line = next(m.value for m in at.markdown if m.value.startswith(f"**{name}**"))
        assert " · raised " in line and "price" not in line, line
    confirm = next(b for b in at.button if b.key and b.key.startswith("conf-"))
    confirm.click().run()
    with db.user_session(user) as conn:
        confirmed = conn.execute("select count(*) from recurring_series where user_status = 'confirmed'"
                                 ).fetchone()[0]
    assert confirmed == 1


def test_subscriptions_in_another_currency_keep_it(open_page, db: Database, settings: Settings,
                                                   household_user) -> None:
    """A monthly bill paid from a GBP account, with a price rise: its line and its alert read in
    pounds, and the monthly total (in the base currency) leaves it out, listing it separately,
    not converted."""
    import datetime as dt

    import pandas as pd

    from core import alerts_service as svc

    user = household_user(seed=8)
    pipeline.run_user(db, settings, user.id)
    with db.user_session(user) as conn:
        before = svc.spending_per_month(svc.list_series(conn))
        gbp = conn.execute("insert into accounts (name, currency) values ('London', 'GBP')"
                           " returning id").fetchone()[0]
        third = dt.date.today().replace(day=3)
        for k in range(1, 9):  # the 3rd of each of the 8 months before this one
            day = (pd.Timestamp(third) - pd.DateOffset(months=k)).date()
            conn.execute("insert into transactions (account_id, date, amount, currency, description,"
                         " merchant, dedupe_key) values (%s, %s, %s, 'GBP', 'GYMBOX LONDON',"
                         " 'Gymbox', %s)", [gbp, day, -12.99 if k > 3 else -14.99, f"gym{k}"])
    pipeline.run_user(db, settings, user.id)
    with db.user_session(user) as conn:
        after = svc.spending_per_month(svc.list_series(conn))
    assert after == {**before, "GBP": 14.99}
    at = open_page(user, "subscriptions")
    line = next(m.value for m in at.markdown if m.value.startswith("**Gymbox**"))
    assert "monthly, £14.99" in line and "price rise £12.99 → £14.99" in line, line
    assert "€" not in line, line
    assert at.metric[0].value == f"€{before['EUR']:,.2f}"
    assert any(c.value == "Plus, not converted: £14.99 a month" for c in at.caption)
    with db.user_session(user) as conn:  # the job's alert about it is in pounds too
        body = conn.execute("select body from alerts where type = 'price_rise'"
                            " and title like 'Gymbox%%'").fetchone()[0]
    assert body == "Gymbox went from £12.99 to £14.99 (+15%).", body

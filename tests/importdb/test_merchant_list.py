"""The Merchants tab (``core.merchant_list``, ``pages.transactions_merchants``) on the real Bank
of Ireland export in a real database with RLS: one line per merchant with its counts, sums,
usual category and dates; search (wildcards are literal); a merge of two names into one, with
its rule, undone by the tab's Undo; the list is drawn only while the tab is open; alike names
suggested for a merge either way, or kept apart (until the user asks to see them again)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.merchant_list import keep_apart, kept_apart, list_merchants, suggestions
from core.rules_store import list_rules

BOI = "bank2ynab/test/test-data/test_BOI_TransactionExport.csv"


@pytest.fixture
def boi_user(make_user, import_file):
    user = make_user(name="merchants").user
    assert import_file(user, BOI, "BOI").n_imported == 27
    return user


def _names(conn, like: str) -> list[str]:
    return sorted(r[0] for r in conn.execute("select merchant from transactions where description"
                                             " like %s", [like]))


def test_list_counts_sums_dates_and_search(db, boi_user, make_user) -> None:
    with db.user_session(boi_user) as conn:
        conn.execute("update transactions set category_id = (select id from categories where"
                     " name = 'Salary'), category_source = 'user' where description like '%%CTO'"
                     " and date < '2017-09-20'")
        merchants, total = list_merchants(conn)
        assert total == len(merchants) == len({m.lower() for m in merchants["merchant"]})
        first = merchants.iloc[0]  # most transactions first: the four salary lines
        assert (first.merchant, first.transactions) == ("CTO", 4)
        assert (first.money_out, round(first.money_in, 2), first.currency) == (0.0, 3383.69, "EUR")
        assert first.category == "Income › Salary"  # two of four filed: the usual category
        assert (first["first"], first["last"]) == (dt.date(2017, 9, 7), dt.date(2017, 9, 28))
        statoil = merchants.set_index("merchant").loc["STATOIL"]
        assert (statoil.transactions, statoil.money_out) == (2, 183.5)
        conn.execute("update transactions set currency = 'GBP' where description like"
                     " 'POS13SEP STATOIL%%'")
        assert list_merchants(conn, "statoil")[0].iloc[0].currency == "mixed"
        found, n = list_merchants(conn, "  atm ")
        assert sorted(found["merchant"]) == ["ATM", "ATMD"] and n == 2
        assert list_merchants(conn, "%")[1] == 0  # a wildcard is a literal character here
        assert list_merchants(conn, "", limit=3)[1] == total  # the total, beyond the limit
    with db.user_session(make_user(name="merchants-other").user) as conn:
        assert list_merchants(conn)[1] == 0  # RLS: nobody else's merchants


def test_tab_merges_two_names_and_undoes(open_page, db, boi_user) -> None:
    at = open_page(boi_user, "transactions")
    assert "mc_search" not in {t.key for t in at.text_input}  # not drawn while closed
    at.session_state["tx_tab"] = "Merchants"
    at.run()
    at.text_input(key="mc_search").input("atm").run()
    assert not at.exception, at.exception
    assert any(c.value.startswith("2 merchants. Rename one") for c in at.caption)
    at.selectbox(key="mc_pick").select("ATMD").run()
    at.text_input(key="mc_name_ATMD").input("atm")
    at.button(key="mc_rename").click().run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    # typed in lower case, the name takes the existing merchant's spelling: one spelling left
    assert ("Renamed ATMD to ATM on 2 transactions. Rule “Rename ATMD → ATM” added: future imports"
            " get the new name. ATM was already a merchant: they are one now."
            in [s.value for s in at.success])
    assert at.selectbox(key="mc_pick").value is None  # the picker starts afresh
    assert any(c.value.startswith("1 merchant. Rename one") for c in at.caption)
    with db.user_session(boi_user) as conn:
        assert _names(conn, "ATM%") == ["ATM", "ATM", "ATM"]
        assert [r.name for r in list_rules(conn)] == ["Rename ATMD → ATM"]
    at.button(key="mc_undo").click().run()
    assert "Undone: 2 transactions back to their earlier name." in [s.value for s in at.success]
    with db.user_session(boi_user) as conn:
        assert _names(conn, "ATM%") == ["ATM", "ATMD", "ATMD"] and list_rules(conn) == []
    at.selectbox(key="mc_pick").select("ATM").run()
    at.text_input(key="mc_name_ATM").input("")
    at.button(key="mc_rename").click().run()
    assert [e.value for e in at.error] == ["Not renamed: type the merchant's new name."]


def test_suggestions_merge_either_way_or_stay_apart(open_page, db, boi_user, make_user) -> None:
    with db.user_session(boi_user) as conn:
        merchants, _ = list_merchants(conn)
        pairs = suggestions(conn, merchants)
        assert [(p.merge, p.into) for p in pairs] == [("ATM", "ATMD")]  # 1 and 2 rows
    at = open_page(boi_user, "transactions")
    at.session_state["tx_tab"] = "Merchants"
    at.run()
    assert any(c.value == "ATM and ATMD (3 transactions): one name is the other plus a letter or"
               " two." for c in at.caption)
    at.button(key="mc_merge_back_0").click().run()  # "Merge into ATM": the readable name
    assert not at.exception, at.exception
    assert any(s.value.startswith("Renamed ATMD to ATM on 2 transactions.") for s in at.success)
    with db.user_session(boi_user) as conn:
        assert _names(conn, "ATM%") == ["ATM"] * 3
        assert suggestions(conn, list_merchants(conn)[0]) == []  # one merchant now
    at.button(key="mc_undo").click().run()
    at.button(key="mc_apart_0").click().run()
    assert "ATM and ATMD are kept apart: not suggested again." in [s.value for s in at.success]
    assert not any(b.key == "mc_apart_0" for b in at.button)
    assert [e.label for e in at.expander if e.label.startswith("Kept apart")] == ["Kept apart (1)"]
    at.button(key="mc_again_0").click().run()  # changed their mind: suggested again
    assert "atm and atmd may be suggested for a merge again." in [s.value for s in at.success]
    assert any(b.key == "mc_apart_0" for b in at.button)
    at.button(key="mc_apart_0").click().run()
    with db.user_session(boi_user) as conn:
        assert _names(conn, "ATM%") == ["ATM", "ATMD", "ATMD"]
        assert kept_apart(conn) == {("atm", "atmd")}
        keep_apart(conn, "ATMD", "Atm")  # twice: still one row
        assert conn.execute("select count(*) from merchant_pairs_apart").fetchone()[0] == 1
        with pytest.raises(ValueError, match="from itself"):
            keep_apart(conn, "ATM", "atm ")
    with db.user_session(make_user(name="merchants-apart").user) as conn:
        assert kept_apart(conn) == set()  # RLS: another user's pairs are not theirs

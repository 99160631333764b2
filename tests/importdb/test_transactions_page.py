"""The Transactions page through AppTest: upload real statements with the real file_uploader,
confirm a mapping, search, correct a category in the data editor, apply to similar, create a
rule, split, resolve a duplicate, a bad regex message, undo an import."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.importing import parse_statement

MAIN = str(Path(__file__).resolve().parents[2] / "app" / "main.py")
BOI = "bank2ynab/test/test-data/test_BOI_TransactionExport.csv"
RAIFFEISEN = "bank2ynab/test/test-data/test_raiffeisen_01.csv"



def _upload(at: AppTest, statements: Path, relative: str, account: str | None = None) -> None:
    path = statements / relative
    if account:
        at.text_input(key="imp_new_name").input(account)
    at.file_uploader(key="imp_file").set_value((path.name, path.read_bytes(), "text/csv"))
    at.run()
    assert not at.exception, at.exception


def _frame(at: AppTest, column: str):
    """The first table showing ``column`` (st.dataframe keys are not exposed to AppTest)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_upload_search_correct_and_undo(open_page, db, make_user, statements) -> None:
    user = make_user(name="page").user
    at = open_page(user, "transactions")
    assert any("No transactions yet" in i.value for i in at.info)
    _upload(at, statements, BOI, account="BOI")
    assert "27 transactions" in " ".join(m.value for m in at.markdown)
    preview = _frame(at, "external_id")
    assert len(preview) == 10 and preview["date"].iloc[0] == "2017-09-01"
    at.button(key="imp_go").click().run()
    assert not at.exception, at.exception
    metrics = _metrics(at)
    assert metrics["Imported"] == "27" and metrics["Duplicates skipped"] == "0"
    assert metrics["Transactions"] == "27"
    editor = at.dataframe[0]
    assert editor.editing_mode == "fixed" and len(editor.value) == 27
    # search
    at.text_input(key="tx_search").input("domino").run()
    assert list(at.dataframe[0].value["description"]) == ["POS10SEP DOMINO'S PIZ"]
    # a correction in the data editor: CTO has 3 similar rows; one waits in review and follows
    # at once, two the model filed confidently wait for "apply to all similar"
    with db.user_session(user) as conn:
        cto = [r[0] for r in conn.execute("select id from transactions where description = 'CTO'"
                                          " order by date desc")]
        food = conn.execute("select id from categories where name = 'Groceries'").fetchone()[0]
        conn.execute("update transactions set category_id = %s, category_source = 'model',"
                     " category_confidence = 0.6, needs_review = true where id = %s", [food, cto[1]])
        conn.execute("update transactions set category_id = %s, category_source = 'model',"
                     " category_confidence = 0.99, category_explanation = 'Same merchant as 2"
                     " earlier transactions you filed under Groceries' where id = any(%s)",
                     [food, cto[2:]])
    at.text_input(key="tx_search").input("cto").run()
    assert len(at.dataframe[0].value) == 4
    at.session_state["tx_editor_0"] = {"edited_rows": {0: {"category": "Income › Salary"}},
                                       "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception
    assert any("and 1 similar uncategorized transaction(s) with it" in m.value for m in at.markdown)
    assert list(at.dataframe[0].value["category"]) == ["Income › Salary"] * 2 + ["Food › Groceries"] * 2
    assert at.button(key="tx_apply_similar").label == "Apply to all 2 similar transactions"
    at.button(key="tx_apply_similar").click().run()
    assert any("2 similar transaction(s) filed under Income › Salary" in s.value for s in at.success)
    assert set(at.dataframe[0].value["category"]) == {"Income › Salary"}
    # each row says why it has its category
    assert list(at.dataframe[0].value["why"]) == [
        "Set by you", "Same merchant as a transaction you filed under Salary",
        *["Set by you (applied to similar)"] * 2]
    with db.user_session(user) as conn:
        sources = conn.execute("select source from corrections order by source").fetchall()
    assert [s[0] for s in sources] == ["bulk", "bulk", "table"]
    # a note, saved encrypted from the editor, is found by search
    at.text_input(key="tx_search").input("domino").run()
    at.session_state["tx_editor_1"] = {"edited_rows": {0: {"notes": "Friday pizza with Anna"}},
                                       "added_rows": [], "deleted_rows": []}
    at.run()
    at.text_input(key="tx_search").input("anna").run()
    assert list(at.dataframe[0].value["notes"]) == ["Friday pizza with Anna"]
    # undo the import
    at.selectbox(key="imp_undo_pick").select_index(0)
    at.button(key="imp_undo").click().run()
    assert any("27 transaction(s) removed" in s.value for s in at.success)
    with db.user_session(user) as conn:
        assert conn.execute("select count(*) from transactions").fetchone()[0] == 0


def test_low_confidence_file_asks_for_the_mapping_and_remembers_it(open_page, db, make_user,
                                                                   statements) -> None:
    user = make_user(name="mapping").user
    at = open_page(user, "transactions")
    _upload(at, statements, RAIFFEISEN, account="Raiffeisen")
    assert any("Please check which column is which" in w.value for w in at.warning)
    date_column = at.selectbox(key=next(k for k in _keys(at) if k.startswith("imp_role_date_"))).value
    assert date_column != "(detect)"
    detected = _frame(at, "external_id")["amount"].tolist()
    sign = next(r for r in at.radio if r.key and r.key.startswith("imp_sign_"))
    sign.set_value("flip every sign").run()
    flipped = _frame(at, "external_id")["amount"].tolist()
    assert flipped == [str(-Decimal(a)) if a[0] != "-" else a[1:] for a in detected]
    at.button(key="imp_go").click().run()
    assert not at.exception, at.exception
    assert _metrics(at)["Imported"] == "73"
    with db.user_session(user) as conn:
        saved = conn.execute("select mapping from import_mappings").fetchall()
        total = conn.execute("select sum(amount) from transactions").fetchone()[0]
    assert len(saved) == 1 and saved[0][0]["date"] == date_column and saved[0][0]["sign"] == "negate"
    path = statements / RAIFFEISEN
    assert total == -sum(t.amount for t in parse_statement(path.read_bytes(), path.name).transactions)
    # the same layout again for the same account: no question, the remembered mapping is used
    at2 = open_page(user, "transactions")
    at2.selectbox(key="imp_account").select("Raiffeisen")
    _upload(at2, statements, "bank2ynab/test/test-data/test_raiffeisen_02.csv")
    assert not any("Please check which column is which" in w.value for w in at2.warning)
    assert "column mapping remembered" in " ".join(m.value for m in at2.markdown)


def _keys(at: AppTest) -> list[str]:
    return [w.key for w in at.selectbox if w.key]


def test_rules_tab_preview_and_bad_regex(open_page, db, make_user, import_file) -> None:
    user = make_user(name="rulespage").user
    import_file(user, BOI, "BOI")
    at = open_page(user, "transactions")
    at.text_input(key="rule_name").input("Card payments")
    at.selectbox(key="rule_field_1").select("description").run()
    at.selectbox(key="rule_op_1").select("regex")
    at.text_input(key="rule_value_1").input("POS(")
    at.selectbox(key="rule_category").select("Food › Groceries")
    at.button(key="rule_save").click().run()
    assert any("invalid regular expression 'POS('" in e.value for e in at.error)
    at.text_input(key="rule_value_1").input(r"^POS\d{2}")
    at.button(key="rule_preview").click().run()
    assert any("would change 11" in i.value for i in at.info)
    at.button(key="rule_save").click().run()
    assert any("changed 11 existing transaction(s)" in s.value for s in at.success)
    assert _frame(at, "rule")["name"].tolist() == ["Card payments"]


def test_duplicates_tab_keep_and_delete(open_page, db, make_user, boi_twice) -> None:
    user = make_user(name="dupspage").user
    boi_twice(user)
    at = open_page(user, "transactions")
    buttons = [b.key for b in at.button if b.key and b.key.startswith("dup_")]
    assert len(buttons) == 4
    at.button(key=next(k for k in buttons if k.startswith("dup_keep_"))).click().run()
    at.button(key=next(b.key for b in at.button if b.key and b.key.startswith("dup_delete_"))).click().run()
    assert not at.exception
    assert any("No possible duplicates" in i.value for i in at.info)
    with db.user_session(user) as conn:
        assert conn.execute("select count(*) from transactions").fetchone()[0] == 28


@pytest.mark.parametrize("relative", ["ofxparse/tests/fixtures/fail_nice/date_missing.ofx",
                                      "quiffen/tests/test_files/invalid.txt"])
def test_a_bad_file_shows_the_parser_message(open_page, db, make_user, statements,
                                             relative) -> None:
    at = open_page(make_user(name="badfile").user, "transactions")
    _upload(at, statements, relative, account="X")
    assert at.error and Path(relative).name in at.error[0].value
    assert not [b for b in at.button if b.key == "imp_go"]


def test_row_details_split_tags_and_exclude(open_page, db, make_user, import_file) -> None:
    user = make_user(name="details").user
    import_file(user, BOI, "BOI")
    with db.user_session(user) as conn:
        tx = conn.execute("select id from transactions where description = 'POS20SEP BV'").fetchone()[0]
    at = open_page(user, "transactions")
    pick = at.selectbox(key="tx_pick")
    pick.select(next(o for o in pick.options if "POS20SEP BV" in o)).run()
    at.text_input(key=f"tx_tags_{tx}").input("groceries, trip")
    at.toggle(key=f"tx_excl_{tx}").set_value(True)
    at.button(key=f"tx_save_tags_{tx}").click().run()
    at.session_state[f"tx_split_{tx}"] = {
        "edited_rows": {0: {"category": "Food › Groceries", "amount": -60.0, "memo": "food"},
                        1: {"category": "Shopping › Household", "amount": -40.0}},
        "added_rows": [], "deleted_rows": []}
    at.button(key=f"tx_split_save_{tx}").click().run()
    assert any("-3.56 left to assign" in e.value for e in at.error)
    at.session_state[f"tx_split_{tx}"] = {
        "edited_rows": {0: {"category": "Food › Groceries", "amount": -60.0, "memo": "food"},
                        1: {"category": "Shopping › Household", "amount": -43.56}},
        "added_rows": [], "deleted_rows": []}
    at.button(key=f"tx_split_save_{tx}").click().run()
    assert not at.exception and not at.error
    with db.user_session(user) as conn:
        tags, excluded = conn.execute("select tags, excluded from transactions where id = %s",
                                      [tx]).fetchone()
        parts = conn.execute("select c.name, s.amount, s.memo from transaction_splits s"
                             " join categories c on c.id = s.category_id order by s.position").fetchall()
    assert (tags, excluded) == (["groceries", "trip"], True)
    assert parts == [("Groceries", Decimal("-60.00"), "food"), ("Household", Decimal("-43.56"), "")]


def test_new_account_takes_the_files_currency_unless_one_is_typed(open_page, db, make_user,
                                                                  statements) -> None:
    monzo = "bank2ynab/test/test-data/MonzoDataExport_February2018_2018-02-26_174335.csv"
    user = make_user(name="currency").user
    at = open_page(user, "transactions")
    at.session_state["base_currency"] = (str(user.id), "EUR")  # what the session had read
    _upload(at, statements, monzo, account="Monzo")  # the currency field is left empty
    at.button(key="imp_go").click().run()
    assert not at.exception, at.exception
    batches = _frame(at, "File")  # Recent imports, in words
    assert list(batches.columns[:3]) == ["When", "File", "Format"]
    assert batches["When"].iloc[0].endswith(" UTC") and batches["Imported"].iloc[0] == 1
    # the first account made GBP the base currency: the session reads it again
    assert "base_currency" not in at.session_state or at.session_state["base_currency"][1] == "GBP"
    # a typed currency wins; a malformed one is refused with a message and nothing is written
    at.selectbox(key="imp_account").select("+ New account").run()
    at.text_input(key="imp_new_name").input("Typed")
    at.file_uploader(key="imp_file").set_value(
        ("boi.csv", (statements / BOI).read_bytes(), "text/csv"))
    at.run()
    # this file names no currency: the preview shows the base currency (the first account's)
    assert set(_frame(at, "external_id")["currency"]) == {"GBP"}
    at.text_input(key="imp_new_currency").input("E1").run()
    at.button(key="imp_go").click().run()
    assert any("'E1' is not a three-letter code" in e.value for e in at.error), \
        [e.value for e in at.error]
    at.text_input(key="imp_new_currency").input("usd").run()
    at.button(key="imp_go").click().run()
    assert not at.exception, at.exception
    with db.user_session(user) as conn:
        accounts = conn.execute("select name, currency from accounts order by name").fetchall()
        monzo_tx = conn.execute("select t.currency from transactions t join accounts a"
                                " on a.id = t.account_id where a.name = 'Monzo'").fetchall()
    assert accounts == [("Monzo", "GBP"), ("Typed", "USD")]
    assert monzo_tx == [("GBP",)]

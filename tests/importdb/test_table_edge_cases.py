"""Edge cases of the transactions table found in a browser QA pass, in the service and through
AppTest: a split saved with the data editor's empty add-row line (NaN cells), the page box's
"+" on the last page and a page number past the end, an amount range given the wrong way
round, and two identical transactions on one day in the Row details picker."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from core.corrections import CorrectionError, get_splits, split_transaction
from core.transaction_rows import cipher_for
from core.transactions_search import Filters, amount_bounds, search

BOI = "bank2ynab/test/test-data/test_BOI_TransactionExport.csv"
NAN = float("nan")
ROWS = 120  # the page shows 50 rows: pages of 50, 50 and 20



def _statement() -> bytes:
    """A BOI-layout file: ROWS distinct card payments, the last two identical (same day,
    description and amount; both are kept, see the README on dedupe)."""
    lines = ["Date,Details,Debit,Credit,Balance"]
    day = dt.date(2024, 1, 1)
    for i in range(ROWS - 2):
        lines.append(f"{(day + dt.timedelta(days=i % 90)).strftime('%d/%m/%Y')},SHOP {i:03d},"
                     f"{10 + i}.25,,")
    lines += ["15/04/2024,COFFEE CORNER,3.50,,"] * 2
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def shop(make_user, import_bytes):
    user = make_user(name="edges").user
    assert import_bytes(user, _statement(), "edges.csv", "Card").n_imported == ROWS
    return user


def _search(db, user, limit: int = 50, offset: int = 0, **kw):
    with db.user_session(user) as conn:
        return search(conn, Filters(**kw), limit=limit, offset=offset, cipher=cipher_for(conn, user.id),
                      user_id=user.id)


def _ids(db, user, description: str) -> list:
    with db.user_session(user) as conn:
        return [r[0] for r in conn.execute("select id from transactions where description = %s"
                                           " order by created_at desc, id", [description])]


def _cat(db, user, name: str):
    with db.user_session(user) as conn:
        return conn.execute("select id from categories where name = %s", [name]).fetchone()[0]


def _splits(db, user, tx) -> list[tuple]:
    with db.user_session(user) as conn:
        return [(p["category_id"], p["amount"], p["memo"]) for p in get_splits(conn, tx)]


# 1. a split with empty rows, NaN cells and a part with a category but no amount


def test_split_skips_empty_parts_and_names_the_bad_one(db, make_user, import_file) -> None:
    user = make_user(name="splitnan").user
    import_file(user, BOI, "BOI")
    groceries, household = _cat(db, user, "Groceries"), _cat(db, user, "Household")
    tx = _ids(db, user, "POS20SEP BV")[0]
    good = [(groceries, -60.0, "food"), (household, -43.56, NAN)]
    with db.user_session(user) as conn:
        # the editor's add-row line (None / NaN cells) and the untouched 0.00 row are skipped
        assert split_transaction(conn, tx, [*good, (None, NAN, None), (None, 0.0, ""), (NAN, None, NAN)]) == 2
    assert _splits(db, user, tx) == [(groceries, Decimal("-60.00"), "food"),
                                     (household, Decimal("-43.56"), "")]
    bad = {
        "part 3: the amount is missing": [*good, (household, NAN, None)],
        "part 2: the amount is missing": [good[0], (household, None, "x"), good[1]],
        "part 1: expected an amount like -12.50, got 'lots'": [(groceries, "lots", ""), *good],
        "part 3: expected an amount like -12.50, got inf": [*good, (groceries, float("inf"), "")],
        "part 3: the amount must not be zero": [*good, (groceries, 0.0, "")],
        "part 2: the amount 1000000000000.00 is too large": [
            good[0], (household, 1e12, ""), (groceries, -1e12 - 43.56, "")],
        "part 2: the category 'nope' does not exist": [good[0], ("nope", -43.56, "")],
    }
    for message, parts in bad.items():
        with db.user_session(user) as conn, pytest.raises(CorrectionError, match=message):
            split_transaction(conn, tx, parts)
    # nothing was half-written: the saved split is still the good one
    assert _splits(db, user, tx) == [(groceries, Decimal("-60.00"), "food"),
                                     (household, Decimal("-43.56"), "")]


def test_save_split_with_the_add_row_line_through_the_page(open_page, db, make_user, import_file) -> None:
    user = make_user(name="splitpage").user
    import_file(user, BOI, "BOI")
    tx = _ids(db, user, "POS20SEP BV")[0]
    at = open_page(user, "transactions")
    pick = at.selectbox(key="tx_pick")
    pick.select(next(o for o in pick.options if "POS20SEP BV" in o)).run()
    rows = {0: {"category": "Food › Groceries", "amount": -60.0, "memo": "food"},
            1: {"category": "Shopping › Household", "amount": -43.56}}
    # a category picked on the add-row line, but no amount: a message, not a traceback
    at.session_state[f"tx_split_{tx}"] = {"edited_rows": rows, "deleted_rows": [],
                                          "added_rows": [{"category": "Food › Groceries"}]}
    at.button(key=f"tx_split_save_{tx}").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "Split not saved: part 3: the amount is missing; enter an amount like -12.50."]
    assert _splits(db, user, tx) == []
    # the add-row line clicked but left empty (None / NaN cells) is ignored
    at.session_state[f"tx_split_{tx}"] = {"edited_rows": rows, "deleted_rows": [], "added_rows": [{}]}
    at.button(key=f"tx_split_save_{tx}").click().run()
    assert not at.exception, at.exception
    assert not at.error
    assert [(a, m) for _, a, m in _splits(db, user, tx)] == [(Decimal("-60.00"), "food"),
                                                          (Decimal("-43.56"), "")]


# 2. the page box stops at the last page; a page past the end (the filter shrank) shows the
# last page, and the page box says so


def test_a_page_past_the_end_shows_the_last_page(open_page, db, shop) -> None:
    last = _search(db, shop, offset=100)
    assert (len(last.rows), last.total) == (ROWS - 100, ROWS)
    at = open_page(shop, "transactions")
    for _ in range(3):  # "+" three times from page 1: the last click does nothing
        at.number_input(key="tx_page").increment().run()
        assert not at.exception, at.exception
    assert at.number_input(key="tx_page").value == 3
    assert list(at.dataframe[0].value["description"]) == list(last.rows["description"])
    assert "Page 3 of 3" in [c.value for c in at.caption]
    assert not any("there is no page" in c.value for c in at.caption)
    assert at.number_input(key="tx_page").max == 3
    at.run()
    assert "Page 3 of 3" in [c.value for c in at.caption] and at.number_input(key="tx_page").value == 3
    # fewer pages (a narrower filter): page 3 is past the end; the last one is shown, the box
    # follows to it and its "+" stops there
    at.text_input(key="tx_search").input("shop 0").run()  # SHOP 000 .. SHOP 099: 2 pages
    assert not at.exception, at.exception
    assert not any("No transactions match" in i.value for i in at.info)
    assert "Page 2 of 2 (there is no page 3)" in [c.value for c in at.caption]
    assert at.number_input(key="tx_page").value == 2  # the box says which page is shown
    assert at.number_input(key="tx_page").max == 2 and len(at.dataframe[0].value) == 50
    at.number_input(key="tx_page").set_value(1).run()
    assert "Page 1 of 2" in [c.value for c in at.caption] and len(at.dataframe[0].value) == 50
    at.number_input(key="tx_page").set_value(2).run()
    at.text_input(key="tx_search").input("coffee").run()
    assert not at.exception, at.exception
    assert at.number_input(key="tx_page").value == 1 and len(at.dataframe[0].value) == 2
    assert "Page 1 of 1 (there is no page 2)" in [c.value for c in at.caption]
    assert at.number_input(key="tx_page").max == 1
    at.text_input(key="tx_search").input("").run()
    assert at.number_input(key="tx_page").value == 1 and "Page 1 of 3" in [c.value for c in at.caption]
    assert at.number_input(key="tx_page").max == 3
    # the service: Page.offset says which rows are shown
    assert last.offset == 100
    far = _search(db, shop, offset=999 * 50)
    assert far.offset == 100 and list(far.rows["id"]) == list(last.rows["id"])
    assert _search(db, shop, offset=10 ** 30).offset == 100  # no bigint overflow
    assert _search(db, shop, offset=50).offset == 50
    empty = _search(db, shop, offset=500, text="nothing-like-this")
    assert (empty.total, empty.offset, len(empty.rows)) == (0, 0, 0)


# 3. an amount range given the wrong way round is used in order, and the page says so


def test_a_reversed_amount_range_is_used_in_order(open_page, db, shop) -> None:
    band = _search(db, shop, amount_min=Decimal("-40"), amount_max=Decimal("-20"))
    assert band.total == 20  # SHOP 010 .. SHOP 029: 20.25 .. 39.25 out
    at = open_page(shop, "transactions")
    at.number_input(key="tx_amount_min").set_value(-20.0)
    at.number_input(key="tx_amount_max").set_value(-40.0).run()
    assert not at.exception, at.exception
    assert not any("No transactions match" in i.value for i in at.info)
    assert sorted(at.dataframe[0].value["description"]) == sorted(band.rows["description"])
    assert ["Amount from -20.00 is above amount to -40.00: showing amounts from -40.00 to -20.00."] == [
        i.value for i in at.info if i.value.startswith("Amount from")]
    at.number_input(key="tx_amount_max").set_value(-10.0).run()  # in order: no message
    assert not any(i.value.startswith("Amount from") for i in at.info)
    # the service orders amount and date bounds the same way, whoever calls it
    assert amount_bounds(100.0, -100.0) == (Decimal("-100.0"), Decimal("100.0"), True)
    assert amount_bounds(-100.0, 100.0) == (Decimal("-100.0"), Decimal("100.0"), False)
    assert amount_bounds(None, -5) == (None, Decimal("-5"), False)
    reversed_band = _search(db, shop, amount_min=Decimal("-20"), amount_max=Decimal("-40"))
    assert list(reversed_band.rows["id"]) == list(band.rows["id"])
    dates = _search(db, shop, date_from=dt.date(2024, 1, 31), date_to=dt.date(2024, 1, 2))
    assert dates.total == _search(db, shop, date_from=dt.date(2024, 1, 2),
                                  date_to=dt.date(2024, 1, 31)).total > 0


# 4. two identical transactions on one day are two choices in Row details


def test_identical_transactions_are_separate_choices(open_page, db, shop) -> None:
    first, second = _search(db, shop, text="coffee").rows["id"]  # table order
    at = open_page(shop, "transactions")
    at.text_input(key="tx_search").input("coffee").run()
    options = at.selectbox(key="tx_pick").options
    assert options == ["—", "2024-04-15 · COFFEE CORNER · -3.50 (1 of 2)",
                       "2024-04-15 · COFFEE CORNER · -3.50 (2 of 2)"]
    at.selectbox(key="tx_pick").select(options[2]).run()
    assert not at.exception, at.exception
    at.text_input(key=f"tx_tags_{second}").input("latte")
    at.button(key=f"tx_save_tags_{second}").click().run()
    at.selectbox(key="tx_pick").select(first).run()  # by id works too
    assert at.text_input(key=f"tx_tags_{first}").value == ""
    with db.user_session(shop) as conn:
        tags = dict(conn.execute("select id, tags from transactions where id = any(%s)",
                                 [[first, second]]).fetchall())
    assert tags == {first: [], second: ["latte"]}
    # unique rows keep their plain label
    at.text_input(key="tx_search").input("shop").run()  # the picked row is not on this page
    assert not at.exception, at.exception
    assert at.selectbox(key="tx_pick").value == "—"
    options = at.selectbox(key="tx_pick").options
    assert len(options) == 51 and "2024-03-30 · SHOP 089 · -99.25" in options
    assert not any(o.endswith(" of 2)") for o in options)

"""Duplicates on real statements: re-import, overlapping statements, two coffees, fuzzy matches.

The statements are the real Bank of Ireland export (27 rows) and statements cut from it, the
way a bank's date-range export would cut them; the fuzzy case reformats one row the way a
bank's other export format would (date booked two days later, spacing/apostrophe changed).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from core.dedupe import Existing, Incoming, classify, dedupe_keys
from core.transaction_rows import possible_duplicates, resolve_duplicate

BOI = "bank2ynab/test/test-data/test_BOI_TransactionExport.csv"


@pytest.fixture(scope="module")
def boi(statements) -> tuple[str, list[str]]:
    header, *rows = (statements / BOI).read_text("utf-8").splitlines()
    return header, rows


def _csv(header: str, rows: list[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def test_reimport_of_the_same_file_adds_nothing(db, make_user, import_file, tx_count) -> None:
    user = make_user(name="reimport").user
    first = import_file(user, BOI, "BOI")
    again = import_file(user, BOI, "BOI")
    assert (first.n_imported, again.n_imported, again.n_duplicates) == (27, 0, 27)
    assert again.n_possible_duplicates == 0 and tx_count(user) == 27
    with db.user_session(user) as conn:
        counts = conn.execute("select n_imported, n_duplicates from import_batches"
                              " order by created_at").fetchall()
    assert counts == [(27, 0), (0, 27)]


def test_overlapping_statement_adds_only_new_rows(db, make_user, import_bytes, boi, tx_count) -> None:
    header, rows = boi
    user = make_user(name="overlap").user
    a = import_bytes(user, _csv(header, rows[:18]), "sept-a.csv", "BOI", date_order="dmy")
    b = import_bytes(user, _csv(header, rows[10:]), "sept-b.csv", "BOI", date_order="dmy")
    assert (a.n_imported, b.n_imported, b.n_duplicates, b.n_possible_duplicates) == (18, 9, 8, 0)
    assert tx_count(user) == 27
    full = import_bytes(user, _csv(header, rows), "sept.csv", "BOI", date_order="dmy")
    assert (full.n_imported, full.n_duplicates) == (0, 27)


def test_two_identical_coffees_are_both_kept(db, make_user, import_bytes, boi, tx_count) -> None:
    header, rows = boi
    pizza = "12/09/2017,POS10SEP DOMINO'S PIZ,31.0,,100"
    assert pizza in rows
    twice = rows[: rows.index(pizza) + 1] + [pizza] + rows[rows.index(pizza) + 1:]
    user = make_user(name="coffee").user
    first = import_bytes(user, _csv(header, twice), "twice.csv", "BOI")
    assert first.n_imported == 28
    assert tx_count(user, "description = %s and amount = -31", ["POS10SEP DOMINO'S PIZ"]) == 2
    again = import_bytes(user, _csv(header, twice), "twice.csv", "BOI")
    assert (again.n_imported, again.n_duplicates) == (0, 28)
    # the single-pizza statement matches one of the two, one to one; nothing new
    single = import_bytes(user, _csv(header, rows), "single.csv", "BOI")
    assert (single.n_imported, single.n_duplicates, single.n_possible_duplicates) == (0, 27, 0)


def test_fuzzy_duplicate_is_flagged_with_a_reason_and_resolved_by_the_user(
        db, make_user, import_bytes, boi, tx_count) -> None:
    header, rows = boi
    user = make_user(name="fuzzy").user
    import_bytes(user, _csv(header, rows), "sept.csv", "BOI")
    moved = [r.replace("12/09/2017,POS10SEP DOMINO'S PIZ,", "14/09/2017,POS 10SEP DOMINOS PIZZA,")
             .replace("15/09/2017,POS13SEP STATOIL     ,", "15/09/2017,POS13SEP STATOIL EXPRESS,")
             for r in rows]
    assert moved != rows
    other = import_bytes(user, _csv(header, moved), "sept-reformatted.csv", "BOI")
    assert (other.n_imported, other.n_duplicates, other.n_possible_duplicates) == (2, 25, 2)
    with db.user_session(user) as conn:
        flagged = {r["description"]: r for r in possible_duplicates(conn)}
    assert set(flagged) == {"POS 10SEP DOMINOS PIZZA", "POS13SEP STATOIL EXPRESS"}
    pizza = flagged["POS 10SEP DOMINOS PIZZA"]
    assert pizza["original_description"] == "POS10SEP DOMINO'S PIZ"
    assert pizza["original_date"] == dt.date(2017, 9, 12) and pizza["date"] == dt.date(2017, 9, 14)
    assert "2 days apart" in pizza["reason"] and pizza["original_file"] == "sept.csv"
    assert "same day" in flagged["POS13SEP STATOIL EXPRESS"]["reason"]
    assert tx_count(user) == 29  # flagged rows are inserted, never silently dropped
    with db.user_session(user) as conn:
        resolve_duplicate(conn, pizza["id"], "delete")
        resolve_duplicate(conn, flagged["POS13SEP STATOIL EXPRESS"]["id"], "keep")
        assert possible_duplicates(conn) == []
    assert tx_count(user) == 28
    again = import_bytes(user, _csv(header, moved), "sept-reformatted.csv", "BOI")
    assert (again.n_imported, again.n_possible_duplicates, again.n_duplicates) == (0, 0, 27)


def test_no_fuzzy_flag_for_other_amounts_or_far_dates() -> None:
    day = dt.date(2024, 3, 10)
    old = [Existing(uuid.uuid4(), day, Decimal("-4.50"), ("k:a#1",), "STARBUCKS 12", "STARBUCKS")]
    keys = dedupe_keys([(day, Decimal("-4.60"), "STARBUCKS 12", None, None),
                        (day + dt.timedelta(days=9), Decimal("-4.50"), "STARBUCKS 12", None, None)])
    new = [Incoming(0, day, Decimal("-4.60"), "STARBUCKS 12", "STARBUCKS", keys[0]),
           Incoming(1, day + dt.timedelta(days=9), Decimal("-4.50"), "STARBUCKS 12", "STARBUCKS", keys[1])]
    result = classify(new, old)
    assert result.new == [0, 1] and result.possible == {} and result.duplicates == {}


def test_keys_count_occurrences_and_prefer_the_bank_id() -> None:
    day = dt.date(2024, 3, 10)
    coffee = (day, Decimal("-3.20"), "Costa  Coffee", None, None)
    keys = dedupe_keys([coffee, coffee, (day, Decimal("-3.2"), "COSTA COFFEE", None, None),
                        (day, Decimal("-3.20"), "x", None, "FIT1"), (day, Decimal("-1"), "y", None, "FIT1")])
    assert keys[0].endswith("#1") and keys[1].endswith("#2") and keys[2].endswith("#3")
    assert keys[0][:-2] == keys[1][:-2] == keys[2][:-2]  # case, spacing and 3.2 vs 3.20 normalized
    assert keys[3:] == ["x:FIT1", "x:FIT1#2"]


def test_pending_row_now_booked() -> None:
    day = dt.date(2024, 3, 10)
    pending = Existing(uuid.uuid4(), day, Decimal("-20.00"), ("k:p#1",), "AMAZON PENDING", "AMAZON", True)
    same_key = Existing(uuid.uuid4(), day, Decimal("-9.00"), ("k:s#1",), "BAKERY", "BAKERY", True)
    new = [Incoming(0, day + dt.timedelta(days=2), Decimal("-20.00"), "AMZN MKTP DE 123", "AMZN", "k:q#1"),
           Incoming(1, day, Decimal("-9.00"), "BAKERY", "BAKERY", "k:s#1")]
    result = classify(new, [pending, same_key])
    assert result.possible[0][0] == pending.id and "pending" in result.possible[0][1]
    assert result.duplicates == {1: same_key.id} and result.posted == [same_key.id]

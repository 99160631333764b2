"""The transactions table's service on real imports: search (text, encrypted notes), filters,
pagination and totals in SQL; corrections with "similar" and "always do this"; splits; tags."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from core.correction_rules import rule_from_correction
from core.correction_writes import follow_rows, load_one
from core.corrections import (
    CorrectionError,
    apply_to_similar,
    correct_and_follow,
    correct_category,
    get_splits,
    similar_count,
    split_transaction,
)
from core.rules import Rule
from core.rules_store import list_rules, save_rule
from core.transaction_rows import cipher_for, set_notes, set_tags
from core.transactions_search import Filters, category_options, search

BOI = "bank2ynab/test/test-data/test_BOI_TransactionExport.csv"
GIRO = "bank2ynab/test/test-data/test_headers.csv"


@pytest.fixture(scope="module")
def world(db, make_user, import_file, statements):
    user = make_user(name="search").user
    boi = import_file(user, BOI, "BOI")
    giro = import_file(user, GIRO, "Giro")
    rows = list(csv.DictReader(io.StringIO((statements / BOI).read_text("utf-8"))))
    return {"user": user, "boi": boi, "giro": giro, "rows": rows}


def _search(db, user, **kw):
    limit, offset = kw.pop("limit", 100), kw.pop("offset", 0)
    with db.user_session(user) as conn:
        return search(conn, Filters(**kw), limit=limit, offset=offset, cipher=cipher_for(conn, user.id),
                      user_id=user.id)


def _id(db, user, description: str):
    with db.user_session(user) as conn:
        return conn.execute("select id from transactions where description = %s", [description]).fetchone()[0]


def _cat(db, user, name: str):
    with db.user_session(user) as conn:
        return conn.execute("select id from categories where name = %s", [name]).fetchone()[0]


def test_text_search_by_word_prefix(db, world, statements) -> None:
    user = world["user"]
    page = _search(db, user, text="DOMI")
    assert list(page.rows["description"]) == ["POS10SEP DOMINO'S PIZ"]
    assert _search(db, user, text="omino").total == 0  # inside a word: not a word start
    assert _search(db, user, text="o_s").total == 0  # "_" is a literal, not a LIKE wildcard
    page = _search(db, user, text="domino")
    assert list(page.rows["description"]) == ["POS10SEP DOMINO'S PIZ"]
    hofer = sum("HOFER" in line for line in (statements / GIRO).read_text("utf-8").splitlines()[1:])
    assert hofer >= 2 and _search(db, user, text="hof").total == hofer
    assert _search(db, user, text="statoil pos13sep").total == 1  # every word must match
    assert _search(db, user, text="zzzz").total == 0


def test_notes_are_encrypted_and_searchable(db, world, make_user) -> None:
    user = world["user"]
    tx = _id(db, user, "POS23SEP MEDIC")
    with db.user_session(user) as conn:
        set_notes(conn, cipher_for(conn, user.id), user.id, tx, "Birthday present for Anna (pharmacy)")
    for query in ("birthday", "BIRTH", "anna pharm", "medic birthday"):
        page = _search(db, user, text=query)
        assert list(page.rows["id"]) == [tx], query
    assert page.rows["notes"].iloc[0] == "Birthday present for Anna (pharmacy)"
    with db.owner_connection() as conn:
        blob, terms = conn.execute("select notes_enc, notes_terms from transactions where id = %s",
                                   [tx]).fetchone()
    assert b"Birthday" not in bytes(blob) and not any("birth" in t for t in terms) and len(terms) > 5
    other = make_user(name="nosy").user
    assert _search(db, other, text="birthday").total == 0
    with db.user_session(user) as conn:
        set_notes(conn, cipher_for(conn, user.id), user.id, tx, "")
    assert _search(db, user, text="birthday").total == 0


def test_filters_pagination_and_totals(db, world) -> None:
    user, boi, rows = world["user"], world["boi"], world["rows"]
    everything = _search(db, user)
    assert everything.total == boi.n_imported + world["giro"].n_imported
    mine = _search(db, user, account_ids=[boi.account_id])
    assert mine.total == 27
    money_in = sum(Decimal(r["Credit"]) for r in rows if r["Credit"])
    money_out = sum(Decimal(r["Debit"]) for r in rows if r["Debit"])
    assert mine.totals == [{"currency": "EUR", "n": 27, "money_in": money_in, "money_out": money_out,
                            "net": money_in - money_out}]
    window = _search(db, user, account_ids=[boi.account_id], date_from=dt.date(2017, 9, 12),
                     date_to=dt.date(2017, 9, 15))
    assert window.total == sum("/09/2017" in r["Date"] and 12 <= int(r["Date"][:2]) <= 15 for r in rows) == 5
    band = _search(db, user, account_ids=[boi.account_id], amount_min=Decimal("-50"),
                   amount_max=Decimal("-20"))
    assert band.total == sum(r["Debit"] != "" and 20 <= float(r["Debit"]) <= 50 for r in rows)
    pages = [_search(db, user, account_ids=[boi.account_id], limit=10, offset=o) for o in (0, 10, 20)]
    assert [len(p.rows) for p in pages] == [10, 10, 7] and all(p.total == 27 for p in pages)
    ids = [i for p in pages for i in p.rows["id"]]
    assert len(set(ids)) == 27
    dates = [d for p in pages for d in p.rows["date"]]
    assert dates == sorted(dates, reverse=True)


def test_correction_similar_and_always_do_this(db, world, import_bytes, statements) -> None:
    user = world["user"]
    salary, food, groceries = _cat(db, user, "Salary"), _cat(db, user, "Food"), _cat(db, user, "Groceries")
    with db.user_session(user) as conn:
        cto = [r[0] for r in conn.execute("select id from transactions where description = 'CTO'"
                                          " order by date")]
        assert len(cto) == 4
        result = correct_category(conn, cto[0], salary)
        assert result.similar == 3 == similar_count(conn, cto[0], salary)
        assert apply_to_similar(conn, cto[0], salary).rows == 3
        assert similar_count(conn, cto[0], salary) == 0
        corrections = conn.execute("select source, old_category_id, new_category_id from corrections"
                                   " where transaction_id = any(%s) order by source", [cto]).fetchall()
        made = rule_from_correction(conn, cto[0], salary, "Income › Salary")
        rule_id = made.id
        assert (made.action, made.name) == ("created", "CTO → Income › Salary")
        # "Always do this" clicked again: the same rule, not a duplicate (nor a name clash)
        again = rule_from_correction(conn, cto[1], salary, "Income › Salary")
        assert (again.id, again.action) == (rule_id, "kept")
        # the same merchant for another category: that rule now files there (one rule per
        # condition), under a name of its own as its usual name is taken by a rule the user wrote
        mine = save_rule(conn, Rule(name="cto → food › groceries", conditions=[
            {"field": "description", "op": "contains", "value": "CTO X"}],
            actions=[{"type": "add_tag", "value": "x"}]))
        other = rule_from_correction(conn, cto[0], groceries, "Food › Groceries")
        names = dict(conn.execute("select id, name from rules").fetchall())
        assert (other.id, other.action, other.previous) == (rule_id, "updated", "Income › Salary")
        assert names[rule_id] == "CTO → Food › Groceries (2)" and len(names) == 2
        back = rule_from_correction(conn, cto[0], salary, "Income › Salary")
        assert (back.id, back.action, back.name) == (rule_id, "updated", "CTO → Income › Salary")
        conn.execute("delete from rules where id = %s", [mine])
        shut = conn.execute("select id from transactions where description = 'POS18SEP SHUT'").fetchone()[0]
        correct_category(conn, shut, groceries)
        state = conn.execute("select category_id, category_source, category_confidence, needs_review"
                             " from transactions where id = %s", [shut]).fetchone()
    assert corrections == [("bulk", None, salary)] * 3 + [("table", None, salary)]
    assert state == (groceries, "user", 1.0, False)
    assert [str(r.id) for r in list_rules_of(db, user)] == [str(rule_id)]
    assert _search(db, user, uncategorized=True, account_ids=[world["boi"].account_id]).total == 27 - 5
    assert _search(db, user, category_ids=[food]).total == 1  # a parent includes its sub-categories
    header = (statements / BOI).read_text("utf-8").splitlines()[0]
    october = f"{header}\n05/10/2017,               CTO,,845.92,100\n".encode()
    new = import_bytes(user, october, "oct.csv", "BOI")
    assert new.n_rule_matches == 1
    with db.user_session(user) as conn:
        row = conn.execute("select category_id, category_source from transactions where batch_id = %s",
                           [new.batch_id]).fetchone()
    assert row == (salary, "rule")


def test_a_table_correction_files_the_uncategorized_similar_rows_at_once(
        db, make_user, import_bytes, statements) -> None:
    user = make_user(name="follow").user
    header = (statements / BOI).read_text("utf-8").splitlines()[0]
    body = "".join(f"0{d}/10/2017,ACME GYM,29.99,,100\n" for d in range(1, 7))
    import_bytes(user, f"{header}\n{body}05/10/2017,CORNER SHOP,5.00,,100\n".encode(),
                 "acme.csv", "BOI")
    fitness, groceries = _cat(db, user, "Fitness"), _cat(db, user, "Groceries")
    with db.user_session(user) as conn:
        acme = [r[0] for r in conn.execute("select id from transactions where description ="
                                           " 'ACME GYM' order by date")]
        shop = conn.execute("select id from transactions where description = 'CORNER SHOP'"
                            ).fetchone()[0]
        sure, review, mine = acme[1], acme[2], acme[3]  # acme[4], acme[5]: uncategorized
        conn.execute("update transactions set category_id = %s, category_source = 'model',"
                     " category_confidence = 0.99 where id = %s", [groceries, sure])
        conn.execute("update transactions set category_id = %s, category_source = 'model',"
                     " category_confidence = 0.4, needs_review = true where id = %s",
                     [groceries, review])
        correct_category(conn, mine, groceries)  # the user's own decision is never overridden
        done = correct_and_follow(conn, acme[0], fitness)
        state = {r[0]: r[1:] for r in conn.execute(
            "select id, category_id, category_source, category_confidence, needs_review,"
            " category_explanation from transactions where id = any(%s)", [acme])}
        assert correct_and_follow(conn, shop, None).followed == 0  # "Uncategorized" spreads nothing
        # the review queue's decision also takes the model's confident guesses along
        assert follow_rows(conn, [load_one(conn, acme[0])], fitness,
                           uncategorized_only=False) == 1
        after = conn.execute("select category_id, category_source from transactions where id = %s",
                             [sure]).fetchone()
    assert (done.followed, done.similar) == (3, 1)  # in review + 2 uncategorized; "sure" is left
    followed = "Same merchant as a transaction you filed under Fitness"
    for tx in (review, acme[4], acme[5]):
        assert state[tx] == (fitness, "history", pytest.approx(0.97), False, followed)
    assert state[sure][:2] == (groceries, "model") and state[mine][:2] == (groceries, "user")
    assert state[acme[0]] == (fitness, "user", 1.0, False, "Set by you")
    assert after == (fitness, "history")


def list_rules_of(db, user):
    with db.user_session(user) as conn:
        return list_rules(conn)


def test_split_a_transaction(db, world) -> None:
    user = world["user"]
    groceries, household = _cat(db, user, "Groceries"), _cat(db, user, "Household")
    tx = _id(db, user, "POS20SEP BV")
    with db.user_session(user) as conn:
        message = r"add up to -100.00, but the transaction is -103.56; -3.56 left"
        with pytest.raises(CorrectionError, match=message):
            split_transaction(conn, tx, [(groceries, "-60", "food"), (household, "-40", "")])
        with pytest.raises(CorrectionError, match="at least two parts"):
            split_transaction(conn, tx, [(groceries, "-103.56", "")])
        with pytest.raises(CorrectionError, match="part 2: expected an amount"):
            split_transaction(conn, tx, [(groceries, "-60", ""), (household, "lots", "")])
        parts_in = [(groceries, "-60,00", "food"), (household, "-43.56", "soap")]
        assert split_transaction(conn, tx, parts_in) == 2
        parts = get_splits(conn, tx)
        parent = conn.execute("select category_id, category_source from transactions where id = %s",
                              [tx]).fetchone()
    assert [(p["category_id"], p["amount"], p["memo"]) for p in parts] == [
        (groceries, Decimal("-60.00"), "food"), (household, Decimal("-43.56"), "soap")]
    assert parent == (groceries, "user")
    page = _search(db, user, text="BV")
    assert bool(page.rows["has_splits"].iloc[0]) is True


def test_tags_and_category_options(db, world) -> None:
    user = world["user"]
    tx = _id(db, user, "POS31AUG Online")
    with db.user_session(user) as conn:
        assert set_tags(conn, tx, [" work ", "work", "", "x" * 50]) == ["work", "x" * 40]
        options = dict(category_options(conn))
    assert "Food › Groceries" in options.values() and "Food" in options.values()
    assert list(_search(db, user, text="pos31aug online").rows["tags"].iloc[0]) == ["work", "x" * 40]

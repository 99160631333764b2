"""Category management on the real database: validation messages, row-level security, what a
merge moves (in one transaction), what a rename carries along, and when a delete is refused."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal

import pytest

from core import category_admin as cats
from core import category_merge, review
from core.category_admin import CategoryError, CategoryInUse
from core.db import Database


def _id(conn, name: str) -> uuid.UUID:
    return conn.execute("select id from categories where name = %s", [name]).fetchone()[0]


def _account(conn) -> uuid.UUID:
    return conn.execute("insert into accounts (name) values ('Current') returning id").fetchone()[0]


def _tx(conn, account, key: str, category: str | None, source: str | None = "user", *,
        suggestions: list | None = None, explanation: str | None = None) -> uuid.UUID:
    return conn.execute(
        "insert into transactions (account_id, date, amount, description, merchant, dedupe_key,"
        " category_id, category_source, category_suggestions, category_explanation, needs_review)"
        " values (%s, current_date, -4.20, %s, %s, %s, %s, %s, %s, %s, %s) returning id",
        [account, f"SHOP {key}", f"shop {key}", key, _id(conn, category) if category else None,
         source, json.dumps(suggestions) if suggestions else None, explanation,
         category is None]).fetchone()[0]


def _dirty(db: Database, user) -> int:
    with db.owner_connection() as conn:
        row = conn.execute("select dirty_seq from pipeline.user_state where user_id = %s",
                           [str(user.id)]).fetchone()
    return row[0] if row else 0


def _audit(conn) -> list[str]:
    return [r[0] for r in conn.execute("select action from audit_log order by id")]


def test_names_are_validated_and_a_conflict_is_named(db: Database, make_user) -> None:
    user = make_user(name="cat-names").user
    with db.user_session(user) as conn:
        food, shopping = _id(conn, "Food"), _id(conn, "Shopping")
        bakery = cats.create_category(conn, user, food, "  Fresh   Bakery ", is_essential=None)
        assert cats.get(conn, bakery).label == "Food › Fresh Bakery"
        assert (cats.get(conn, bakery).kind, cats.get(conn, bakery).is_essential) == ("expense", True)
        side = cats.create_group(conn, user, "Side hustle", "income")
        assert cats.get(conn, cats.create_category(conn, user, side, "Etsy",
                                                   is_essential=None)).kind == "income"
        groceries = _id(conn, "Groceries")
    cases = [
        (lambda c: cats.create_category(c, user, food, "groceries", is_essential=None),
         "^Category name 'groceries' is taken: Food already has a category called 'Groceries'\\.$"),
        (lambda c: cats.create_category(c, user, shopping, "GROCERIES", is_essential=None),
         r"^Category name 'GROCERIES' is taken: you already have a category called 'Groceries' "
         r"\(in Food\); category names must"),
        (lambda c: cats.create_category(c, user, food, "   ", is_essential=None),
         "^Category name can't be empty\\.$"),
        (lambda c: cats.create_category(c, user, food, "x" * 81, is_essential=None),
         r"^Category name can't be longer than 80 characters \(81 given\)\.$"),
        (lambda c: cats.create_category(c, user, food, "Uncategorized", is_essential=None),
         "^Category name 'Uncategorized' is reserved"),
        (lambda c: cats.create_category(c, user, groceries, "Organic", is_essential=None),
         "^Group 'Food › Groceries' is a category, not a group; choose a group\\.$"),
        (lambda c: cats.create_group(c, user, " food "),
         "^Group name 'food' is taken: you already have a group called 'Food'\\.$"),
        (lambda c: cats.create_group(c, user, "  "), "^Group name can't be empty\\.$"),
        (lambda c: cats.create_group(c, user, "Pets & Vets", "savings"),
         "^Kind must be one of expense, income, transfer, not 'savings'\\.$"),
        (lambda c: category_merge.rename(c, user, _id(c, "Restaurants"), "fresh bakery"),
         "^Category name 'fresh bakery' is taken: Food already has a category called 'Fresh Bakery'\\.$"),
        (lambda c: category_merge.rename(c, user, side, "Housing"),
         "^Group name 'Housing' is taken: you already have a group called 'Housing'\\.$"),
        (lambda c: category_merge.rename(c, user, side, ""), "^Group name can't be empty\\.$"),
        (lambda c: cats.update_leaf(c, user, groceries, kind="other", is_essential=True),
         "^Kind must be one of expense, income, transfer, not 'other'\\.$"),
        (lambda c: cats.update_leaf(c, user, food, kind="income", is_essential=True),
         "'Food' is a group: kind and essential are set per category\\.$"),
    ]
    for call, message in cases:
        with db.user_session(user) as conn, pytest.raises(CategoryError, match=message):
            call(conn)
    before = _dirty(db, user)
    with db.user_session(user) as conn:  # a change of case only is a rename, not a conflict
        assert category_merge.rename(conn, user, groceries, " groceries ") == "groceries"
    assert _dirty(db, user) > before  # no transaction changed: the category's trigger did it
    before = _dirty(db, user)
    with db.user_session(user) as conn:
        cats.update_leaf(conn, user, groceries, kind="expense", is_essential=False)
        assert cats.get(conn, groceries).is_essential is False
    assert _dirty(db, user) > before  # the planner reads is_essential
    with db.user_session(user) as conn:
        assert conn.execute("select count(*) from categories where name = 'Pets & Vets'"
                            ).fetchone()[0] == 0
        assert _audit(conn).count("category_created") == 3


def test_a_new_categorys_essential_flag_is_an_explicit_choice(db: Database, make_user) -> None:
    """Food is essential, Travel is not: a new category is what the caller says, and takes its
    group's flag only when the caller passes None; the argument cannot be left out."""
    user = make_user(name="cat-essential").user
    with db.user_session(user) as conn:
        food, travel = _id(conn, "Food"), _id(conn, "Travel")
        made = {name: cats.get(conn, cats.create_category(conn, user, group, name,
                                                          is_essential=flag)).is_essential
                for name, group, flag in (("Bakery", food, False), ("Visas", travel, True),
                                          ("Market", food, None), ("Tours", travel, None))}
        assert made == {"Bakery": False, "Visas": True, "Market": True, "Tours": False}
        with pytest.raises(TypeError, match="is_essential"):
            cats.create_category(conn, user, food, "Deli")  # type: ignore[call-arg]
        assert _audit(conn).count("category_created") == 4


def test_another_users_category_cannot_be_touched(db: Database, make_user) -> None:
    me, other = make_user(name="cat-me").user, make_user(name="cat-other").user
    with db.user_session(other) as conn:
        theirs, their_group = _id(conn, "Groceries"), _id(conn, "Food")
        _tx(conn, _account(conn), "t1", "Groceries")
    with db.user_session(me) as conn:
        mine = _id(conn, "Restaurants")
    attempts = [
        lambda c: category_merge.rename(c, me, theirs, "Mine now"),
        lambda c: cats.update_leaf(c, me, theirs, kind="income", is_essential=False),
        lambda c: cats.delete(c, me, theirs),
        lambda c: cats.usage(c, theirs),
        lambda c: cats.create_category(c, me, their_group, "Planted", is_essential=None),
        lambda c: category_merge.merge(c, me, theirs, mine),
        lambda c: category_merge.merge(c, me, mine, theirs),
        lambda c: category_merge.rename(c, me, "not-an-id", "x"),
    ]
    for call in attempts:
        with db.user_session(me) as conn, pytest.raises(CategoryError, match="does not exist"):
            call(conn)
    with db.user_session(other) as conn:  # untouched: name, kind and its transaction
        assert conn.execute("select c.name, c.kind, count(t.id) from categories c"
                            " left join transactions t on t.category_id = c.id where c.id = %s"
                            " group by c.id", [theirs]).fetchone() == ("Groceries", "expense", 1)
        assert conn.execute("select count(*) from categories where name = 'Planted'").fetchone()[0] == 0
    with db.user_session(me) as conn:
        assert cats.get(conn, mine).name == "Restaurants"
        assert "Groceries" in cats.overview(conn)["name"].tolist()  # my own, not theirs
        assert theirs not in cats.overview(conn)["id"].tolist()


def test_merge_moves_every_reference_then_deletes(db: Database, make_user) -> None:
    user = make_user(name="cat-merge").user
    with db.user_session(user) as conn:
        account = _account(conn)
        coffee, restaurants = _id(conn, "Coffee & Snacks"), _id(conn, "Restaurants")
        decided = [_tx(conn, account, f"c{i}", "Coffee & Snacks") for i in range(3)]
        guessed = _tx(conn, account, "c3", "Coffee & Snacks", "model")
        _tx(conn, account, "r1", "Restaurants")
        waiting = _tx(conn, account, "w1", None, None, suggestions=[
            {"category": "Coffee & Snacks", "confidence": 0.5},
            {"category": "Groceries", "confidence": 0.35},
            {"category": "Restaurants", "confidence": 0.3}])
        conn.execute("insert into transaction_splits (transaction_id, category_id, amount)"
                     " values (%s, %s, -2.10), (%s, %s, -2.10)",
                     [decided[0], coffee, decided[0], _id(conn, "Groceries")])
        conn.execute("insert into corrections (transaction_id, old_category_id, new_category_id)"
                     " values (%s, %s, %s), (%s, %s, %s)",
                     [decided[1], restaurants, coffee, decided[2], coffee, restaurants])
        rule = conn.execute(
            "insert into rules (name, actions) values ('CAFE NERO → Food › Coffee & Snacks', %s)"
            " returning id", [json.dumps([{"type": "add_tag", "value": "coffee"},
                                          {"type": "set_category", "category_id": str(coffee)}])]
        ).fetchone()[0]
        conn.execute("update transactions set category_source = 'rule',"
                     " category_explanation = 'Rule: CAFE NERO → Food › Coffee & Snacks' where id = %s",
                     [decided[2]])
        conn.execute("insert into budgets (category_id, amount, period) values (%s, 52, 'monthly'),"
                     " (%s, 30, 'weekly')", [coffee, restaurants])
    with db.job_user_session(user.id) as conn:  # the job's stored status of both categories
        conn.execute("set local role pfm_job_worker")
        for name, cid in (("Coffee & Snacks", coffee), ("Restaurants", restaurants)):
            conn.execute("insert into budget_status (user_id, month, category, category_id, status,"
                         " model_version, run_id) values (%s, date '2026-12-01', %s, %s, 'ok', 't',"
                         " gen_random_uuid())", [str(user.id), name, cid])
    before = _dirty(db, user)
    with db.user_session(user) as conn:
        done = category_merge.merge(conn, user, coffee, restaurants)
    assert _dirty(db, user) > before  # the categorizer refits, the planner replans
    assert (done.transactions, done.split_parts, done.rules, done.corrections, done.budget) == (
        4, 1, 1, 2, "added")
    assert done.describe() == ("Moved 4 transactions, 1 split part, 1 rule and its budget (added "
                               "to the target's) from Food › Coffee & Snacks to Food › Restaurants; "
                               "Food › Coffee & Snacks is deleted.")
    with db.user_session(user) as conn:
        assert conn.execute("select count(*) from categories where id = %s", [coffee]).fetchone()[0] == 0
        assert conn.execute("select count(*) from transactions where category_id = %s",
                            [restaurants]).fetchone()[0] == 5
        assert conn.execute("select category_source from transactions where id = %s",
                            [guessed]).fetchone()[0] == "model"  # who decided is kept
        assert conn.execute("select count(*) from transaction_splits where category_id = %s",
                            [restaurants]).fetchone()[0] == 1
        assert conn.execute("select new_category_id, old_category_id from corrections"
                            ).fetchall() == [(restaurants, restaurants)] * 2
        name, actions = conn.execute("select name, actions from rules where id = %s", [rule]).fetchone()
        assert name == "CAFE NERO → Food › Restaurants"
        assert actions == [{"type": "add_tag", "value": "coffee"},
                           {"type": "set_category", "category_id": str(restaurants)}]
        assert conn.execute("select category_explanation from transactions where id = %s",
                            [decided[2]]).fetchone()[0] == "Rule: CAFE NERO → Food › Restaurants"
        # 30 a week + 52 a month (= 12 a week)
        assert conn.execute("select category_id, amount, period from budgets").fetchall() == [
            (restaurants, Decimal("42.00"), "weekly")]
        assert conn.execute("select category_suggestions from transactions where id = %s",
                            [waiting]).fetchone()[0] == [
            {"category": "Restaurants", "confidence": 0.8},
            {"category": "Groceries", "confidence": 0.35}]
        assert conn.execute("select category from budget_status").fetchall() == [("Restaurants",)]
        assert _audit(conn)[-1] == "category_merged"
        with pytest.raises(CategoryError, match="^Merge target must be another category"):
            category_merge.merge(conn, user, restaurants, restaurants)
        with pytest.raises(CategoryError, match="^Merge target 'Food' is a group; merge into one"):
            category_merge.merge(conn, user, restaurants, _id(conn, "Food"))
        with pytest.raises(CategoryError, match="^Category 'Travel' is a group that still holds"):
            category_merge.merge(conn, user, _id(conn, "Travel"), restaurants)


def test_a_merge_that_fails_midway_changes_nothing(db: Database, make_user, monkeypatch) -> None:
    user = make_user(name="cat-atomic").user
    with db.user_session(user) as conn:
        account = _account(conn)
        _tx(conn, account, "a1", "Fuel")
        fuel, parking = _id(conn, "Fuel"), _id(conn, "Parking & Tolls")

    def boom(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(category_merge, "relabel_rules", boom)  # after the moves, before the delete
    with pytest.raises(RuntimeError), db.user_session(user) as conn:
        category_merge.merge(conn, user, fuel, parking)
    with db.user_session(user) as conn:
        assert conn.execute("select c.name from transactions t join categories c"
                            " on c.id = t.category_id").fetchall() == [("Fuel",)]
        assert "category_merged" not in _audit(conn)


def test_delete_only_what_nothing_uses(db: Database, make_user) -> None:
    user = make_user(name="cat-delete").user
    with db.user_session(user) as conn:
        account = _account(conn)
        _tx(conn, account, "g1", "Groceries")
        _tx(conn, account, "g2", "Groceries")
        groceries = _id(conn, "Groceries")
        conn.execute("insert into rules (name, actions) values ('Shop', %s)",
                     [json.dumps([{"type": "set_category", "category_id": str(groceries)}])])
        bakery = cats.create_category(conn, user, _id(conn, "Food"), "Bakery", is_essential=None)
        waiting = _tx(conn, account, "w1", None, None, suggestions=[
            {"category": "Bakery", "confidence": 0.4}, {"category": "Groceries", "confidence": 0.3}])
        group = cats.create_group(conn, user, "Side hustle")
    with db.user_session(user) as conn:
        assert cats.usage(conn, groceries) == cats.Usage(transactions=2, rules=1)
        with pytest.raises(CategoryInUse, match="Food › Groceries is used by 2 transactions and 1 "
                                                "rule; merge it into another category instead\\.$"):
            cats.delete(conn, user, groceries)
    with db.user_session(user) as conn:
        with pytest.raises(CategoryInUse, match="Food still holds 5 categories: merge or delete"):
            cats.delete(conn, user, _id(conn, "Food"))
    with db.user_session(user) as conn:
        assert cats.delete(conn, user, bakery) == "Food › Bakery"
        assert cats.delete(conn, user, group) == "Side hustle"
        assert conn.execute("select category_suggestions from transactions where id = %s",
                            [waiting]).fetchone()[0] == [{"category": "Groceries", "confidence": 0.3}]
        assert conn.execute("select count(*) from categories where id in (%s, %s)",
                            [bakery, group]).fetchone()[0] == 0
        assert _audit(conn)[-2:] == ["category_deleted", "category_deleted"]
        assert cats.get(conn, groceries).name == "Groceries"


def test_a_rename_carries_the_new_name_everywhere_it_is_shown(db: Database, make_user) -> None:
    user = make_user(name="cat-rename").user
    with db.user_session(user) as conn:
        account = _account(conn)
        groceries = _id(conn, "Groceries")
        waiting = _tx(conn, account, "w1", None, None, suggestions=[
            {"category": "Groceries", "confidence": 0.6}, {"category": "Household", "confidence": 0.2}])
        ruled = _tx(conn, account, "t1", "Groceries", "rule",
                    explanation="Rule: TESCO → Food › Groceries")
        conn.execute("insert into rules (name, actions) values ('TESCO → Food › Groceries', %(a)s),"
                     " ('My weekly shop', %(a)s), ('LIDL → Groceries (2)', %(a)s)",
                     {"a": json.dumps([{"type": "set_category", "category_id": str(groceries)}])})
    with db.job_user_session(user.id) as conn:
        conn.execute("set local role pfm_job_worker")
        conn.execute("insert into budget_status (user_id, month, category, category_id, status,"
                     " model_version, run_id) values (%s, date '2026-12-01', 'Groceries', %s, 'ok',"
                     " 't', gen_random_uuid())", [str(user.id), groceries])
        conn.execute("insert into alerts (user_id, alert_key, type, risk, title, body, model_version,"
                     " run_id) values (%s, 'budget:Groceries:2026-12:80', 'budget', 'medium',"
                     " 'Groceries: 80%% of this month''s budget used', 'b', 't', gen_random_uuid())",
                     [str(user.id)])
    before = _dirty(db, user)
    with db.user_session(user) as conn:
        assert category_merge.rename(conn, user, groceries, "Supermarket") == "Supermarket"
    assert _dirty(db, user) > before
    with db.user_session(user) as conn:
        assert conn.execute("select category_suggestions -> 0 ->> 'category' from transactions"
                            " where id = %s", [waiting]).fetchone()[0] == "Supermarket"
        assert review.category_id_by_name(conn, "Supermarket") == groceries  # one click files it
        assert sorted(r[0] for r in conn.execute("select name from rules")) == [
            "LIDL → Food › Supermarket (2)", "My weekly shop", "TESCO → Food › Supermarket"]
        assert conn.execute("select category_explanation from transactions where id = %s",
                            [ruled]).fetchone()[0] == "Rule: TESCO → Food › Supermarket"
        assert conn.execute("select category, category_id from budget_status").fetchall() == [
            ("Supermarket", groceries)]
        assert conn.execute("select alert_key, title from alerts").fetchall() == [
            ("budget:Supermarket:2026-12:80", "Supermarket: 80% of this month's budget used")]
        assert _audit(conn)[-1] == "category_renamed"
        # a group's rename relabels the rules named after its categories
        category_merge.rename(conn, user, _id(conn, "Food"), "Meals")
        assert "TESCO → Meals › Supermarket" in [r[0] for r in conn.execute("select name from rules")]
        assert cats.get(conn, groceries).label == "Meals › Supermarket"


def test_overview_labels_groups_by_their_name_and_categories_as_group_leaf(db: Database,
                                                                         make_user) -> None:
    """QA: every group showed as "nan › Food" (pandas reads a missing group as NaN)."""
    user = make_user().user
    with db.user_session(user) as conn:
        frame = cats.overview(conn)
    groups = frame[frame["is_group"]]
    assert len(groups) >= 10 and (groups["label"] == groups["name"]).all()
    assert not frame["label"].str.startswith("nan").any()
    assert "Food › Groceries" in set(frame["label"])

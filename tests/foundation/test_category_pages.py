"""Settings > Categories through AppTest on the real database: add, rename, delete an unused
category, refuse to delete a used one and offer the merge, merge; and the auto-apply threshold
in use shown under "Automatic"."""

from __future__ import annotations

from streamlit.proto.Block_pb2 import Block

from core.auto_apply import HELD_NOTE, AppliedThreshold
from core.db import Database
from ml.calibration import DEFAULT_THRESHOLD


def _ids(db: Database, user) -> dict[str, object]:
    with db.user_session(user) as conn:
        return dict(conn.execute("select name, id from categories").fetchall())


def _seed(db: Database, user) -> None:
    with db.user_session(user) as conn:
        account = conn.execute("insert into accounts (name) values ('Current') returning id"
                               ).fetchone()[0]
        for i in range(3):
            conn.execute("insert into transactions (account_id, date, amount, description,"
                         " dedupe_key, category_id, category_source) select %s, current_date,"
                         " -3.10, 'CAFE NERO', %s, id, 'user' from categories"
                         " where name = 'Coffee & Snacks'", [account, f"k{i}"])


def _field(at, label: str):
    """The "New category" / "New group" text input (its key changes after each add)."""
    return next(t for t in at.text_input if t.label == label)


def _said(at) -> list[str]:
    """Every error and success shown, each checked to read as clean sentences: one colon at
    most, ending with a full stop (not "Not added: Category name 'x' is taken: ...")."""
    said = [m.value for m in (*at.error, *at.success)]
    for text in said:
        assert text.count(":") <= 1 and text.endswith("."), text
    return said


def _options(at) -> list[str]:
    return list(at.selectbox(key="cat_pick").options)


def test_settings_adds_renames_deletes_and_merges_categories(db: Database, make_user,
                                                              open_page) -> None:
    user = make_user(name="cat-page").user
    _seed(db, user)
    at = open_page(user, "settings")
    assert "Food › Coffee & Snacks" in _options(at) and not at.error

    # add a category to a group; a name the group has is refused with the conflict named
    at.selectbox(key="cat_new_group").select("Food")
    _field(at, "New category").input("groceries")
    at.button(key="FormSubmitter:cat_new_form-Add category").click().run()
    assert [e.value for e in at.error] == _said(at) == [
        "Not added. Category name 'groceries' is taken: Food already has a category called "
        "'Groceries'."]
    _field(at, "New group").input(" food ")
    at.button(key="FormSubmitter:cat_new_group_form-Add group").click().run()
    assert _said(at) == [
        "Not added. Group name 'food' is taken: you already have a group called 'Food'."]
    _field(at, "New category").input("Bakery")
    at.button(key="FormSubmitter:cat_new_form-Add category").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == _said(at) == ["Added Food › Bakery."]
    assert at.selectbox(key="cat_pick").value == "Food › Bakery"
    assert _field(at, "New category").value == ""
    bakery = _ids(db, user)["Bakery"]

    # rename it: a name taken is refused first
    at.text_input(key=f"cat_name_{bakery}").input("GROCERIES")
    at.button(key=f"FormSubmitter:cat_form_{bakery}-Save category").click().run()
    assert _said(at) == [
        "Not saved. Category name 'GROCERIES' is taken: Food already has a category called "
        "'Groceries'."]
    at.text_input(key=f"cat_name_{bakery}").input("Bread & Cakes")
    at.checkbox(key=f"cat_essential_{bakery}").uncheck()
    at.button(key=f"FormSubmitter:cat_form_{bakery}-Save category").click().run()
    assert not at.exception and not at.error
    assert _said(at)[0].startswith("Saved Food › Bread & Cakes.")
    assert "Food › Bread & Cakes" in _options(at) and "Food › Bakery" not in _options(at)
    with db.user_session(user) as conn:
        assert conn.execute("select name, is_essential from categories where id = %s",
                            [bakery]).fetchone() == ("Bread & Cakes", False)

    # delete it: nothing uses it
    assert at.selectbox(key="cat_pick").value == "Food › Bread & Cakes"
    at.button(key="cat_delete").click().run()
    assert _said(at) == ["Deleted Food › Bread & Cakes."]
    assert "Food › Bread & Cakes" not in _options(at)
    assert "Bread & Cakes" not in _ids(db, user)

    # a category with transactions is not deleted: the page offers to move them instead
    at.selectbox(key="cat_pick").select("Food › Coffee & Snacks").run()
    at.button(key="cat_delete").click().run()
    assert _said(at) == [
        "Not deleted. Food › Coffee & Snacks is used by 3 transactions; merge it into another "
        "category instead."]
    coffee = _ids(db, user)["Coffee & Snacks"]
    offer = at.selectbox(key=f"cat_merge_into_{coffee}")
    assert offer.label.startswith("Move its 3 transactions")
    assert "Food › Coffee & Snacks" not in offer.options
    offer.select("Food › Restaurants").run()
    at.button(key="cat_merge").click().run()
    assert not at.exception and not at.error
    assert _said(at)[0].startswith(
        "Moved 3 transactions from Food › Coffee & Snacks to Food › Restaurants;")
    assert "Food › Coffee & Snacks" not in _options(at)
    assert at.selectbox(key="cat_pick").value == "Food › Restaurants"
    with db.user_session(user) as conn:
        assert conn.execute("select c.name, count(*) from transactions t join categories c"
                            " on c.id = t.category_id group by 1").fetchall() == [("Restaurants", 3)]
        assert conn.execute("select count(*) from categories where name = 'Coffee & Snacks'"
                            ).fetchone()[0] == 0

    # a group that holds categories is not deleted either
    at.selectbox(key="cat_pick").select("Travel").run()
    at.button(key="cat_delete").click().run()
    assert len(_said(at)) == 1
    assert _said(at)[0].startswith("Not deleted. Travel still holds ")
    assert _said(at)[0].endswith(" categories: merge or delete them first.")


def _new_essential(at):
    """The add form's essential checkbox (its key changes with the group and after each add)."""
    return next(c for c in at.checkbox if str(c.key).startswith("cat_new_essential_"))


def test_the_add_form_shows_the_groups_essential_flag_before_adding(db: Database, make_user,
                                                                    open_page) -> None:
    """Food is essential, Travel is not: choosing the group sets the box to the group's flag,
    and what the box says when adding is what the new category gets."""
    user = make_user(name="cat-page-essential").user
    at = open_page(user, "settings")
    at.selectbox(key="cat_new_group").select("Travel").run()
    assert _new_essential(at).value is False
    at.selectbox(key="cat_new_group").select("Food").run()
    assert _new_essential(at).value is True
    assert _new_essential(at).label.startswith("Essential")
    _new_essential(at).uncheck()
    _field(at, "New category").input("Bakery")
    at.button(key="FormSubmitter:cat_new_form-Add category").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == ["Added Food › Bakery."]
    assert _new_essential(at).value is True, "the next category starts as the group's again"
    at.selectbox(key="cat_new_group").select("Travel").run()
    _new_essential(at).check()
    _field(at, "New category").input("Visas")
    at.button(key="FormSubmitter:cat_new_form-Add category").click().run()
    assert not at.exception and not at.error
    with db.user_session(user) as conn:
        assert dict(conn.execute("select name, is_essential from categories"
                                 " where name in ('Bakery', 'Visas')").fetchall()) == {
            "Bakery": False, "Visas": True}


def test_settings_shows_the_auto_apply_threshold_in_use(db: Database, make_user,
                                                        open_page) -> None:
    user = make_user(name="cat-threshold").user
    at = open_page(user, "settings")
    shown = AppliedThreshold(DEFAULT_THRESHOLD, "default", 0).describe()
    assert "not enough of your decisions yet to measure precision: 0 of 50" in shown
    assert shown in [c.value for c in at.caption]
    with db.job_user_session(user.id) as conn:  # what the job stores after a fit
        conn.execute("set local role pfm_job_worker")
        conn.execute("insert into pipeline.user_state (user_id, model_threshold,"
                     " model_threshold_labels, model_threshold_at) values (%s, 0.93, 412, now())",
                     [str(user.id)])
    at.run()
    assert "Currently applied at ≥ 93% (measured on 412 of your decisions)." + HELD_NOTE in [
        c.value for c in at.caption]
    with db.job_user_session(user.id) as conn:  # the level measured apart for new merchants
        conn.execute("set local role pfm_job_worker")
        conn.execute("update pipeline.user_state set model_threshold_new = 1.0"
                     " where user_id = %s", [str(user.id)])
    at.run()
    assert ("Currently applied at ≥ 93% (measured on 412 of your decisions). Guesses for a "
            "merchant you have not filed yet wait in Needs review: the model's earlier guesses "
            "for new merchants were not shown 95% right yet (that takes some 200 of them)."
            + HELD_NOTE) in [
        c.value for c in at.caption]
    with db.job_user_session(user.id) as conn:
        conn.execute("set local role pfm_job_worker")
        conn.execute("update pipeline.user_state set model_threshold_new = 0.97"
                     " where user_id = %s", [str(user.id)])
    at.run()
    assert ("Currently applied at ≥ 93% (measured on 412 of your decisions). For a merchant you "
            "have not filed yet: at ≥ 97%, measured on its guesses for new merchants alone."
            + HELD_NOTE) in [
        c.value for c in at.caption]
    at.radio(key="pref_mode").set_value("Custom")
    at.slider(key="pref_threshold").set_value(85)
    at.button(key="FormSubmitter:prefs_form-Save settings").click().run()
    assert ("Currently applied at ≥ 85% (your setting). Automatic would apply at ≥ 93% (≥ 97% "
            "for a new merchant)." + HELD_NOTE) in [c.value for c in at.caption]


def _column_of(node, key_prefix: str):
    """The st.columns column holding the widget whose key starts with ``key_prefix``."""
    for child in getattr(node, "children", {}).values():
        if str(getattr(child, "key", "") or "").startswith(key_prefix):
            return node
        if (found := _column_of(child, key_prefix)) is not None:
            return found
    return None


def test_the_edit_forms_essential_box_sits_beside_the_kind_box(db: Database, make_user,
                                                                open_page) -> None:
    """In a browser the box sat level with the Kind label, above the select box beside it."""
    user = make_user(name="cat-page-align").user
    at = open_page(user, "settings")
    at.selectbox(key="cat_pick").select("Food › Groceries").run()
    for prefix in ("cat_kind_", "cat_essential_"):
        column = _column_of(at._tree, prefix)
        assert column.proto.vertical_alignment == Block.Column.VerticalAlignment.BOTTOM, prefix

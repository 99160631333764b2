"""Settings > Categories: the user's groups and categories — add, rename, merge, delete, and a
category's kind and essential flag. Widgets only: every change is one call to
:mod:`core.category_admin` or :mod:`core.category_merge` in the user's session (one transaction,
row-level security), and the page says what it did or, naming the field, why it did not."""

from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from core import category_admin, category_merge
from core.category_admin import KINDS, CategoryError, CategoryInUse, Usage
from core.identity import AuthUser
from pages import common

log = logging.getLogger(__name__)

FLASH, OFFER, PICK, PICK_NEXT = "cat_flash", "cat_offer", "cat_pick", "cat_pick_next"
ESSENTIAL = "Essential (rent, groceries: what the forecast and goals keep paying first)"
LEARNS = ("The categorizer learns your categories by name: after a rename or a merge it keeps "
          "what it learned, refitted within a minute.")


def _refused(verb: str, reason: object) -> None:
    """"Not added. Category name 'x' is taken: ...": what did not happen, then why, each a
    sentence (the core's messages end with a full stop; one that does not gets one)."""
    why = str(reason).strip()
    st.error(f"Not {verb}. {why}{'' if why.endswith(('.', '!', '?')) else '.'}")


def _usage(row: pd.Series) -> Usage:
    return Usage(int(row["transactions"]), int(row["split_parts"]), int(row["rules"]),
                 int(row["budgets"]), int(row["children"]))


def _table(found: pd.DataFrame) -> None:
    st.dataframe(pd.DataFrame({
        "category": found["label"],
        "kind": found["kind"].where(~found["is_group"], ""),
        "essential": found["is_essential"].where(~found["is_group"], False),
        "transactions": found["transactions"], "split parts": found["split_parts"],
        "rules": found["rules"], "budget": found["budgets"] > 0}),
        hide_index=True, key="cat_table")


def _edit(user: AuthUser, row: pd.Series) -> None:
    leaf, cid = not row["is_group"], row["id"]
    with st.form(f"cat_form_{cid}"):
        name = st.text_input("Name", value=row["name"], max_chars=category_admin.MAX_NAME,
                             key=f"cat_name_{cid}")
        kind, essential = row["kind"], bool(row["is_essential"])
        if leaf:
            c1, c2 = st.columns(2, vertical_alignment="bottom")  # the box beside the select box
            kind = c1.selectbox("Kind", KINDS, index=KINDS.index(row["kind"]), key=f"cat_kind_{cid}")
            essential = c2.checkbox(ESSENTIAL, value=essential, key=f"cat_essential_{cid}")
        saved = st.form_submit_button("Save category" if leaf else "Save group")
    if not saved:
        return
    try:
        with common.session() as conn:
            stored = category_merge.rename(conn, user, cid, name)
            if leaf:
                category_admin.update_leaf(conn, user, cid, kind=kind, is_essential=essential)
    except CategoryError as exc:
        _refused("saved", exc)
        return
    group = row["group"]
    st.session_state[PICK_NEXT] = stored if bool(row["is_group"]) else \
        f"{group}{category_admin.SEPARATOR}{stored}"
    st.session_state[FLASH] = f"Saved {st.session_state[PICK_NEXT]}. {LEARNS}"
    st.rerun()


def _delete_or_merge(user: AuthUser, row: pd.Series, found: pd.DataFrame) -> None:
    cid, used = row["id"], _usage(row)
    st.caption(f"{row['label']} is used by {used.describe()}." if used.total
               else f"Nothing uses {row['label']}.")
    offer = st.session_state.get(OFFER)
    if st.button(f"Delete {row['label']}", key="cat_delete"):
        try:
            with common.session() as conn:
                gone = category_admin.delete(conn, user, cid)
        except CategoryInUse as exc:
            offer = st.session_state[OFFER] = (cid, str(exc))
        except CategoryError as exc:
            _refused("deleted", exc)
            return
        else:
            st.session_state.pop(PICK, None)
            st.session_state[FLASH] = f"Deleted {gone}."
            st.rerun()
    offered = offer is not None and offer[0] == cid
    if offered:
        _refused("deleted", offer[1])
    if used.children:
        return  # a group with categories is emptied first; it cannot be merged
    targets = [lbl for lbl, is_group, other in zip(found["label"], found["is_group"], found["id"],
                                                   strict=True) if not is_group and other != cid]
    n = used.transactions
    prompt = (f"Move its {n} transaction{'' if n == 1 else 's'} (and everything else that uses "
              f"it) to" if offered and n else f"Merge {row['label']} into")
    target = st.selectbox(prompt, targets, index=None, placeholder="Choose a category",
                          key=f"cat_merge_into_{cid}")
    st.caption("A merge moves every transaction, split part, rule and budget, and what the "
               "categorizer learned, then deletes the category. It cannot be undone.")
    if not st.button("Move and delete" if offered else "Merge", key="cat_merge",
                     disabled=target is None):
        return
    into = found["id"].iloc[found["label"].tolist().index(target)]
    try:
        with common.session() as conn:
            done = category_merge.merge(conn, user, cid, into)
    except CategoryError as exc:
        _refused("merged", exc)
        return
    st.session_state.pop(OFFER, None)
    st.session_state[PICK_NEXT] = target
    st.session_state[FLASH] = f"{done.describe()} {LEARNS}"
    st.rerun()


def _create(user: AuthUser, found: pd.DataFrame) -> None:
    groups = found.loc[found["is_group"]].reset_index(drop=True)
    c1, c2 = st.columns(2)
    # outside the form, so that choosing a group sets the essential box to that group's flag
    group = c1.selectbox("Group", groups["name"].tolist(), key="cat_new_group")
    parent = groups.iloc[groups["name"].tolist().index(group)] if group is not None else None
    # a new key after each add empties the fields (a browser keeps a form field's text)
    fresh = st.session_state.get("cat_new_round", 0)
    with c1.form("cat_new_form"):
        name = st.text_input("New category", max_chars=category_admin.MAX_NAME,
                             key=f"cat_new_name_{fresh}")
        essential = st.checkbox(
            ESSENTIAL, value=parent is not None and bool(parent["is_essential"]),
            key=f"cat_new_essential_{fresh}_{'' if parent is None else parent['id']}",
            help="Starts as the group's setting; change it here if this category differs.")
        add = st.form_submit_button("Add category", disabled=parent is None)
    with c2.form("cat_new_group_form"):
        group_name = st.text_input("New group", max_chars=category_admin.MAX_NAME,
                                   key=f"cat_new_group_name_{fresh}")
        kind = st.selectbox("Kind", KINDS, key="cat_new_group_kind")
        add_group = st.form_submit_button("Add group")
    if not (add or add_group):
        return
    try:
        with common.session() as conn:
            if add:
                category_admin.create_category(conn, user, parent["id"], name,
                                               is_essential=essential)
            else:
                category_admin.create_group(conn, user, group_name, kind)
    except CategoryError as exc:
        _refused("added", exc)
        return
    clean = " ".join(str(name if add else group_name).split())
    st.session_state[PICK_NEXT] = f"{group}{category_admin.SEPARATOR}{clean}" if add else clean
    st.session_state["cat_new_round"] = fresh + 1
    st.session_state[FLASH] = f"Added {st.session_state[PICK_NEXT]}."
    st.rerun()


def render(user: AuthUser) -> None:
    st.subheader("Categories")
    st.caption("Groups hold categories; transactions, split parts, rules and budgets use the "
               "categories. " + LEARNS)
    flash = st.session_state.pop(FLASH, None)
    with common.session() as conn:
        found = category_admin.overview(conn)
    _table(found)
    if flash:  # under the table, next to the controls that caused it, and as a toast
        st.success(flash)
        st.toast(flash)
    labels = found["label"].tolist()
    if (chosen := st.session_state.pop(PICK_NEXT, None)) in labels:
        st.session_state[PICK] = chosen  # keep the edited (or merged into) category selected
    elif st.session_state.get(PICK) not in labels:
        st.session_state.pop(PICK, None)
    if labels:
        row = found.iloc[labels.index(st.selectbox("Edit a category or group", labels, key=PICK))]
        _edit(user, row)
        _delete_or_merge(user, row, found)
    _create(user, found)

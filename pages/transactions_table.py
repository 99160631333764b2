"""The transactions table: search, filters, totals, in-place corrections and row details.

Only the category and notes columns are editable, and the first column's tick boxes, which
select rows for the bulk actions under the table (:mod:`pages.transactions_bulk`: set
category, send back for review, exclude/include, add a tag; on the ticked rows or on every row
matching the filter); a category is picked among leaves ("Food ›
Groceries"; the filter also offers groups, which include their leaves). Each saved category is
a correction (``core.corrections``) that applies at once and offers "apply to all similar"
(its count read from the database at every render) and "always do this"; clearing a category
("—") sends the row back to the categorizer instead. Rows waiting for review show the model's
suggestion. Search, filters, pagination and totals run in SQL (``core.transactions_service``).
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import pandas as pd
import streamlit as st

from core import corrections as corr
from core import transactions_service as svc
from core.categories import leaf_options
from core.correction_rules import rule_from_correction
from core.import_accounts import list_accounts
from pages import common
from pages import transactions_bulk as bulk

log = logging.getLogger(__name__)

PAGE_SIZE = 50
NONE = "—"
EDITABLE = ("category", "notes")


def _filters(accounts: list[dict], labels: dict[str, Any]) -> svc.Filters:
    c1, c2 = st.columns([3, 2])
    text = c1.text_input("Search description, merchant or notes", key="tx_search")
    dates = c2.date_input("Dates", value=(), key="tx_dates", format="YYYY-MM-DD")
    c3, c4, c5, c6 = st.columns(4)
    names = c3.multiselect("Account", [a["name"] for a in accounts], key="tx_accounts")
    cats = c4.multiselect("Category", list(labels), key="tx_categories")
    low = c5.number_input("Amount from", value=None, step=10.0, key="tx_amount_min")
    high = c6.number_input("Amount to", value=None, step=10.0, key="tx_amount_max")
    c7, c8, c9 = st.columns(3)
    dates = tuple(dates) if isinstance(dates, list | tuple) else (dates,)
    amount_min, amount_max, swapped = svc.amount_bounds(low, high)
    if swapped:  # like the date picker, which orders a range, use the bounds in order
        st.info(f"Amount from {low:,.2f} is above amount to {high:,.2f}: showing amounts from "
                f"{amount_min:,.2f} to {amount_max:,.2f}.")
    return svc.Filters(
        text=text, date_from=dates[0] if dates else None, date_to=dates[1] if len(dates) > 1 else None,
        account_ids=[a["id"] for a in accounts if a["name"] in names],
        category_ids=[labels[c] for c in cats],
        amount_min=amount_min, amount_max=amount_max,
        uncategorized=c7.checkbox("Uncategorized only", key="tx_uncategorized"),
        needs_review=c8.checkbox("Needs review only", key="tx_review"),
        possible_duplicates=c9.checkbox("Possible duplicates only", key="tx_dupes"))


def _totals(page: svc.Page) -> None:
    for t in page.totals or [{"currency": "EUR", "n": 0, "money_in": 0, "money_out": 0, "net": 0}]:
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Transactions", f"{t['n']:,}")
        c2.metric("Money in", common.money(t["money_in"], t["currency"]))
        c3.metric("Money out", common.money(t["money_out"], t["currency"]))
        c4.metric("Net", common.money(t["net"], t["currency"]))
    st.caption("Totals cover every transaction of the filter; transfers and excluded rows are "
               "counted but not in money in/out.")


def _flags(row: pd.Series) -> str:
    flags = [name for name, on in (("transfer", row.is_transfer), ("excluded", row.excluded),
                                   ("review", row.needs_review), ("split", row.has_splits),
                                   ("pending", row.pending),
                                   ("possible duplicate", row.possible_duplicate_of is not None)) if on]
    return ", ".join(flags)


def _view(rows: pd.DataFrame) -> pd.DataFrame:
    """The editor's columns: what decides a row's category right after its description and
    amount (visible without scrolling sideways), the rest after; confidence in whole percent."""
    confidence = (pd.to_numeric(rows["confidence"], errors="coerce") * 100).round().astype("Int64")
    return pd.DataFrame({
        "date": rows["date"], "description": rows["description"],
        "amount": rows["amount"].astype(float), "currency": rows["currency"],
        "category": rows["category"].fillna(NONE), "suggested": rows["suggested"].fillna(""),
        "confidence": confidence, "why": rows["explanation"].fillna(""),
        "notes": rows["notes"].fillna(""), "account": rows["account"], "merchant": rows["merchant"],
        "tags": rows["tags"].map(list), "flags": rows.apply(_flags, axis=1),
        "select": False})  # shown first (column_order): the bulk actions' tick box


def _save_edits(edits: dict, rows: pd.DataFrame, labels: dict[str, Any], user) -> None:
    """Save the editor's changes; ``labels`` maps every category label (groups too, so that
    core can refuse a group with its message) to its id."""
    with common.session() as conn:
        cipher = svc.cipher_for(conn, user.id)
        for pos, change in edits.items():
            row = rows.iloc[int(pos)]
            if "category" in change:
                label = change["category"]
                cat = labels.get(label) if label and label != NONE else None
                try:
                    done = corr.correct_and_follow(conn, row["id"], cat)
                except corr.CorrectionError as exc:
                    st.session_state["tx_error"] = f"{row['description']}: {exc}"
                else:
                    st.session_state["last_correction"] = {
                        "id": row["id"], "description": row["description"], "category_id": cat,
                        "label": label if cat else "", "followed": done.followed}
            if "notes" in change:
                svc.set_notes(conn, cipher, user.id, row["id"], change["notes"])
    if "tx_error" not in st.session_state:
        st.toast("Saved.")


def _follow_up() -> None:
    """The box after a correction. What "apply to all similar" would change is counted in the
    database at each render, so rows the job (or anything else) filed since are not offered."""
    last = st.session_state.get("last_correction")
    if not last:
        return
    if last["category_id"] is None:
        with st.container(border=True):
            st.write(f"Sent **{last['description']}** back for review: the categorizer will "
                     "suggest a category at its next run (see Needs review).")
            if st.button("Done", key="tx_follow_up_done"):
                st.session_state.pop("last_correction")
                st.rerun()
        return
    try:
        with common.session() as conn:
            similar = corr.similar_count(conn, last["id"], last["category_id"])
    except corr.CorrectionError:  # the transaction is gone (an undone import)
        st.session_state.pop("last_correction")
        return
    with st.container(border=True):
        followed = last.get("followed", 0)
        st.write(f"Filed **{last['description']}** under **{last['label']}**"
                 + (f", and {followed} similar uncategorized transaction(s) with it."
                    if followed else ".")
                 + ("" if similar else " No similar transaction is left in another category."))
        c1, c2, c3 = st.columns(3)
        if similar and c1.button(f"Apply to all {similar} similar transactions",
                                 key="tx_apply_similar"):
            with common.session() as conn:
                n = corr.apply_to_similar(conn, last["id"], last["category_id"])
            st.session_state.pop("last_correction")
            st.session_state["tx_notice"] = f"{n} similar transaction(s) filed under {last['label']}."
            st.rerun()
        if c2.button("Always do this (create a rule)", key="tx_make_rule"):
            with common.session() as conn:
                made = rule_from_correction(conn, last["id"], last["category_id"], last["label"])
            st.session_state.pop("last_correction")
            st.session_state["tx_notice"] = _rule_notice(made)
            st.rerun()
        if c3.button("Done", key="tx_follow_up_done"):
            st.session_state.pop("last_correction")
            st.rerun()


def _rule_notice(made) -> str:
    if made.action == "updated":
        return (f"Updated rule “{made.name}”" + (f" (it filed under {made.previous} before)"
                                                  if made.previous else "")
                + "; it applies to future imports (see Rules).")
    if made.action == "kept":
        return f"Rule “{made.name}” already does this; it applies to future imports (see Rules)."
    return f"Rule “{made.name}” created; it applies to future imports (see Rules)."


def _choices(rows: pd.DataFrame) -> dict[Any, str]:
    """A readable, unique label per row id: identical rows (same day, description and amount)
    are numbered in table order, "(1 of 2)", "(2 of 2)"."""
    base = {r.id: f"{r.date} · {r.description[:50]} · {r.amount:,.2f}" for r in rows.itertuples()}
    counts = Counter(base.values())
    seen: Counter[str] = Counter()
    names = {NONE: NONE}
    for tx_id, label in base.items():
        seen[label] += 1
        names[tx_id] = f"{label} ({seen[label]} of {counts[label]})" if counts[label] > 1 else label
    return names


def _details(rows: pd.DataFrame, labels: dict[str, Any], leaves: dict[str, Any]) -> None:
    """Split, tags and exclusion of one row; a split's parts are picked among ``leaves``."""
    names = _choices(rows)
    pick = st.selectbox("Edit a transaction (split, tags, exclude)", list(names), key="tx_pick",
                        format_func=names.__getitem__)
    if pick == NONE or pick not in names:
        return
    row = next(r for r in rows.itertuples() if r.id == pick)
    tags = st.text_input("Tags (comma separated)", value=", ".join(row.tags), key=f"tx_tags_{row.id}")
    excluded = st.toggle("Exclude from spending and income", value=bool(row.excluded),
                         key=f"tx_excl_{row.id}")
    if st.button("Save tags and exclusion", key=f"tx_save_tags_{row.id}"):
        with common.session() as conn:
            svc.set_tags(conn, row.id, tags.split(","))
            svc.set_excluded(conn, row.id, excluded)
        st.rerun()
    st.markdown("**Split across categories**")
    with common.session() as conn:
        parts = corr.get_splits(conn, row.id)
    by_id = {v: k for k, v in labels.items()}
    start = pd.DataFrame([{"category": by_id.get(p["category_id"], NONE), "amount": float(p["amount"]),
                           "memo": p["memo"]} for p in parts] or [
        {"category": row.category or NONE, "amount": float(row.amount), "memo": ""},
        {"category": NONE, "amount": 0.0, "memo": ""}])
    edited = st.data_editor(start, num_rows="dynamic", hide_index=True, key=f"tx_split_{row.id}",
                            column_config={
                                "category": st.column_config.SelectboxColumn(options=[NONE, *leaves]),
                                "amount": st.column_config.NumberColumn(format="%.2f")})
    c1, c2 = st.columns(2)
    if c1.button("Save split", key=f"tx_split_save_{row.id}"):
        try:
            with common.session() as conn:
                # every editor row, so a message's "part n" is row n; empty rows are skipped
                corr.split_transaction(conn, row.id, [(labels.get(p.category), p.amount, p.memo)
                                                      for p in edited.itertuples()])
            st.rerun()
        except corr.CorrectionError as exc:
            st.error(str(exc))
    if parts and c2.button("Remove split", key=f"tx_split_remove_{row.id}"):
        with common.session() as conn:
            corr.remove_split(conn, row.id)
        st.rerun()


def render(user) -> None:
    if notice := st.session_state.pop("tx_notice", None):
        st.success(notice)
    if error := st.session_state.pop("tx_error", None):
        st.error(error)
    with common.session() as conn:
        accounts = list_accounts(conn)
        labels = {label: cid for cid, label in svc.category_options(conn)}  # groups too: filters
        leaves = {label: cid for cid, label in leaf_options(conn)}  # what a row can be filed under
    filters = _filters(accounts, labels)
    page_no = int(st.columns(4)[0].number_input("Page", min_value=1, value=1, step=1, key="tx_page"))
    with common.session() as conn:
        page = svc.search(conn, filters, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE,
                          cipher=svc.cipher_for(conn, user.id), user_id=user.id)
    _totals(page)
    pages = max(1, -(-page.total // PAGE_SIZE))
    shown = page.offset // PAGE_SIZE + 1  # a page past the end shows the last one
    st.caption(f"Page {shown} of {pages}" + (f" (there is no page {page_no:,})" if shown < page_no else ""))
    if page.rows.empty:
        st.info("No transactions match." if page.total or filters != svc.Filters()
                else "No transactions yet. Import a bank statement on the Import tab.")
        return
    version = st.session_state.setdefault("tx_editor_version", 0)
    ids = [str(i) for i in page.rows["id"]]
    if st.session_state.get("tx_editor_ids") != ids and bulk.selected_positions(
            st.session_state.get(f"tx_editor_{version}")):  # ticks belong to the rows shown before
        version = st.session_state["tx_editor_version"] = version + 1
    st.session_state["tx_editor_ids"] = ids
    key = f"tx_editor_{version}"
    view = _view(page.rows)
    st.data_editor(view, key=key, hide_index=True, width="stretch",
                   height=38 + 35 * min(len(view), 20),  # up to 20 rows without scrolling
                   column_order=["select", *(c for c in view.columns if c != "select")],
                   disabled=[c for c in view.columns if c not in (*EDITABLE, "select")], column_config={
                       "select": st.column_config.CheckboxColumn(
                           "Select", width="small",
                           help="Tick rows to act on several at once (below the table)"),
                       "date": st.column_config.DateColumn("Date"),
                       "description": st.column_config.TextColumn("Description", width="medium"),
                       "amount": st.column_config.NumberColumn("Amount", format="%.2f"),
                       "currency": "Currency",
                       "category": st.column_config.SelectboxColumn("Category", options=[NONE, *leaves]),
                       "suggested": st.column_config.TextColumn(
                           "Suggested", help="The categorizer's best guess for a row waiting for "
                                             "review (Needs review); pick it under Category to file it"),
                       "confidence": st.column_config.ProgressColumn(
                           "Confidence", min_value=0, max_value=100, format="%d%%"),
                       "why": st.column_config.TextColumn(
                           "Why", help="What decided the category: your rule or correction, or "
                                       "the model's strongest evidence"),
                       "notes": st.column_config.TextColumn("Notes", max_chars=svc.MAX_NOTE),
                       "account": "Account", "merchant": "Merchant",
                       "tags": st.column_config.ListColumn("Tags"), "flags": "Flags"})
    edits = {k: v for k, v in (st.session_state.get(key) or {}).get("edited_rows", {}).items()
             if set(v) & set(EDITABLE)}
    if edits:
        _save_edits(edits, page.rows, labels, user)
        st.session_state["tx_editor_version"] = version + 1
        st.rerun()
    ticked = bulk.selected_positions(st.session_state.get(key))
    bulk.render(user, filters, page.total, [page.rows["id"].iloc[p] for p in ticked if p < len(ids)],
                leaves)
    _follow_up()
    with st.expander("Row details: split, tags, exclude"):
        _details(page.rows, labels, leaves)


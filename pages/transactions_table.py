"""The transactions table: search, filters, totals and in-place corrections (Row details, to
split, tag or exclude a row, is :mod:`pages.transactions_row_details`).

Only the category and notes columns are editable, and the first column's tick boxes, which
select rows for the bulk actions under the table (:mod:`pages.transactions_bulk`: set category,
send back for review, exclude/include, add a tag; on the ticked rows or on every row matching
the filter); a category is picked among leaves ("Food › Groceries"; the filter also offers
groups, which include their leaves). Each saved category is a correction (``core.corrections``)
that applies at once and offers "apply to all similar" (its count read from the database at
every render) and "always do this"; clearing a category ("—") sends the row back to the
categorizer instead. Category and notes edits, "apply to all similar" and Row details' saves
can be undone with the bulk actions, newest first (the Undo under the table; Row details then
shows the rows as they are). The box after a correction is :mod:`pages.transactions_follow_up`.
Rows waiting for review show the model's suggestion. Search, filters, pagination and totals run
in SQL (``core.transactions_search``); filtered by category, the totals count a split
transaction's parts in those categories only, and the caption says so.

The editor reports edits by row position, and the rows behind a position may change before an
edit arrives (another tab, the job filing rows); so each render keeps the rows it showed
(``SEEN``) and an edit goes to the transaction its position showed then, with the value the
user saw: ``core.table_edits`` refuses, with the row's date and description, an edit of a row
that is gone or changed since, and a category edit of a split row (its Category cell lists the
parts; the split is edited under Row details), and applies the rest in one transaction. The
page box goes up to the last page; a page past the end (the filter shrank) shows the last page
and the page box is set to it."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import streamlit as st

from core import corrections as corr
from core import table_edits
from core import transaction_rows as tx_rows
from core import transactions_search as svc
from core.categories import SEPARATOR, leaf_options
from core.import_accounts import list_accounts
from pages import common
from pages import transactions_bulk as bulk
from pages import transactions_follow_up as follow_up
from pages import transactions_row_details as row_details

log = logging.getLogger(__name__)

PAGE_SIZE = 50
NONE = row_details.NONE  # no category, in the table and in Row details
EDITABLE = table_edits.FIELDS
SEEN = "tx_editor_seen"
"""Session key: the editor's key and its rows as last rendered (:func:`_shown`)."""


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


def _totals(page: svc.Page, filters: svc.Filters, labels: dict[str, Any]) -> None:
    for t in page.totals or [{"currency": "EUR", "n": 0, "money_in": 0, "money_out": 0, "net": 0}]:
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Transactions", f"{t['n']:,}")
        c2.metric("Money in", common.money(t["money_in"], t["currency"]))
        c3.metric("Money out", common.money(t["money_out"], t["currency"]))
        c4.metric("Net", common.money(t["net"], t["currency"]))
    names = {str(cid): label.split(SEPARATOR)[-1] for label, cid in labels.items()}
    chosen = " or ".join(names.get(str(c), "chosen") for c in filters.category_ids)
    st.caption("Totals cover every transaction of the filter; transfers and excluded rows are "
               "counted but not in money in/out"
               + (f"; split transactions count only their {chosen} parts." if chosen else "."))


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
        "category": [tx_rows.split_label(parts) if split else label  # a split: its parts
                     for label, parts, split in zip(rows["category"].fillna(NONE), rows["split_parts"],
                                                    rows["has_splits"], strict=True)],
        "suggested": rows["suggested"].fillna(""),
        "confidence": confidence, "why": rows["explanation"].fillna(""),
        "notes": rows["notes"].fillna(""), "account": rows["account"], "merchant": rows["merchant"],
        "tags": rows["tags"].map(list), "flags": rows.apply(_flags, axis=1),
        "select": False})  # shown first (column_order): the bulk actions' tick box


def _category_options(view: pd.DataFrame, leaves: dict[str, Any]) -> list[str]:
    """The Category cell's choices: no category, the leaves, then whatever else a row of the
    page shows (a split row's "Split: ..."): a selectbox cell draws only a value among its
    options, so without them a split row's cell would be blank. Picking one of those for a row
    is refused by :mod:`core.table_edits`, as is any category edit of a split row."""
    others = [c for c in dict.fromkeys(view["category"]) if c not in leaves and c != NONE]
    return [NONE, *leaves, *others]


def _shown(rows: pd.DataFrame) -> list[table_edits.Shown]:
    """The rows as the editor shows them, by position: what an edit of a position refers to."""
    return [table_edits.Shown(r.id, r.date, r.description,
                              None if pd.isna(r.category_id) else r.category_id,
                              bool(r.has_splits), r.notes or "") for r in rows.itertuples()]


def _pending_edits(labels: dict[str, Any]) -> list[table_edits.CellEdit]:
    """The category and notes cells changed in the editor as it was last rendered, each
    with the row that position showed then (the rows shown now may be others); ``labels``
    maps every category label (groups too, so that core refuses a group with its message)
    to its id. Taken once: the rendered rows are forgotten, so no edit is applied twice."""
    seen = st.session_state.pop(SEEN, None)
    if not seen:
        return []
    state = st.session_state.get(seen["key"])
    changes = state.get("edited_rows", {}) if isinstance(state, dict) else {}
    edits = []
    for pos, change in sorted(changes.items(), key=lambda item: int(item[0])):
        if int(pos) >= len(seen["rows"]):
            continue
        row = seen["rows"][int(pos)]
        if "category" in change:
            label = change["category"]
            cat = labels.get(label, label) if label and label != NONE else None
            edits.append(table_edits.CellEdit(row, "category", cat, label if cat else ""))
        if "notes" in change:
            edits.append(table_edits.CellEdit(row, "notes", change["notes"]))
    return edits


def _save_edits(edits: list[table_edits.CellEdit], user) -> None:
    """Apply the edits in one transaction; say which were refused (and, then, which saved)."""
    with common.session() as conn:
        result = table_edits.apply_edits(conn, edits, cipher=tx_rows.cipher_for(conn, user.id),
                                         user_id=user.id)
    filed = []
    for edit in result.applied:
        done = result.corrections.get(edit.row.id) if edit.field == "category" else None
        if done is not None:
            filed.append((edit, done))
            st.session_state["last_correction"] = {
                "id": edit.row.id, "description": edit.row.description, "category_id": done.category_id,
                "label": edit.label if done.category_id else "", "followed": done.followed}
    if result.changes:
        bulk.remember(result.changes, _edited(filed, [e for e in result.applied if e.field == "notes"]))
    if result.refused:
        st.session_state["tx_error"] = [r.message for r in result.refused]
        if result.applied:
            st.session_state["tx_notice"] = (
                f"Saved {len(result.applied)} of {len(edits)} changes: "
                + "; ".join(f"{e.row.name} ({e.field})" for e in result.applied) + ".")
    elif result.applied:
        st.toast("Saved.")


def _edited(filed: list[tuple[table_edits.CellEdit, corr.Correction]],
            notes: list[table_edits.CellEdit]) -> str:
    """What the table's edits did (categories filed, notes written), for their Undo."""
    if len(filed) + len(notes) > 1:
        parts = [f"{n} {one if n == 1 else many}" for n, one, many in (
            (len(filed), "category", "categories"), (len(notes), "note", "notes")) if n]
        return f"Last change: {' and '.join(parts)} edited in the table."
    if notes:
        return f"Last change: the note of {notes[0].row.name} edited."
    edit, done = filed[0]
    if done.sent_back:
        return f"Last change: {edit.row.name} sent back for review."
    return (f"Last change: {edit.row.name} filed under {edit.label}"
            + (f", and {done.followed} similar with it." if done.followed else "."))


def render(user) -> None:
    with common.session() as conn:
        accounts = list_accounts(conn)
        labels = {label: cid for cid, label in svc.category_options(conn)}  # groups too: filters
        leaves = {label: cid for cid, label in leaf_options(conn)}  # what a row can be filed under
    if edits := _pending_edits(labels):  # before the rows are read again: they may have changed
        _save_edits(edits, user)
        st.session_state["tx_editor_version"] = st.session_state.get("tx_editor_version", 0) + 1
        st.rerun()
    if notice := st.session_state.pop("tx_notice", None):
        st.success(notice)
    if warning := st.session_state.pop("tx_warning", None):  # e.g. split rows a bulk action skipped
        st.warning(warning)
    for error in st.session_state.pop("tx_error", None) or []:
        st.error(error)
    filters = _filters(accounts, labels)
    asked = max(1, int(st.session_state.get("tx_page") or 1))
    with common.session() as conn:
        page = svc.search(conn, filters, limit=PAGE_SIZE, offset=(asked - 1) * PAGE_SIZE,
                          cipher=tx_rows.cipher_for(conn, user.id), user_id=user.id)
    shown = page.offset // PAGE_SIZE + 1  # a page past the end (a narrower filter) shows the last
    if shown < asked:
        st.session_state["tx_page"] = shown  # one, and the box says which
    pages = max(1, -(-page.total // PAGE_SIZE))
    # the box's "+" stops at the last page (set above, its value is never past it)
    st.columns(4)[0].number_input("Page", min_value=1, max_value=pages, step=1, key="tx_page")
    _totals(page, filters, labels)
    st.caption(f"Page {shown} of {pages}" + (f" (there is no page {asked:,})" if shown < asked else ""))
    if page.rows.empty:
        row_details.confirm_gone(page.rows)  # a split just saved took the last row off the filter
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
    st.session_state[SEEN] = {"key": key, "rows": _shown(page.rows)}  # what an edit refers to
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
                       "category": st.column_config.SelectboxColumn(
                           "Category", width="medium", options=_category_options(view, leaves)),
                       "suggested": st.column_config.TextColumn(
                           "Suggested", help="The categorizer's best guess for a row waiting for "
                                             "review (Needs review); pick it under Category to file it"),
                       "confidence": st.column_config.ProgressColumn(
                           "Confidence", min_value=0, max_value=100, format="%d%%"),
                       "why": st.column_config.TextColumn(
                           "Why", help="What decided the category: your rule or correction, or "
                                       "the model's strongest evidence"),
                       "notes": st.column_config.TextColumn("Notes", max_chars=tx_rows.MAX_NOTE),
                       "account": "Account", "merchant": "Merchant",
                       "tags": st.column_config.ListColumn("Tags"), "flags": "Flags"})
    ticked = bulk.selected_positions(st.session_state.get(key))
    bulk.render(user, filters, page.total, [page.rows["id"].iloc[p] for p in ticked if p < len(ids)],
                leaves)
    follow_up.render()
    # kept open by its key: saving a split changes the Needs review count, so the tab labels,
    # and Streamlit redraws the tabs' contents (an expander without state would close)
    with st.expander("Row details: merchant, split, tags, exclude", key=row_details.OPEN, on_change="rerun"):
        row_details.render(page.rows, labels, leaves)


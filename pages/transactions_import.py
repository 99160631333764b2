"""Import tab: upload a statement, confirm the column mapping when unsure, import with a
progress bar, see the batch summary (including rejected rows) and undo any import.

After an import the tab shows its summary (not the file's preview and Import button again)
until another file is dropped or *Import another file* empties the uploader, and the Undo
picker selects the import just made (none when it added nothing)."""

from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from core.import_accounts import KINDS, create_account, list_accounts
from core.import_flow import Upload, analyze_upload, import_upload, undo_choices
from core.import_layout import ROLES
from core.importer import ImportFailed, list_batches, undo_batch
from core.importing import StatementParseError
from core.transaction_rows import cipher_for
from pages import common

log = logging.getLogger(__name__)

NEW = "+ New account"
AUTO = "(detect)"
NONE = "(no such column)"  # sent to the parser as "": detection leaves the role empty
ORDERS = {"detect": None, "day first (31/12/2024)": "dmy", "month first (12/31/2024)": "mdy"}
SIGNS = {"detect": None, "amounts as in the file": "as_is", "flip every sign": "negate"}
BATCH_COLUMNS = {"created_at": "When", "filename": "File", "format": "Format",
                 "account": "Account", "status": "Status", "imported": "Imported",
                 "duplicates": "Duplicates skipped", "possible_duplicates": "Possible duplicates",
                 "rejected": "Rejected rows", "transfers": "Transfers"}


def _account(accounts: list[dict]) -> tuple[object | None, tuple[str, str, str | None] | None]:
    names = [a["name"] for a in accounts]
    if (chosen := st.session_state.pop("imp_account_next", None)) in names:
        st.session_state["imp_account"] = chosen  # the account an import just created
    choice = st.selectbox("Into account", [*names, NEW], key="imp_account")
    if choice != NEW:
        return next(a["id"] for a in accounts if a["name"] == choice), None
    c1, c2, c3 = st.columns(3)
    name = c1.text_input("New account name", key="imp_new_name")
    kind = c2.selectbox("Kind", KINDS, key="imp_new_kind")
    currency = c3.text_input("Currency", max_chars=3, key="imp_new_currency",
                             placeholder="the file's",
                             help="Empty: the currency the file states, else your base currency.")
    return None, (name.strip(), kind, currency.strip().upper() or None)


def _mapping_form(upload: Upload, file_id: str) -> tuple[dict[str, str], str | None]:
    """The detected (or remembered) mapping as editable selectboxes; returns the user's choice."""
    columns = upload.layout.columns if upload.layout else []
    chosen: dict[str, str] = {}
    cols = st.columns(4)
    for n, role in enumerate(ROLES):
        current = upload.mapping.get(role)
        current = NONE if current == "" else current
        options = [AUTO, NONE, *columns] + ([current] if current and current not in (NONE, *columns) else [])
        pick = cols[n % 4].selectbox(role.replace("_", " "), options, key=f"imp_role_{role}_{file_id}",
                                     index=options.index(current) if current in options else 0)
        if pick != AUTO:
            chosen[role] = "" if pick == NONE else pick
    c1, c2 = st.columns(2)
    order = c1.radio("Dates", list(ORDERS), horizontal=True, key=f"imp_order_{file_id}")
    sign = c2.radio("Signs", list(SIGNS), horizontal=True, key=f"imp_sign_{file_id}",
                    help="A lone column of positive amounts is read as money out unless you say otherwise.")
    if SIGNS[sign]:
        chosen["sign"] = SIGNS[sign]
    return chosen, ORDERS[order]


def _describe(upload: Upload) -> None:
    result = upload.result
    if result is None:
        st.error(upload.error)
        return
    dates = [t.date for t in result.transactions]
    st.write(f"**{len(dates):,} transactions** from {min(dates)} to {max(dates)} · {result.file_format}"
             + (f" · column mapping {upload.mapping_source}" if upload.layout else ""))
    for warning in result.warnings:
        st.warning(warning)
    if result.rejected:
        with st.expander(f"{len(result.rejected)} row(s) will be skipped"):
            st.dataframe(pd.DataFrame([vars(r) for r in result.rejected]), hide_index=True,
                         key="imp_rejected_preview")
    st.dataframe(pd.DataFrame(upload.preview(10)), hide_index=True, key="imp_preview")


def _run_import(user, upload: Upload, file_id: str, account_id, new_account) -> None:
    bar = st.progress(0.0, text="Starting")
    try:
        with common.session() as conn:
            if account_id is None:
                name, kind, currency = new_account
                account_id = create_account(conn, cipher_for(conn, user.id), name, kind=kind,
                                            currency=currency or upload.file_currency)
            summary = import_upload(conn, user, upload, account_id,
                                    progress=lambda f, m: bar.progress(min(1.0, f), text=m))
    except (StatementParseError, ImportFailed, ValueError) as exc:
        st.error(f"Nothing was imported: {exc}")
        return
    st.session_state["imp_summary"] = summary.as_dict()
    st.session_state["imp_done"] = upload.sha256
    st.session_state["imp_done_file"] = file_id  # the uploader's file: its summary, not its preview
    st.session_state["imp_done_batch"] = st.session_state["imp_undo_next"] = str(summary.batch_id)
    if new_account:
        st.session_state["imp_account_next"] = new_account[0]
    st.rerun()


def _summary() -> None:
    s = st.session_state.get("imp_summary")
    if not s:
        return
    with st.container(border=True):
        st.success(f"Imported {s['n_imported']:,} transaction(s) from {s['filename']}.")
        c = st.columns(5)
        c[0].metric("Imported", f"{s['n_imported']:,}")
        c[1].metric("Duplicates skipped", f"{s['n_duplicates']:,}")
        c[2].metric("Possible duplicates", f"{s['n_possible_duplicates']:,}")
        c[3].metric("Rejected rows", f"{s['n_rejected']:,}")
        c[4].metric("Transfers found", f"{s['n_transfers']:,}")
        if s["n_possible_duplicates"]:
            st.info("Possible duplicates were imported and flagged: decide on the Possible duplicates tab.")
        if s["rejected"]:
            st.dataframe(pd.DataFrame(s["rejected"]), hide_index=True, key="imp_rejected")
        for note in s.get("notes", []):
            st.info(note)
        for warning in dict.fromkeys(s["warnings"]):
            st.warning(warning)
        if not s["n_imported"]:
            st.caption("This import added no transactions, so there is nothing to undo.")
        st.button("Import another file", key="imp_another", on_click=_import_another)


def _import_another() -> None:
    """Forget the summary and empty the uploader (a file uploader cannot be cleared through
    session state, so it gets a new key)."""
    for key in ("imp_summary", "imp_done_file"):
        st.session_state.pop(key, None)
    st.session_state["imp_uploads"] = st.session_state.get("imp_uploads", 0) + 1


def _uploader_key() -> str:
    uploads = st.session_state.get("imp_uploads", 0)
    return "imp_file" if not uploads else f"imp_file_{uploads}"


def _batches(user) -> None:
    with common.session() as conn:
        batches = list_batches(conn)
    if not batches:
        return
    st.subheader("Recent imports")
    table = pd.DataFrame(batches).drop(columns=["id", "rejected_rows"])
    table["created_at"] = pd.to_datetime(table["created_at"], utc=True).dt.strftime(
        "%Y-%m-%d %H:%M:%S UTC")  # to the second, as the Undo picker names them
    st.dataframe(table.rename(columns=BATCH_COLUMNS), hide_index=True, key="imp_batches")
    choices = undo_choices(batches)
    if "imp_undo_next" in st.session_state:  # an import just finished: select it, or nothing
        just_made = st.session_state.pop("imp_undo_next")
        st.session_state["imp_undo_pick"] = just_made if just_made in choices else None
    if not choices:
        st.caption("Nothing to undo: these imports added no transactions or were undone.")
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    pick = c1.selectbox("Undo an import (removes its transactions)", list(choices),
                        format_func=choices.__getitem__, index=None, key="imp_undo_pick",
                        placeholder="Choose an import")
    if c2.button("Undo this import", key="imp_undo", disabled=pick is None):
        with common.session() as conn:
            n = undo_batch(conn, user, pick)
        if pick == st.session_state.get("imp_done_batch"):  # the import just made: its file can go again
            for key in ("imp_summary", "imp_done", "imp_done_file", "imp_done_batch"):
                st.session_state.pop(key, None)
        st.session_state["imp_notice"] = f"Import undone: {n} transaction(s) removed."
        st.rerun()


def render(user) -> None:
    if notice := st.session_state.pop("imp_notice", None):
        st.success(notice)
    with common.session() as conn:
        accounts = list_accounts(conn)
    account_id, new_account = _account(accounts)
    uploaded = st.file_uploader("Bank statement: CSV/TSV, OFX/QFX, QIF, MT940/MT942 or camt.052/053/054",
                                key=_uploader_key(), help="Any bank's export; unusual extensions are fine.")
    if uploaded is not None and uploaded.file_id != st.session_state.get("imp_done_file"):
        st.session_state.pop("imp_summary", None)  # another file: the last summary is done with
        _upload(user, uploaded, account_id, new_account)
    else:  # nothing dropped, or the file just imported: its summary, not its preview again
        _summary()
    _batches(user)


def _analyze(data: bytes, name: str, account_id, currency: str | None, mapping: dict | None = None,
             order: str | None = None) -> Upload:
    """Parse once per file, account and mapping (kept for this browser session only)."""
    key = (hash(data), name, str(account_id), currency, repr(sorted((mapping or {}).items())), order)
    cached = st.session_state.get("imp_cache")
    if cached and cached[0] == key:
        return cached[1]
    with common.session() as conn:
        upload = analyze_upload(conn, data, name, account_id, mapping=mapping, date_order=order,
                                currency=currency)
    st.session_state["imp_cache"] = (key, upload)
    return upload


def _upload(user, uploaded, account_id, new_account) -> None:
    data, file_id = uploaded.getvalue(), uploaded.file_id
    currency = new_account[2] if new_account else None
    upload = _analyze(data, uploaded.name, account_id, currency)
    if upload.layout is not None and (upload.needs_confirmation or st.toggle(
            "Change the column mapping", key=f"imp_change_{file_id}")):
        if upload.needs_confirmation:
            confidence = upload.result.mapping_confidence if upload.result else None
            st.warning("Please check which column is which" + (f" (detection confidence {confidence:.0%})"
                                                              if confidence is not None else "") + ".")
        mapping, order = _mapping_form(upload, file_id)
        upload = _analyze(data, uploaded.name, account_id, currency, mapping, order)
    elif upload.result is None:
        st.error(upload.error)
        return
    _describe(upload)
    if upload.result is None:
        return
    if st.session_state.get("imp_done") == upload.sha256:
        st.caption("This file has been imported; importing it again adds nothing new.")
    if new_account and not new_account[0]:
        st.info("Name the new account to import.")
        return
    if st.button(f"Import {len(upload.result.transactions):,} transactions", key="imp_go", type="primary"):
        _run_import(user, upload, file_id, account_id, new_account)

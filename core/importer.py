"""Import a parsed statement into one account: one transaction, all or nothing.

:func:`import_statement` parses (a file that cannot be parsed raises
:class:`~core.importing.StatementParseError` before anything is written) and calls
:func:`import_parsed`, which, inside the caller's user session (one database transaction):

1. takes a per-account advisory lock (two imports into one account run one after the other);
2. computes dedupe keys and classifies rows against the account's existing rows
   (:mod:`core.dedupe`): exact duplicates are skipped, fuzzy ones inserted and flagged;
3. creates the ``import_batches`` row, gives each new line the merchant name the user already
   has for the same shop spelled another way (:mod:`core.merchant_spellings`), runs the user's
   rules (:mod:`core.rules`) on the new rows and bulk-inserts them through a binary COPY into
   a staging table (:mod:`core.import_writer`); the raw lines are stored once per batch,
   encrypted with the user's data key (:mod:`core.import_raw`);
4. stores QIF split lines in ``transaction_splits``, marks pending rows that are now booked,
   pairs transfers with the user's other accounts (:mod:`core.transfers`), writes the counts
   to the batch and an audit entry.

Any error rolls the whole transaction back: no rows, no batch. Categories not set by a rule
stay empty (``category_source`` null) for the categorizer job.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

import psycopg

from core import audit
from core.bulk import copy_insert
from core.crypto import KeyProvider, UserCipher, user_cipher
from core.dedupe import CENT, ExactMatcher, KeyMaker, bank_id_keys
from core.dedupe_store import existing_rows, flag_possible
from core.identity import AuthUser
from core.import_raw import seal_lines, store_batch_lines
from core.import_writer import CHUNK, FIRST_CHUNK, build_rows, insert_rows, time_ordered_ids
from core.importing import ParsedTransaction, ParseResult, RejectedRow, parse_statement
from core.importing.balances import closing_balance, has_balances
from core.importing.parse import gc_paused
from core.merchant_spellings import unify_spellings
from core.rules import compile_rules
from core.rules_store import list_rules
from core.transfers import detect_transfers, unpair_batch

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
MAX_AMOUNT = Decimal("1e12")


class ImportFailed(Exception):
    """An import that cannot go ahead (unknown account or batch); nothing was written."""


@dataclass
class ImportSummary:
    """What one import did (also stored on its ``import_batches`` row)."""

    batch_id: uuid.UUID
    account_id: uuid.UUID
    filename: str
    file_format: str
    n_parsed: int
    n_imported: int
    n_duplicates: int
    n_possible_duplicates: int
    n_rejected: int
    n_transfers: int
    n_rule_matches: int
    rejected: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the import set besides the rows
    date_from: str | None = None
    date_to: str | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["batch_id"], out["account_id"] = str(self.batch_id), str(self.account_id)
        return out


def _noop(fraction: float, message: str) -> None:
    return None


class _Clock:
    """Seconds spent per stage (reported in the summary and by the benchmark)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


def _account(conn: psycopg.Connection, account_id: Any) -> tuple[uuid.UUID, str]:
    row = conn.execute("select id, currency from public.accounts where id = %s", [account_id]).fetchone()
    if row is None:
        raise ImportFailed(f"account {account_id} does not exist")
    return row[0], row[1]


def _split_rows(conn: psycopg.Connection, user_id: Any, inserted: dict[str, uuid.UUID],
                txns: list[ParsedTransaction], keys: list[str], new: list[int]) -> list[tuple]:
    cats = dict(conn.execute("select lower(name), id from public.categories"
                             " order by parent_id nulls first").fetchall())
    rows = []
    for i in new:
        tx_id = inserted.get(keys[i])
        if tx_id is None or not txns[i].splits:
            continue
        for pos, part in enumerate(txns[i].splits):
            amount = Decimal(str(part.get("amount") or "0")).quantize(CENT)
            if amount == 0:
                continue
            label = str(part.get("category") or "")
            leaf = label.split(":")[-1].split("/")[0].strip().lower()
            memo = " — ".join(p for p in (label, str(part.get("memo") or "")) if p)[:500]
            rows.append((str(user_id), tx_id, cats.get(leaf), amount, memo, pos))
    return rows


def import_parsed(conn: psycopg.Connection, user: AuthUser, cipher: UserCipher, account_id: Any,
                  result: ParseResult, *, file_sha256: str | None = None,
                  progress: Progress | None = None, tolerance_days: int = 3) -> ImportSummary:
    """Write ``result`` into ``account_id`` for ``user`` (see the module docstring)."""
    with gc_paused():  # ~100k short-lived row objects: no cyclic collection while building them
        return _import_parsed(conn, user, cipher, account_id, result, file_sha256=file_sha256,
                              progress=progress, tolerance_days=tolerance_days)


def _import_parsed(conn: psycopg.Connection, user: AuthUser, cipher: UserCipher, account_id: Any,
                   result: ParseResult, *, file_sha256: str | None, progress: Progress | None,
                   tolerance_days: int) -> ImportSummary:
    progress = progress or _noop
    account, account_currency = _account(conn, account_id)
    conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"import:{account}"])
    fresh = conn.execute(  # a new account: the file's closing balance may set its opening one
        "select opening_balance = 0 and not exists (select 1 from public.transactions t"
        " where t.account_id = a.id) from public.accounts a where a.id = %s", [account]).fetchone()[0]
    rejected = list(result.rejected)
    txns: list[ParsedTransaction] = []
    for t in result.transactions:
        if abs(t.amount) >= MAX_AMOUNT:
            rejected.append(RejectedRow(t.line, "amount", format(t.amount, "f"),
                                        "expected an amount below 1,000,000,000,000"))
        else:
            txns.append(t)
    if not txns:
        raise ImportFailed(f"{result.filename}: no transaction with a usable amount; nothing was imported")
    warnings = list(result.warnings)
    if file_sha256 and conn.execute(
            "select 1 from public.import_batches where account_id = %s and file_sha256 = %s"
            " and status = 'completed'", [account, file_sha256]).fetchone():
        warnings.append("this file was imported into this account before; only new rows are added")
    progress(0.1, "checking for duplicates")
    clock = _Clock()
    start, end = min(t.date for t in txns), max(t.date for t in txns)
    matcher = ExactMatcher(existing_rows(conn, account, start, end,
                                         bank_id_keys(t.external_id for t in txns), tolerance_days))
    batch = conn.execute(
        "insert into public.import_batches (account_id, filename, file_format, file_sha256, date_from,"
        " date_to) values (%s, %s, %s, %s, %s, %s) returning id",
        [account, result.filename[:255], result.file_format, file_sha256, start, end]).fetchone()[0]
    rules = compile_rules(list_rules(conn))
    clock.lap("dedupe")
    unify_spellings(conn, txns)  # before build_rows runs the rules, which match merchant names
    clock.lap("merchant_names")
    keys, total, matched, raw_blob = [""] * len(txns), len(txns), 0, []
    found = matcher.result

    def chunks():
        """Keys, exact duplicates, rules and rows one chunk at a time, so that the database
        inserts a chunk while the next one is built."""
        nonlocal matched
        maker, next_id = KeyMaker(), time_ordered_ids()
        bounds = [0, *range(min(FIRST_CHUNK, total), total, CHUNK), total]  # small first: DB starts early
        for begin, stop in zip(bounds, bounds[1:], strict=False):
            first = len(found.new)
            for i in range(begin, stop):
                t = txns[i]
                keys[i] = key = maker.key(t.date, t.amount, t.description, t.payee, t.external_id)
                matcher.offer(i, key, t.pending)
            built = build_rows(txns, found.new[first:], keys, user_id=user.id, account_id=account,
                               account_currency=account_currency, batch_id=batch, rules=rules,
                               first_pos=first, next_id=next_id)
            matched += built.rule_matches
            progress(0.1 + 0.7 * begin / total, f"saving rows {begin + 1:,}-{stop:,} of {total:,}")
            yield built.rows
        if found.new:  # sealed while the writer thread inserts the last chunk
            raw_blob.append(seal_lines(cipher, [txns[i].raw for i in found.new]))

    inserted = insert_rows(conn, chunks())
    if inserted and raw_blob:
        store_batch_lines(conn, batch, raw_blob[0])
    possible = flag_possible(conn, user.id, account, matcher, txns, keys, inserted, tolerance_days)
    clock.lap("insert")
    progress(0.85, "splits, transfers and totals")
    if any(t.splits for t in txns):
        wanted = [keys[i] for i in found.new if txns[i].splits and keys[i] in inserted]
        ids = dict(conn.execute("select dedupe_key, id from public.transactions where batch_id = %s"
                                " and dedupe_key = any(%s)", [batch, wanted]).fetchall())
        copy_insert(conn, "transaction_splits",
                    ["user_id", "transaction_id", "category_id", "amount", "memo", "position"],
                    _split_rows(conn, user.id, ids, txns, keys, found.new))
    if found.posted:
        conn.execute("update public.transactions set pending = false where id = any(%s)", [found.posted])
    transfers = detect_transfers(conn, batch, tolerance_days=tolerance_days, start=start, end=end,
                                 amounts={txns[i].amount.quantize(CENT) for i in found.new
                                          if keys[i] in inserted}) if inserted else 0
    ruled = matched
    notes: list[str] = []
    if fresh and inserted:
        _opening_from_file(conn, account, batch, txns, warnings, notes)
    clock.lap("splits_and_transfers")
    rejected_json = [{"line": r.line, "field": r.field, "value": r.value[:200], "reason": r.reason}
                     for r in rejected]
    summary = ImportSummary(
        batch_id=batch, account_id=account, filename=result.filename, file_format=result.file_format,
        n_parsed=len(txns), n_imported=len(inserted), n_duplicates=len(txns) - len(inserted),
        n_possible_duplicates=possible, n_rejected=len(rejected), n_transfers=transfers,
        n_rule_matches=ruled, rejected=rejected_json, warnings=warnings, notes=notes,
        date_from=start and start.isoformat(), date_to=end and end.isoformat())
    conn.execute("""
        update public.import_batches set n_imported = %s, n_duplicates = %s, n_possible_duplicates = %s,
          n_rejected = %s, rejected = %s, n_transfers = %s, n_rule_matches = %s, warnings = %s
        where id = %s""", [summary.n_imported, summary.n_duplicates, possible, len(rejected),
                           json.dumps(rejected_json), transfers, ruled, json.dumps(warnings), batch])
    audit.record(conn, user, "import", {"batch_id": str(batch), "format": result.file_format,
                                        "imported": summary.n_imported, "duplicates": summary.n_duplicates})
    clock.lap("batch_and_audit")
    summary.timings = clock.laps
    progress(1.0, "done")
    log.info("import %s into %s: %d new, %d duplicates, %d possible, %d rejected", result.filename,
             account, summary.n_imported, summary.n_duplicates, possible, len(rejected))
    return summary


def _opening_from_file(conn: psycopg.Connection, account: Any, batch: Any,
                       txns: list[ParsedTransaction], warnings: list[str], notes: list[str]) -> None:
    """Give a new account the opening balance that makes it end at the file's closing balance
    when the file's balance column adds up (said in ``notes``; else in ``warnings``). The batch
    records the value, so :func:`undo_batch` can take it back."""
    if not has_balances(txns):
        return
    closing = closing_balance(txns)
    if closing is None:
        warnings.append("the file's balance column does not add up with its amounts (rows out of"
                        " order, or several accounts), so the account's opening balance stays 0")
        return
    total = conn.execute("select coalesce(sum(amount), 0) from public.transactions"
                         " where account_id = %s and not pending", [account]).fetchone()[0]
    opening = (closing - total).quantize(CENT)
    conn.execute("update public.accounts set opening_balance = %s where id = %s",
                 [opening, account])
    conn.execute("update public.import_batches set opening_balance_set = %s where id = %s",
                 [opening, batch])
    notes.append(f"Opening balance set to {opening:,} so that the account ends at the file's"
                 f" closing balance of {closing.quantize(CENT):,}.")


def import_statement(conn: psycopg.Connection, user: AuthUser, provider: KeyProvider, data: bytes,
                     filename: str, account_id: Any, *, mapping: dict[str, str] | None = None,
                     date_order: str | None = None, progress: Progress | None = None) -> ImportSummary:
    """Parse ``data`` and import it into ``account_id``; parse errors raise before any write."""
    currency = conn.execute("select currency from public.accounts where id = %s", [account_id]).fetchone()
    if currency is None:
        raise ImportFailed(f"account {account_id} does not exist")
    (progress or _noop)(0.02, "reading the file")
    result = parse_statement(data, filename, mapping=mapping, date_order=date_order,
                             default_currency=currency[0])
    cipher = user_cipher(conn, user.id, provider)
    return import_parsed(conn, user, cipher, account_id, result,
                         file_sha256=hashlib.sha256(data).hexdigest(), progress=progress)


def list_batches(conn: psycopg.Connection, limit: int = 20) -> list[dict[str, Any]]:
    """The user's latest imports, newest first."""
    rows = conn.execute("""
        select b.id, b.created_at, b.filename, b.file_format, a.name, b.status, b.n_imported,
               b.n_duplicates, b.n_possible_duplicates, b.n_rejected, b.n_transfers, b.rejected
        from public.import_batches b left join public.accounts a on a.id = b.account_id
        order by b.created_at desc limit %s""", [limit]).fetchall()
    names = ["id", "created_at", "filename", "format", "account", "status", "imported", "duplicates",
             "possible_duplicates", "rejected", "transfers", "rejected_rows"]
    return [dict(zip(names, r, strict=True)) for r in rows]


def undo_batch(conn: psycopg.Connection, user: AuthUser, batch_id: Any) -> int:
    """Delete every transaction of the batch (splits and corrections go with them), unpair
    transfers and clear duplicate flags that pointed at them; returns rows deleted.

    When the batch set its new account's opening balance, that goes back to 0 too, unless the
    user has changed it since or the account still holds transactions of another import."""
    row = conn.execute("select status, account_id, opening_balance_set from public.import_batches"
                       " where id = %s for update", [batch_id]).fetchone()
    if row is None:
        raise ImportFailed(f"import batch {batch_id} does not exist")
    if row[0] == "undone":
        return 0
    unpair_batch(conn, batch_id)
    conn.execute("""
        update public.transactions set possible_duplicate_of = null, duplicate_reason = null
        where possible_duplicate_of in (select id from public.transactions where batch_id = %s)
          and batch_id is distinct from %s""", [batch_id, batch_id])
    n = conn.execute("delete from public.transactions where batch_id = %s", [batch_id]).rowcount
    if row[2] is not None:
        conn.execute("""
            update public.accounts a set opening_balance = 0 where a.id = %s
              and a.opening_balance = %s
              and not exists (select 1 from public.transactions t where t.account_id = a.id)""",
                     [row[1], row[2]])
    conn.execute("update public.import_batches set status = 'undone', undone_at = now() where id = %s",
                 [batch_id])
    audit.record(conn, user, "import_undone", {"batch_id": str(batch_id), "deleted": n})
    log.info("batch %s undone: %d transaction(s) deleted", batch_id, n)
    return n

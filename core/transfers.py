"""Transfers between the user's own accounts: pair opposite amounts on close dates.

After an import, every new row is compared with the user's other accounts: the same
currency, the opposite amount, dated at most ``tolerance_days`` apart, neither side already
paired nor excluded nor a possible duplicate. Pairs are chosen one to one, closest dates
first; both sides get ``is_transfer = true`` and point at each other through
``transfer_pair_id`` so they count neither as spending nor as income. A side without a
category (or with only a model's guess) is filed under Transfers: "Credit Card Payment" when
one account is a credit card, "Savings & Investments" for savings/investment accounts, else
"Between Accounts".
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from decimal import Decimal

import psycopg

log = logging.getLogger(__name__)

EXPLANATION = "Transfer between your accounts"


def _transfer_categories(conn: psycopg.Connection) -> dict[str, uuid.UUID]:
    """The user's transfer categories by lower-case name; ``""`` is the fallback for "Between
    Accounts" when the user renamed it (Settings > Categories): the first transfer category
    that is not one of the other two defaults."""
    rows = conn.execute("""
        select lower(c.name), c.id from public.categories c
        join public.categories p on p.id = c.parent_id
        where p.kind = 'transfer' or lower(p.name) = 'transfers' or c.kind = 'transfer'
        order by c.created_at, c.name""").fetchall()
    cats = dict(rows)
    others = [cid for name, cid in rows if name not in ("credit card payment",
                                                        "savings & investments")]
    if rows:
        cats[""] = (others or [rows[0][1]])[0]
    return cats


def _category_for(kinds: tuple[str, str], cats: dict[str, uuid.UUID]) -> uuid.UUID | None:
    between = cats.get("between accounts") or cats.get("")
    if "credit" in kinds:
        return cats.get("credit card payment") or between
    if {"savings", "investment"} & set(kinds):
        return cats.get("savings & investments") or between
    return between


def _pairs(new_rows: list[tuple], others: list[tuple], tolerance_days: int) -> list[tuple]:
    """One-to-one pairs (new id, other id, other account), closest dates first."""
    by_key: dict[tuple[str, Decimal], list[tuple]] = defaultdict(list)
    for row in others:
        by_key[(row[3], row[2])].append(row)
    candidates = []
    for tx_id, date, amount, currency, account in new_rows:
        for o_id, o_date, _o_amount, _o_cur, o_account in by_key.get((currency, -amount), ()):
            gap = abs((o_date - date).days)
            if gap <= tolerance_days and o_account != account:
                candidates.append((gap, date, str(tx_id), str(o_id), tx_id, o_id, account, o_account))
    candidates.sort(key=lambda c: c[:4])
    used: set[uuid.UUID] = set()
    pairs = []
    for *_, a, b, account_a, account_b in candidates:
        if a not in used and b not in used:
            used.update((a, b))
            pairs.append((a, b, account_a, account_b))
    return pairs


def detect_transfers(conn: psycopg.Connection, batch_id: uuid.UUID, *, tolerance_days: int = 3,
                     amounts: set[Decimal] | None = None, start: dt.date | None = None,
                     end: dt.date | None = None) -> int:
    """Pair this batch's rows with opposite rows in the user's other accounts; returns the
    number of pairs marked.

    ``amounts``, ``start`` and ``end`` (the batch's amounts and date range) spare reading the
    batch when the caller has them. The other accounts' rows in the date window with one of
    the opposite amounts are read first (usually none); only then the batch rows with the
    matching amounts. Pairing happens in Python, so the cost never depends on the planner's
    statistics for rows inserted a moment ago.
    """
    account = conn.execute("select account_id from public.import_batches where id = %s",
                           [batch_id]).fetchone()
    if account is None:
        return 0
    if amounts is None or start is None or end is None:
        start, end, listed = conn.execute("""
            select min(date), max(date), array_agg(distinct amount) from public.transactions
            where batch_id = %s""", [batch_id]).fetchone()
        amounts = set(listed or [])
    if not amounts or start is None or end is None:
        return 0
    accounts = [r[0] for r in conn.execute("select id from public.accounts where id <> %s",
                                           [account[0]]).fetchall()]
    if not accounts:  # the user's only account: nothing to pair with
        return 0
    others = conn.execute("""
        select t.id, t.date, t.amount, t.currency, t.account_id from public.transactions t
        where t.account_id = any(%s::uuid[]) and t.date between %s and %s
          and t.amount = any(%s::numeric[])
          and t.amount <> 0 and t.transfer_pair_id is null and not t.excluded
          and t.possible_duplicate_of is null""",
                          [accounts, start - dt.timedelta(days=tolerance_days),
                           end + dt.timedelta(days=tolerance_days), list({-a for a in amounts})]).fetchall()
    if not others:
        return 0
    new_rows = conn.execute("""
        select id, date, amount, currency, account_id from public.transactions
        where batch_id = %s and amount = any(%s::numeric[]) and transfer_pair_id is null
          and not excluded and possible_duplicate_of is null""",
                            [batch_id, list({-o[2] for o in others})]).fetchall()
    pairs = _pairs(new_rows, others, tolerance_days) if others else []
    if not pairs:
        return 0
    kinds = dict(conn.execute("select id, kind from public.accounts").fetchall())
    categories = _transfer_categories(conn)
    ids, partners, cats = [], [], []
    for a, b, account_a, account_b in pairs:
        cat = _category_for((kinds.get(account_a, ""), kinds.get(account_b, "")), categories)
        ids += [a, b]
        partners += [b, a]
        cats += [cat, cat]
    conn.execute("""
        update public.transactions t set is_transfer = true, transfer_pair_id = v.other,
          category_id = case when t.category_source is null or t.category_source in ('model', 'prior')
                             then coalesce(v.cat, t.category_id) else t.category_id end,
          category_explanation = case when (t.category_source is null
                                            or t.category_source in ('model', 'prior')) and v.cat is not null
                                      then %s else t.category_explanation end,
          category_confidence = case when (t.category_source is null
                                           or t.category_source in ('model', 'prior')) and v.cat is not null
                                     then 1 else t.category_confidence end,
          needs_review = case when v.cat is not null and t.category_source is distinct from 'user'
                              then false else t.needs_review end,
          category_source = case when (t.category_source is null
                                       or t.category_source in ('model', 'prior')) and v.cat is not null
                                 then 'rule' else t.category_source end
        from unnest(%s::uuid[], %s::uuid[], %s::uuid[]) as v(id, other, cat)
        where t.id = v.id""", [EXPLANATION, ids, partners, cats])
    log.info("batch %s: %d transfer pair(s) marked", batch_id, len(ids) // 2)
    return len(ids) // 2


def unpair_batch(conn: psycopg.Connection, batch_id: uuid.UUID) -> int:
    """Before a batch is undone: its rows' partners in other batches stop being transfers
    (and lose the Transfers category this module gave them)."""
    cur = conn.execute("""
        update public.transactions t set is_transfer = false, transfer_pair_id = null,
          category_id = case when t.category_explanation = %s then null else t.category_id end,
          category_source = case when t.category_explanation = %s then null else t.category_source end,
          category_confidence = case when t.category_explanation = %s then null
                                     else t.category_confidence end,
          category_explanation = case when t.category_explanation = %s then null
                                      else t.category_explanation end
        where t.transfer_pair_id in (select id from public.transactions where batch_id = %s)
          and t.batch_id is distinct from %s""",
                       [EXPLANATION] * 4 + [batch_id, batch_id])
    return cur.rowcount

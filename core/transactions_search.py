"""The transactions table's query, all in SQL under the user's RLS.

* :func:`search`: text search (every word of the query must begin a word of the description,
  merchant or payee, case-insensitively, or be a word of the encrypted notes through their
  blind index, see :mod:`core.notes_index`), filters, pagination and the totals of the whole
  filter, computed in the database (filtered by category, money in/out add up the matching
  lines of ``transaction_lines``: a split transaction counts only its parts in the filter's
  categories). Text is matched with ``ILIKE`` then a word-start regex
  over the user's rows (found through the user's date index): about 0.1 s at 100,000 rows,
  and no full-text index to maintain on every imported row (see the migration
  ``20261122000000_import_speed``).
* :func:`matching_ids`: every id of a filter, for the table's bulk actions
  (:mod:`core.bulk_edit`).
* :func:`amount_bounds` / :func:`category_options`: the filter widgets' values.

Per-row edits, notes, split labels and duplicates are in :mod:`core.transaction_rows`;
corrections, similar transactions and splits in :mod:`core.corrections`.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd
import psycopg

from core import categories
from core.crypto import UserCipher
from core.notes_index import query_terms, search_key
from core.transaction_rows import decrypt_note

log = logging.getLogger(__name__)

# a query word must start a word of the text; the cheap ILIKE filters before the regex runs
_TEXT = "(t.description || ' ' || coalesce(t.merchant, '') || ' ' || coalesce(t.payee, ''))"
TEXT_MATCH = f"({_TEXT} ilike %s and {_TEXT} ~* %s)"
_WORD = re.compile(r"\w+")
COLUMNS = ["id", "date", "account", "description", "merchant", "amount", "currency", "category_id",
           "category", "suggested", "confidence", "source", "explanation", "tags", "notes_enc",
           "is_transfer", "excluded", "needs_review", "possible_duplicate_of", "duplicate_reason",
           "has_splits", "split_parts", "pending", "batch_id"]
SPLIT_PARTS = """(
  select array_agg(coalesce(sc.name, 'uncategorized') || ' ' || s.amount::text
                   order by s.position, s.id) as parts
  from public.transaction_splits s left join public.categories sc on sc.id = s.category_id
  where s.transaction_id = t.id)"""
"""SQL (``left join lateral ... sp on true``): ``sp.parts``, the parts of transaction ``t``'s
split in order ("Groceries -60.00"), or null when it is not split."""


@dataclass
class Filters:
    """What the table shows; empty values filter nothing. ``category_ids`` include their
    sub-categories. Amount bounds are signed (negative = money out); bounds given the wrong
    way round are used in order (see :func:`amount_bounds`)."""

    text: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    account_ids: list[Any] = field(default_factory=list)
    category_ids: list[Any] = field(default_factory=list)
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    uncategorized: bool = False
    needs_review: bool = False
    possible_duplicates: bool = False
    batch_id: Any = None


@dataclass
class Page:
    """One page of rows plus the totals of the whole filter, per currency (transfers and
    excluded rows are counted in ``n`` but not in money in/out; filtered by category, money
    in/out count a split transaction's parts in those categories only)."""

    rows: pd.DataFrame
    total: int
    totals: list[dict[str, Any]]
    offset: int = 0  # of the first row shown: the one asked for, or the last page's if past the end



def category_options(conn: psycopg.Connection) -> list[tuple[uuid.UUID, str]]:
    """(id, "Parent › Child") for every category, groups too, in display order (for filters;
    a transaction is filed under a leaf only, see :func:`core.categories.leaf_options`)."""
    return categories.category_options(conn)


def amount_bounds(low: float | Decimal | None, high: float | Decimal | None
                  ) -> tuple[Decimal | None, Decimal | None, bool]:
    """The amount filter's bounds as decimals, in order, and whether they were given reversed
    ("from 100 to -100" means -100 to 100, as the date picker orders a date range)."""
    lo = None if low is None else Decimal(str(low))
    hi = None if high is None else Decimal(str(high))
    ordered = _ordered(lo, hi)
    return *ordered, ordered != (lo, hi)


def _ordered(low: Any, high: Any) -> tuple[Any, Any]:
    return (high, low) if low is not None and high is not None and low > high else (low, high)


def _where(f: Filters, notes_key: bytes | None) -> tuple[str, list[Any]]:
    clauses, params = ["true"], []
    for word in _WORD.findall(f.text or "")[:8]:
        clause = TEXT_MATCH
        pattern = "%" + word.replace("\\", "\\\\").replace("_", "\\_") + "%"
        params += [pattern, r"\m" + word]  # \m: start of a word (a \w+ word has no regex syntax)
        terms = query_terms(word, notes_key) if notes_key else []
        if terms:
            clause = f"({clause} or (t.notes_terms <> '{{}}' and t.notes_terms @> %s::text[]))"
            params.append(terms)
        clauses.append(clause)
    date_from, date_to = _ordered(f.date_from, f.date_to)
    amount_min, amount_max = _ordered(f.amount_min, f.amount_max)
    simple = [("t.date >= %s", date_from), ("t.date <= %s", date_to),
              ("t.amount >= %s", amount_min), ("t.amount <= %s", amount_max),
              ("t.batch_id = %s", f.batch_id)]
    for sql, value in simple:
        if value is not None and value != "":
            clauses.append(sql)
            params.append(value)
    if f.account_ids:
        clauses.append("t.account_id = any(%s::uuid[])")
        params.append([str(a) for a in f.account_ids])
    if f.category_ids:  # the transaction's category, or one of its split parts' (a group: its leaves)
        wanted = ("(%s = any(%s::uuid[]) or {col} in (select id from public.categories"
                  " where parent_id = any(%s::uuid[])))")
        clauses.append("(" + wanted.format(col="t.category_id").replace("%s =", "t.category_id =", 1)
                       + " or exists (select 1 from public.transaction_splits s"
                       " where s.transaction_id = t.id and "
                       + wanted.format(col="s.category_id").replace("%s =", "s.category_id =", 1)
                       + "))")
        ids = [str(c) for c in f.category_ids]
        params += [ids, ids, ids, ids]
    if f.uncategorized:
        clauses.append("t.category_id is null")
    if f.needs_review:
        clauses.append("t.needs_review")
    if f.possible_duplicates:
        clauses.append("t.possible_duplicate_of is not null")
    return " and ".join(clauses), params


def _counted(f: Filters) -> tuple[str, list[Any]]:
    """SQL over the matches ``m``: what each adds to money in/out. Itself; or, filtered by
    category, its lines in those categories (``transaction_lines``: a split transaction only
    its matching parts, as the dashboard counts them)."""
    if not f.category_ids:
        return "select m.currency, m.amount, m.is_transfer, m.excluded from m", []
    ids = [str(c) for c in f.category_ids]
    return ("select m.currency, l.amount, m.is_transfer, m.excluded from m"
            " join public.transaction_lines l on l.transaction_id = m.id"
            " where (l.category_id = any(%s::uuid[]) or l.category_id in"
            " (select id from public.categories where parent_id = any(%s::uuid[])))", [ids, ids])


def search(conn: psycopg.Connection, filters: Filters, *, limit: int = 50, offset: int = 0,
           cipher: UserCipher | None = None, user_id: Any = None) -> Page:
    """A page of matching transactions (newest first), their count and totals.

    With ``cipher`` and ``user_id`` the text also searches notes, and notes are decrypted
    into a ``notes`` column; without them notes are neither searched nor shown. An ``offset``
    past the last match shows the last page (``Page.offset`` says which rows are shown).
    """
    limit = max(1, int(limit))
    offset = min(max(0, int(offset)), 2 ** 62)  # bigint
    key = search_key(conn, cipher, user_id) if cipher is not None and user_id is not None else None
    where, params = _where(filters, key)
    lines, line_params = _counted(filters)
    # one pass over the user's rows finds the matches; totals and the page come from them
    totals, page_ids, offset = conn.execute(f"""
        with m as materialized (
          select t.id, t.date, t.created_at, t.currency, t.amount, t.is_transfer, t.excluded
          from public.transactions t where {where}),
        v as ({lines}),
        money as (
          select v.currency,
                 coalesce(sum(v.amount) filter (where v.amount > 0 and not (v.is_transfer or v.excluded)), 0)
                   as money_in,
                 coalesce(-sum(v.amount) filter (where v.amount < 0 and not (v.is_transfer or v.excluded)), 0)
                   as money_out
          from v group by v.currency),
        sums as (
          select c.currency, c.n, coalesce(money.money_in, 0) as money_in,
                 coalesce(money.money_out, 0) as money_out
          from (select m.currency, count(*) as n from m group by m.currency) c
          left join money on money.currency = c.currency),
        start as (  -- the offset asked for, or the last page's when it is past the end
          select least(%s::bigint, greatest((count(*) - 1) / %s * %s, 0)) as o from m)
        select (select coalesce(json_agg(json_build_array(currency, n, money_in::text, money_out::text)
                                         order by n desc), '[]') from sums),
               array(select m.id from m order by m.date desc, m.created_at desc, m.id
                     limit %s offset (select o from start)),
               (select o from start)""",
                                            [*params, *line_params, offset, limit, limit, limit]).fetchone()
    totals = [(c, n, Decimal(i), Decimal(o)) for c, n, i, o in totals]
    total = sum(r[1] for r in totals)
    rows = conn.execute(f"""
        select t.id, t.date, a.name, t.description, t.merchant, t.amount, t.currency, t.category_id,
               {categories.LABEL},
               case when t.category_id is null then (  -- the model's top suggestion, as a label
                 select sp.name || '{categories.SEPARATOR}' || sc.name from public.categories sc
                 join public.categories sp on sp.id = sc.parent_id
                 where lower(sc.name) = lower(t.category_suggestions -> 0 ->> 'category')
                 order by sc.created_at, sc.id limit 1) end,
               t.category_confidence, t.category_source,
               coalesce('Split: ' || array_to_string(sp.parts, ' · '),  -- a split says its parts
                        t.category_explanation),
               t.tags, t.notes_enc,
               t.is_transfer, t.excluded, t.needs_review, t.possible_duplicate_of, t.duplicate_reason,
               sp.parts is not null, sp.parts, t.pending, t.batch_id
        from public.transactions t
        join public.accounts a on a.id = t.account_id
        left join public.categories c on c.id = t.category_id
        left join public.categories p on p.id = c.parent_id
        left join lateral {SPLIT_PARTS} sp on true
        where t.id = any(%s)
        order by t.date desc, t.created_at desc, t.id""", [page_ids]).fetchall()
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["notes"] = [decrypt_note(cipher, b) for b in frame["notes_enc"]] if cipher else None
    frame = frame.drop(columns=["notes_enc"])
    return Page(frame, total, [{"currency": r[0], "n": r[1], "money_in": r[2], "money_out": r[3],
                                "net": r[2] - r[3]} for r in totals], int(offset))


def matching_ids(conn: psycopg.Connection, filters: Filters, *, cipher: UserCipher | None = None,
                 user_id: Any = None) -> list[uuid.UUID]:
    """The ids of every transaction matching ``filters`` (all pages, newest first), as
    :func:`search` finds them: for "select all N rows matching the filter"."""
    key = search_key(conn, cipher, user_id) if cipher is not None and user_id is not None else None
    where, params = _where(filters, key)
    return [r[0] for r in conn.execute(f"select t.id from public.transactions t where {where}"
                                       " order by t.date desc, t.created_at desc, t.id", params)]


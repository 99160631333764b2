"""The user's merchants, for the Merchants tab: one line per merchant (as the review queue and
the categorizer know it, :data:`core.queries.MERCHANT`, names compared ignoring case as a
rename compares them) with how many transactions it has, the money out and in, its usual
category, when it was first and last seen, and one of its transactions (what
:func:`core.merchant_rename.rename_merchant` is given).

:func:`suggestions` names the merchants that look like one shop written two ways
(:mod:`ml.merchant_pairs`), except the pairs the user kept apart (:func:`keep_apart`, table
``merchant_pairs_apart``).

Sums add the amounts as stored (like the dashboard's top merchants), and the currency column
says "mixed" where a merchant's rows are in several currencies; excluded rows and transfers
count here too: this is a list of names, not a spending report. Runs in the caller's
session (RLS).
"""

from __future__ import annotations

import logging

import pandas as pd
import psycopg

from core.queries import MERCHANT
from ml.merchant_pairs import Pair, apart_key, similar_pairs

log = logging.getLogger(__name__)

COLUMNS = ["merchant", "transactions", "money_out", "money_in", "currency", "category", "first",
           "last", "example_id"]
LIMIT = 500
"""At most this many merchants are listed (most transactions first); a search narrows them."""


def list_merchants(conn: psycopg.Connection, search: str = "", limit: int = LIMIT
                   ) -> tuple[pd.DataFrame, int]:
    """(the merchants whose name contains ``search``, most transactions first, at most
    ``limit``; how many match in all). A merchant written in several cases shows its most
    frequent spelling; its category is the one most of its categorized rows have."""
    text = search.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    needle = f"%{text}%" if text else None
    rows = conn.execute(f"""
        with m as (
          select {MERCHANT} as name, lower({MERCHANT}) as k, t.id, t.amount, t.date, t.currency,
                 case when c.parent_id is null then c.name
                      else coalesce(p.name || ' › ', '') || c.name end as category
          from public.transactions t
          left join public.categories c on c.id = t.category_id
          left join public.categories p on p.id = c.parent_id
          where %(needle)s::text is null or lower({MERCHANT}) like %(needle)s
        ), g as (
          select k, mode() within group (order by name) as name, count(*) as n,
                 coalesce(-sum(amount) filter (where amount < 0), 0)::float8 as money_out,
                 coalesce(sum(amount) filter (where amount > 0), 0)::float8 as money_in,
                 case when count(distinct currency) = 1 then min(currency) else 'mixed' end
                   as currency,
                 mode() within group (order by category) as category,
                 min(date) as first, max(date) as last,
                 (array_agg(id order by date desc, id))[1] as example_id
          from m group by k
        )
        select name, n, money_out, money_in, currency, category, first, last, example_id,
               count(*) over () as total
        from g order by n desc, lower(name) limit %(limit)s""",
                        {"needle": needle, "limit": limit}).fetchall()
    total = int(rows[0][-1]) if rows else 0
    return pd.DataFrame([r[:-1] for r in rows], columns=COLUMNS), total


def kept_apart(conn: psycopg.Connection) -> set[tuple[str, str]]:
    """The pairs the user said are different merchants (lower case, in order)."""
    return {(a, b) for a, b in conn.execute("select name_a, name_b from public.merchant_pairs_apart")}


def keep_apart(conn: psycopg.Connection, a: str, b: str) -> None:
    """Remember that merchants ``a`` and ``b`` are different shops: not suggested again."""
    x, y = apart_key(a, b)
    if x == y:
        raise ValueError("a merchant cannot be kept apart from itself")
    conn.execute("insert into public.merchant_pairs_apart (name_a, name_b) values (%s, %s)"
                 " on conflict (user_id, name_a, name_b) do nothing", [x, y])
    log.info("two merchants kept apart")


def forget_apart(conn: psycopg.Connection, a: str, b: str) -> bool:
    """Suggest merging ``a`` and ``b`` again (undoes :func:`keep_apart`); whether it was kept."""
    x, y = apart_key(a, b)
    return conn.execute("delete from public.merchant_pairs_apart where name_a = %s and name_b = %s",
                        [x, y]).rowcount == 1


def suggestions(conn: psycopg.Connection, merchants: pd.DataFrame, limit: int = 5,
                apart: set[tuple[str, str]] | None = None) -> list[Pair]:
    """Merges worth asking about among ``merchants`` (:func:`list_merchants`), most
    transactions first: alike names not filed under different categories nor kept apart
    (``apart``: :func:`kept_apart`, when the caller has read it already)."""
    if len(merchants) < 2:
        return []
    cats = [c if isinstance(c, str) else None for c in merchants["category"]]
    return similar_pairs(list(merchants["merchant"]), list(merchants["transactions"]), cats,
                         kept_apart(conn) if apart is None else apart, limit)

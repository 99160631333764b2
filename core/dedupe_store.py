"""The database side of duplicate detection for imports (the rules are in :mod:`core.dedupe`).

:func:`existing_rows` reads the account's rows an incoming file may duplicate;
:func:`flag_possible` marks the new rows that look like existing ones, after they were
inserted (a possible duplicate is inserted like any new row, then flagged for the user).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Collection, Sequence

import psycopg

from core.dedupe import ExactMatcher, Existing, Incoming
from core.importing import ParsedTransaction

log = logging.getLogger(__name__)


def existing_rows(conn: psycopg.Connection, account_id: uuid.UUID, start: dt.date, end: dt.date,
                  bank_keys: Sequence[str], tolerance_days: int) -> list[Existing]:
    """The account's rows that an incoming row may duplicate: those dated in the file's range
    (widened by the tolerance), plus any row holding one of the file's bank ids."""
    columns = ("select id, date, amount, dedupe_key, dedupe_aliases, description, coalesce(merchant, ''),"
               " pending from public.transactions where account_id = %s and ")
    rows = {r[0]: r for r in conn.execute(columns + "date between %s::date - %s and %s::date + %s",
                                          [account_id, start, tolerance_days, end, tolerance_days])}
    if bank_keys:
        rows.update((r[0], r) for r in conn.execute(columns + "dedupe_key = any(%s)",
                                                    [account_id, list(bank_keys)]))
    return [Existing(r[0], r[1], r[2], (r[3], *r[4]), r[5], r[6], r[7]) for r in rows.values()]


def flag_possible(conn: psycopg.Connection, user_id: object, account_id: uuid.UUID,
                  matcher: ExactMatcher,
                  txns: Sequence[ParsedTransaction], keys: Sequence[str], inserted: Collection[str],
                  tolerance_days: int) -> int:
    """Find the inserted rows that look like existing ones (:meth:`ExactMatcher.possible`)
    and store the match and its reason on them; returns how many were flagged."""
    if not matcher.existing:
        return 0
    rest = [Incoming(i, txns[i].date, txns[i].amount, txns[i].description, txns[i].merchant, keys[i],
                     txns[i].pending) for i in matcher.result.new if keys[i] in inserted]
    possible = matcher.possible(rest, tolerance_days=tolerance_days)
    if not possible:
        return 0
    conn.execute("""
        update public.transactions t set possible_duplicate_of = v.dup, duplicate_reason = v.reason
        from unnest(%s::text[], %s::uuid[], %s::text[]) as v(key, dup, reason)
        where t.user_id = %s and t.account_id = %s and t.dedupe_key = v.key""",
                 [[keys[i] for i in possible], [d for d, _ in possible.values()],
                  [r for _, r in possible.values()], str(user_id), account_id])
    log.debug("%d possible duplicate(s) flagged", len(possible))
    return len(possible)

"""The shared merchant prior: how consenting users file merchants, for everyone's categorizer.

:func:`rebuild` replaces ``ml_cache.shared_merchant_categories`` in one transaction. It reads
only the users :func:`core.consents.consenting_user_ids` returns (purpose ``model_training``;
off until a user turns it on), each through a session under that user's own RLS, and only
their *decisions*: transactions with ``category_source = 'user'`` (set by every correction, in
the table, the review queue or in bulk), never rules, model guesses or transfers. Each user
casts one vote per merchant key (:func:`ml.text.merchant_key` of the merchant, or of the
description without one): the category of their latest correction for it, else the category
they filed it under most often.

Privacy: a (merchant, category) pair is published only when

* the category is a leaf name of the default taxonomy (a custom name can be personal),
* at least ``min_users`` (K, default 5, ``PFM_SHARED_PRIOR_MIN_USERS``, never below 2)
  distinct consenting users voted on the merchant, so no single user's merchant (a person's
  name, a small local business) can appear, and
* at least ``min_pair_users`` (2) of them chose that category.

No user id, amount, date or description leaves the per-user sessions. A withdrawal removes the
user's contribution at the next rebuild (the scheduler rebuilds nightly before the full run,
and ``python -m jobs --once`` rebuilds first). :func:`load` reads the table for the
categorization stage.
"""

from __future__ import annotations

import logging
import os
from collections import Counter, defaultdict
from collections.abc import Iterable

from core.consents import consenting_user_ids
from core.db import Database
from core.queries import MERCHANT
from ml.prior import DEFAULT_CATEGORIES
from ml.text import merchant_key

log = logging.getLogger(__name__)

MIN_USERS = 5
MIN_PAIR_USERS = 2
_DEFAULT = frozenset(DEFAULT_CATEGORIES)


def min_users_setting() -> int:
    """K from ``PFM_SHARED_PRIOR_MIN_USERS`` (default :data:`MIN_USERS`)."""
    return int(os.environ.get("PFM_SHARED_PRIOR_MIN_USERS", MIN_USERS))


def _user_votes(db: Database, user_id: object) -> dict[str, tuple[str, int]]:
    """One user's vote per merchant key: ``{key: (category, labels behind it)}``."""
    with db.job_user_session(str(user_id)) as conn:
        rows = conn.execute(f"""
            select {MERCHANT}, c.name, count(*),
                   max(k.created_at)
            from public.transactions t
            join public.categories c on c.id = t.category_id
            left join public.corrections k
              on k.transaction_id = t.id and k.new_category_id = t.category_id
            where t.category_source = 'user' and not t.excluded and not t.is_transfer
              and c.parent_id is not null
            group by 1, 2""").fetchall()
    per_key: dict[str, dict[str, list]] = defaultdict(dict)
    for raw, category, n, corrected in rows:
        key = merchant_key(raw)
        if not key:
            continue
        entry = per_key[key].setdefault(category, [0, None])
        entry[0] += int(n)
        if corrected is not None and (entry[1] is None or corrected > entry[1]):
            entry[1] = corrected
    votes: dict[str, tuple[str, int]] = {}
    for key, cats in per_key.items():
        corrected = [(when, name) for name, (_, when) in cats.items() if when is not None]
        name = max(corrected)[1] if corrected else \
            max(cats.items(), key=lambda kv: (kv[1][0], kv[0]))[0]
        votes[key] = (name, cats[name][0])
    return votes


def aggregate(votes: Iterable[dict[str, tuple[str, int]]], min_users: int,
              min_pair_users: int = MIN_PAIR_USERS) -> list[tuple[str, str, int, int]]:
    """``(merchant_key, category, n_users, n_labels)`` rows that pass the privacy rules."""
    voters: Counter[str] = Counter()
    pair_users: Counter[tuple[str, str]] = Counter()
    pair_labels: Counter[tuple[str, str]] = Counter()
    for user_votes in votes:
        for key, (category, n) in user_votes.items():
            voters[key] += 1
            pair_users[key, category] += 1
            pair_labels[key, category] += n
    return sorted((key, cat, n, pair_labels[key, cat]) for (key, cat), n in pair_users.items()
                  if voters[key] >= min_users and n >= min_pair_users and cat in _DEFAULT
                  and len(key) <= 200)


def rebuild(db: Database, min_users: int | None = None,
            min_pair_users: int = MIN_PAIR_USERS) -> int:
    """Replace the shared prior with what consenting users decide now; returns rows written."""
    k = min_users_setting() if min_users is None else int(min_users)
    if k < 2:
        log.warning("shared prior: K=%d is too small to hide a single user; using 2", k)
        k = 2
    with db.job_session() as conn:
        users = consenting_user_ids(conn)
    votes = [_user_votes(db, u) for u in users]
    rows = aggregate(votes, k, max(1, min_pair_users))
    with db.job_session() as conn:
        conn.execute("delete from ml_cache.shared_merchant_categories")
        with conn.cursor() as cur:
            cur.executemany("insert into ml_cache.shared_merchant_categories"
                            " (merchant_key, category, n_users, n_labels) values (%s, %s, %s, %s)",
                            rows)
    log.info("shared prior rebuilt from %d consenting user(s): %d merchant(s), %d row(s) (K=%d)",
             len(users), len({r[0] for r in rows}), len(rows), k)
    return len(rows)


def load(db: Database, keys: Iterable[str]) -> dict[str, dict[str, float]]:
    """``{merchant key: {default category: share of the users who filed it}}`` for ``keys``
    (job role; merchants not in the shared prior are left out)."""
    wanted = sorted({k for k in keys if k})
    if not wanted:
        return {}
    with db.job_session() as conn:
        rows = conn.execute("select merchant_key, category, n_users"
                            " from ml_cache.shared_merchant_categories"
                            " where merchant_key = any(%s)", [wanted]).fetchall()
    totals: Counter[str] = Counter()
    for key, _, n in rows:
        totals[key] += n
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for key, category, n in rows:
        out[key][category] = n / totals[key]
    return dict(out)

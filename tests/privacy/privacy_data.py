"""Test data helpers for tests/privacy: give users data the way the product does — a demo
household, the real labeled history as an imported statement, categorizer predictions with the
user's corrections, anomaly verdicts — and count a user's rows in every table."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import NamedTuple

import pandas as pd

from core.bulk import copy_insert
from core.db import Database
from core.demo_data import generate_users
from core.demo_seed import load_household
from core.identity import AuthUser

TARGET_ONLY_KIND = "target_only_pattern"  # an anomaly kind only the target user has
STAGES = {"patterns", "recurring", "anomalies"}  # pipeline stages run for every user


def _unit(text: str, salt: str) -> float:
    """A deterministic number in [0, 1) from a string."""
    return int(hashlib.sha256(f"{salt}:{text}".encode()).hexdigest()[:8], 16) / 0x1_0000_0000


def load_labeled(db: Database, user: AuthUser, frame: pd.DataFrame) -> dict[str, str]:
    """The real labeled history as one imported ZAR statement; labels become categories (the
    default one where the name matches, else a category of the user's own).
    Returns label -> category id."""
    with db.user_session(user) as conn:
        account = conn.execute("insert into accounts (name, kind, currency) values"
                               " ('ZA Cheque', 'checking', 'ZAR') returning id").fetchone()[0]
        batch = conn.execute(
            "insert into import_batches (account_id, filename, file_format, n_imported)"
            " values (%s, 'transactions.csv', 'csv', %s) returning id", [account, len(frame)]).fetchone()[0]
        existing = {n.lower(): str(i) for n, i in conn.execute(
            "select name, id from categories order by parent_id nulls first")}  # leaves win
        cats: dict[str, str] = {}
        for label in sorted(frame["label"].unique()):
            cats[label] = existing.get(label.lower()) or str(conn.execute(
                "insert into categories (name) values (%s) returning id", [label]).fetchone()[0])
        rows = [(str(user.id), str(account), str(batch), r.date, r.amount, "ZAR",
                 r.description, cats[r.label], "user", 1.0, f"za:{i}")
                for i, r in enumerate(frame.itertuples(index=False))]
        copy_insert(conn, "transactions", [
            "user_id", "account_id", "batch_id", "date", "amount", "currency", "description",
            "category_id", "category_source", "category_confidence", "dedupe_key"], rows)
    return cats


DEMO_END = dt.date(2026, 6, 30)


def load_demo(db: Database, users: list[AuthUser], seed: int, months: int = 4) -> None:
    """A varied demo household for each user, the same on every run (fixed ``DEMO_END``): the
    leak checks compare aggregates with the target's amounts, which must not depend on the day."""
    households = generate_users(len(users), seed=seed, months=months, end=DEMO_END)
    for user, household in zip(users, households, strict=True):
        with db.user_session(user) as conn:
            load_household(conn, user, household)


class Simulated(NamedTuple):
    """What :func:`simulate_categorizer` left: predictions with a known outcome, how many of
    them were corrected, and each one's (confidence, corrected)."""

    known: int
    fixes: int
    outcomes: list[tuple[float, bool]]


def _confidence(key: str) -> float:
    """A stated confidence in [0.45, 1], three decimals, never on a decile boundary (0.5, 0.6
    ...): the database buckets the stored ``real`` and a boundary value could fall either side."""
    conf = round(0.45 + 0.55 * _unit(key, "conf"), 3)
    return conf + 0.001 if conf < 1 and round(conf * 1000) % 100 == 0 else conf


def simulate_categorizer(db: Database, user: AuthUser) -> Simulated:
    """Store what the categorization stage and the user leave behind, for every categorized
    transaction of ``user`` (its true category is the one it has now):

    * confidence >= 0.6: applied (source 'model'); below: a review item (no category, the true
      one as top suggestion), half of which the user then decides;
    * the model is wrong with probability 1 - confidence (a calibrated model): the user
      corrects an applied prediction, or picks another category than the suggestion.

    Corrections are written as ``core.corrections.correct_category`` writes them."""
    with db.user_session(user) as conn:
        rows = conn.execute("select t.id, t.category_id, c.name, t.dedupe_key from transactions t"
                            " join categories c on c.id = t.category_id where not t.is_transfer"
                            " order by t.dedupe_key, t.id").fetchall()
        other = conn.execute("select id from categories where name = 'Household'"
                             " and parent_id is not null").fetchone()[0]
        ids, confs, kinds, wrong, names, cats = [], [], [], [], [], []
        for tx_id, cat, name, key in rows:  # drawn from the row's content: the same every run
            cats.append(cat)
            conf = _confidence(key)
            ids.append(tx_id)
            confs.append(conf)
            names.append(name)
            wrong.append(_unit(key, "fix") > conf and cat != other)
            kinds.append("applied" if conf >= 0.6 else
                         "decided" if _unit(key, "decide") < 0.5 else "waiting")
        plan = ("unnest(%s::uuid[], %s::real[], %s::text[], %s::boolean[], %s::text[], %s::uuid[])"
                " as p(id, conf, kind, wrong, name, cat)")
        args = [ids, confs, kinds, wrong, names, cats]
        conn.execute(f"""
            update transactions t set category_source = 'model', category_confidence = p.conf,
                   needs_review = false
            from {plan} where t.id = p.id and p.kind = 'applied'""", args)
        conn.execute(f"""
            update transactions t set category_id = null, category_source = null,
                   category_confidence = p.conf, needs_review = true,
                   category_suggestions = jsonb_build_array(
                       jsonb_build_object('category', p.name, 'confidence', p.conf))
            from {plan} where t.id = p.id and p.kind <> 'applied'""", args)
        conn.execute(f"""
            insert into corrections (transaction_id, old_category_id, new_category_id, old_source,
                                     old_confidence, source)
            select t.id, t.category_id,
                   case when p.wrong then %s::uuid else p.cat end,
                   t.category_source, t.category_confidence, 'review'
            from transactions t join {plan} on p.id = t.id
            where (p.kind = 'applied' and p.wrong) or p.kind = 'decided'""", [other, *args])
        conn.execute("""
            update transactions t set category_id = c.new_category_id, category_source = 'user',
                   category_confidence = 1, needs_review = false
            from corrections c where c.transaction_id = t.id""")
    outcomes = [(c, w) for c, k, w in zip(confs, kinds, wrong, strict=True) if k != "waiting"]
    return Simulated(len(outcomes), sum(w for _, w in outcomes), outcomes)


def add_verdicts(db: Database, user: AuthUser, verdicts: list[tuple[str, str]]) -> None:
    """(kind, verdict) pairs, as the Alerts page records them."""
    with db.user_session(user) as conn:
        for kind, verdict in verdicts:
            conn.execute("insert into anomaly_verdicts (kind, verdict, alert_key) values (%s, %s, %s)",
                         [kind, verdict, f"test:{uuid.uuid4()}"])


def owner_counts(db: Database, user_id: uuid.UUID, schemas: tuple[str, ...]) -> dict[str, int]:
    """Rows per table holding ``user_id`` in every table with a user_id column in ``schemas``."""
    with db.owner_connection() as conn:
        tables = conn.execute("""
            select n.nspname, c.relname from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and a.attname = 'user_id' and not a.attisdropped
            where c.relkind in ('r', 'p') and n.nspname = any(%s) order by 1, 2""",
                              [list(schemas)]).fetchall()
        return {f"{s}.{t}": conn.execute(f'select count(*) from "{s}"."{t}" where user_id = %s',
                                         [str(user_id)]).fetchone()[0] for s, t in tables}

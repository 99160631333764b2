"""What a stage gets: the user's inputs (read under the user's RLS) and a writer session.

A :class:`StageContext` lives for one pipeline run of one user. Inputs are loaded once per run
inside ``Database.job_user_session`` (role ``authenticated`` with that user's claims), so the
job process reads exactly what the user could read. Outputs are written by :meth:`writer`:
the same kind of session switched to the least-privilege ``pfm_job_worker`` role, which alone
may write model outputs. Each stage writes in one transaction, so a run killed at any point
leaves either the old rows or the new ones.

Two views of the same money: :meth:`StageContext.transactions` (one row per transaction: what
recurring payments, anomalies and the categorizer look at) and :meth:`StageContext.lines` (one
row per category line, ``public.transaction_lines``: a split transaction as its parts, each
with its own category and amount; what spending per category is computed from).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import psycopg

from core.db import Database
from core.preferences import base_currency

log = logging.getLogger(__name__)

TX_COLUMNS = ["id", "account_id", "account", "date", "amount", "currency", "description", "payee",
              "merchant", "category", "category_id", "category_source", "is_transfer", "excluded",
              "needs_review", "account_currency"]
LINE_COLUMNS = ["id", "account_id", "account", "date", "amount", "currency", "description", "payee",
                "merchant", "category", "category_id", "is_transfer", "excluded", "is_split",
                "account_currency"]


@dataclass
class StageContext:
    """Inputs and output sessions of one user's pipeline run."""

    db: Database
    user_id: uuid.UUID
    run_id: uuid.UUID = field(default_factory=uuid.uuid4)
    today: dt.date = field(default_factory=dt.date.today)
    _cache: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def reader(self) -> Iterator[psycopg.Connection]:
        """A transaction as the user (RLS applies)."""
        with self.db.job_user_session(self.user_id) as conn:
            yield conn

    @contextmanager
    def writer(self) -> Iterator[psycopg.Connection]:
        """A transaction as ``pfm_job_worker`` that writes this user's outputs."""
        with self.db.job_user_session(self.user_id) as conn:
            conn.execute("set local role pfm_job_worker")
            yield conn

    def transactions(self) -> pd.DataFrame:
        """The user's transactions, oldest first (excluded rows left out), loaded once per run."""
        if "tx" not in self._cache:
            with self.reader() as conn:
                rows = conn.execute("""
                    select t.id, t.account_id, a.name, t.date, t.amount, t.currency, t.description,
                           t.payee, t.merchant, c.name, t.category_id, t.category_source,
                           t.is_transfer, t.excluded, t.needs_review, a.currency::text
                    from public.transactions t
                    join public.accounts a on a.id = t.account_id
                    left join public.categories c on c.id = t.category_id
                    where not t.excluded
                    order by t.date, t.id""").fetchall()
            tx = pd.DataFrame(rows, columns=TX_COLUMNS)
            tx["id"] = tx["id"].astype(str)
            self._cache["tx"] = tx
        return self._cache["tx"]

    def base_transactions(self) -> pd.DataFrame:
        """The transactions of the accounts in the user's base currency: what money added up
        across accounts (forecast, budgets, safe-to-spend, goals) is computed from. Amounts in
        other currencies are left out, not converted (there are no exchange rates)."""
        return self._in_base(self.transactions())

    def lines(self) -> pd.DataFrame:
        """The user's category lines (``public.transaction_lines``), oldest first, excluded
        rows left out, loaded once per run: a transaction without splits is one line, a split
        one is one line per part (``id`` is the transaction's id on every line, ``amount`` and
        ``category`` the part's). The lines of a transaction add up to its amount. A user
        without any split has one line per transaction: :meth:`transactions` is reused then
        instead of reading the whole history a second time."""
        if "lines" not in self._cache:
            with self.reader() as conn:
                split = conn.execute("select exists (select 1 from public.transaction_splits)"
                                     ).fetchone()[0]
            if not split:
                self._cache["lines"] = self.transactions().assign(is_split=False)[LINE_COLUMNS]
                return self._cache["lines"]
            with self.reader() as conn:
                rows = conn.execute("""
                    select l.transaction_id, l.account_id, a.name, l.date, l.amount, l.currency,
                           l.description, l.payee, l.merchant, c.name, l.category_id,
                           l.is_transfer, l.excluded, l.is_split, a.currency::text
                    from public.transaction_lines l
                    join public.accounts a on a.id = l.account_id
                    left join public.categories c on c.id = l.category_id
                    where not l.excluded
                    order by l.date, l.transaction_id, l.position, l.split_id""").fetchall()
            lines = pd.DataFrame(rows, columns=LINE_COLUMNS)
            lines["id"] = lines["id"].astype(str)
            self._cache["lines"] = lines
        return self._cache["lines"]

    def base_lines(self) -> pd.DataFrame:
        """:meth:`lines` of the accounts in the user's base currency (see
        :meth:`base_transactions`)."""
        return self._in_base(self.lines())

    def _in_base(self, frame: pd.DataFrame) -> pd.DataFrame:
        keep = frame["account_currency"] == self.currency()
        return frame if keep.all() else frame.loc[keep].reset_index(drop=True)

    def invalidate(self) -> None:
        """Forget cached inputs (after a stage changed them, e.g. categorization)."""
        self._cache.pop("tx", None)
        self._cache.pop("lines", None)

    def currency(self) -> str:
        if "currency" not in self._cache:
            with self.reader() as conn:
                self._cache["currency"] = base_currency(conn)
        return self._cache["currency"]

    def remember(self, key: str, value: Any) -> None:
        """Hand a result to a later stage of the same run (e.g. recurring series to anomalies)."""
        self._cache[key] = value

    def recall(self, key: str, default: Any = None) -> Any:
        return self._cache.get(key, default)

"""Deterministic synthetic households for the demo account, tests and benchmarks.

Pure: no database, no IO. ``generate_household(seed)`` returns the same accounts and rows for
the same ``(seed, months, end)``; ``end`` defaults to today, so pass it for exact repeats.

``transactions`` columns: ``date`` (datetime.date), ``amount`` (Decimal, 2 dp, negative = money
out), ``currency``, ``description`` (noisy statement text), ``payee`` (str or None),
``merchant`` (clean name), ``account``, ``category`` (a leaf of :data:`DEFAULT_TAXONOMY`),
``is_transfer`` (bool: both legs of transfers between the household's own accounts),
``is_anomaly``/``anomaly_kind`` (ground truth: ``duplicate``, ``amount_spike``,
``first_time_merchant``, ``burst``) and ``external_id`` (``demo-{seed}-{i}``, unique per row).
Transfers: the card repayment is "Credit Card Payment" on both legs; the savings transfer is
"Savings & Investments" on the checking leg and "Between Accounts" on the savings leg (top-ups
from savings are "Between Accounts" on both legs). Windows shorter than ~3 months still get
anomalies, but without much history to stand out against.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
from dateutil.relativedelta import relativedelta

from core import demo_catalog as cat
from core.demo_bills import add_bills, finish_transfers
from core.demo_builder import Builder, add_holidays, add_purchases
from core.taxonomy import CATEGORY_PARENT, DEFAULT_TAXONOMY  # noqa: F401 (re-exported)

log = logging.getLogger(__name__)

CHECKING, SAVINGS, CREDIT = cat.CHECKING, cat.SAVINGS, cat.CREDIT
COLUMNS = ["date", "amount", "currency", "description", "payee", "merchant", "account",
           "category", "is_transfer", "is_anomaly", "anomaly_kind", "external_id"]



@dataclass(frozen=True)
class DemoAccount:
    """One account of a demo household."""

    name: str
    kind: str  # checking | savings | credit
    currency: str
    opening_balance: Decimal
    institution: str


@dataclass
class DemoHousehold:
    """Accounts plus their transactions (see the module docstring for the columns)."""

    seed: int
    accounts: list[DemoAccount]
    transactions: pd.DataFrame

    def closing_balances(self) -> dict[str, Decimal]:
        """Opening balance plus the sum of each account's transactions."""
        tx = self.transactions
        return {a.name: a.opening_balance + sum(tx.loc[tx["account"] == a.name, "amount"],
                                                Decimal("0.00")) for a in self.accounts}


@dataclass
class Profile:
    """Randomly drawn traits of one household (incomes, merchants, habits)."""

    earners: int
    kids: int
    has_car: bool
    income_a: float
    income_b: float
    spend_scale: float
    merchants: dict[str, list[tuple[str, str]]]
    weights: dict[str, list[float]]
    kinds: dict[str, tuple[float, float, float, float]]
    bank: str
    varied: bool


def _profile(rng: random.Random, varied: bool) -> Profile:
    earners = 2 if (not varied or rng.random() < 0.7) else 1
    kids = rng.choice([0, 0, 1, 2]) if varied else rng.choice([0, 1])
    lo, hi = (1900, 5200) if varied else (2600, 3800)
    income_a = rng.uniform(lo, hi)
    income_b = rng.uniform(lo * 0.7, hi * 0.8) if earners == 2 else 0.0
    total = income_a + income_b
    has_car = rng.random() < (0.75 if varied else 1.0)
    merchants: dict[str, list[tuple[str, str]]] = {}
    weights: dict[str, list[float]] = {}
    for kind, (_, pool) in cat.SPEND_POOLS.items():
        k = min(len(pool), 3 if kind in ("grocery", "restaurant", "coffee") else 2)
        k = max(2, k) if kind == "grocery" else k
        merchants[kind] = rng.sample(pool, k)
        weights[kind] = [1.0 / (j + 1) ** 1.5 for j in range(k)]
    kinds = dict(cat.SPEND_PROFILES)
    if not has_car:
        kinds.pop("fuel")
        kinds.pop("parking")
    if rng.random() < 0.5:
        kinds.pop("pets")
    if rng.random() < 0.4:
        kinds.pop("games")
    size = earners + kids * 0.6
    return Profile(earners, kids, has_car, income_a, income_b,
                   (total / 5500) ** 0.8 * (size / 2) ** 0.3, merchants, weights, kinds,
                   rng.choice(cat.BANKS), varied)


def _to_frame(rows: list[tuple], seed: int) -> pd.DataFrame:
    rows.sort(key=lambda r: (r[0], r[5]))
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    date, cents, desc, payee, merchant, account, category, transfer, kind = zip(*rows,
                                                                                strict=True)
    n = len(rows)
    return pd.DataFrame({
        "date": pd.Series(date, dtype=object),
        "amount": pd.Series([Decimal(c).scaleb(-2) for c in cents], dtype=object),
        "currency": pd.Series(["EUR"] * n, dtype="str"),
        "description": pd.Series(desc, dtype="str"),
        "payee": pd.Series(payee, dtype=object),
        "merchant": pd.Series(merchant, dtype="str"),
        "account": pd.Series(account, dtype="str"),
        "category": pd.Series(category, dtype="str"),
        "is_transfer": pd.Series(transfer, dtype=bool),
        "is_anomaly": pd.Series([k is not None for k in kind], dtype=bool),
        "anomaly_kind": pd.Series(kind, dtype=object),
        "external_id": pd.Series([f"demo-{seed}-{i}" for i in range(n)], dtype="str"),
    })


def _generate(seed: int, months: int, end: dt.date | None, varied: bool) -> DemoHousehold:
    if months < 1:
        raise ValueError("months must be >= 1")
    live = end is None  # ends today: the demo as a user sees it
    end = end or dt.date.today()
    rng = random.Random(seed)
    prof = _profile(rng, varied)
    start = end - relativedelta(months=months) + dt.timedelta(days=1)
    opening = {
        CHECKING: int(rng.uniform(0.4, 1.0) * (prof.income_a + prof.income_b)) * 100,
        SAVINGS: int(rng.uniform(1500, 15000)) * 100,
        CREDIT: 0,
    }
    b = Builder(rng, start, end, prof)
    add_bills(b)
    add_holidays(b)
    add_purchases(b)
    b.inject_anomalies(live=live)
    finish_transfers(b, opening)
    accounts = [
        DemoAccount(CHECKING, "checking", "EUR", Decimal(opening[CHECKING]).scaleb(-2), prof.bank),
        DemoAccount(SAVINGS, "savings", "EUR", Decimal(opening[SAVINGS]).scaleb(-2), prof.bank),
        DemoAccount(CREDIT, "credit", "EUR", Decimal(0).scaleb(-2), "CityCard Bank"),
    ]
    return DemoHousehold(seed, accounts, _to_frame(b.rows, seed))


def generate_household(seed: int = 7, months: int = 24,
                       end: dt.date | None = None) -> DemoHousehold:
    """A two-earner household with ``months`` months of history ending at ``end`` (today).

    Without ``end`` (the live demo) one more high-risk amount spike falls in the last three
    weeks, so the Alerts page always has a current alert; a given ``end`` reproduces the same
    data every time."""
    return _generate(seed, months, end, varied=False)


def generate_users(n: int, seed: int = 0, months: int = 24,
                   end: dt.date | None = None) -> Iterator[DemoHousehold]:
    """``n`` varied households (incomes, sizes, merchants); user i has seed ``seed*1_000_003+i``.

    ``end`` defaults to today once for the whole batch, so all users share one window.
    """
    end = end or dt.date.today()
    for i in range(n):
        yield _generate(seed * 1_000_003 + i, months, end, varied=True)

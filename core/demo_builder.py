"""Row builder for :mod:`core.demo_data`: card purchases, holidays and injected anomalies.

Amounts are integer cents here (converted to Decimal at the end). Every function draws from the
builder's ``random.Random`` in a fixed order, which keeps households deterministic per seed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import math
import random
from typing import Any

from core import demo_catalog as cat
from core.demo_catalog import CHECKING, CREDIT

log = logging.getLogger(__name__)

_DAY = dt.timedelta(days=1)
_FLAT = (1.0,) * 7
_WEEKDAY = {"coffee": (1.4, 1.4, 1.4, 1.4, 1.3, 0.1, 0.0),
            "transport": (1.3, 1.3, 1.3, 1.3, 1.2, 0.4, 0.2),
            "grocery": (0.8, 0.7, 0.8, 0.9, 1.2, 2.0, 0.6),
            "restaurant": (0.5, 0.5, 0.7, 0.9, 1.8, 2.0, 0.6),
            "takeaway": (0.7, 0.6, 0.7, 0.8, 1.6, 1.6, 1.0)}
_SEASON_PEAK = {"gifts": 9.0, "online": 1.8, "clothing": 1.6, "restaurant": 1.3}
_PER_PERSON = {"coffee", "transport", "hair"}
_AT_HOME = {"grocery", "coffee", "transport", "fuel", "parking", "takeaway", "restaurant", "hair"}


def on(y: int, m: int, day: int, roll: str = "next") -> dt.date:
    """Day ``day`` of month (clamped), moved off the weekend to Monday or (roll=prev) Friday."""
    while m > 12:
        y, m = y + 1, m - 12
    d = dt.date(y, m, min(day, calendar.monthrange(y, m)[1]))
    wd = d.weekday()
    if wd >= 5:
        d += dt.timedelta(days=7 - wd) if roll == "next" else -dt.timedelta(days=wd - 4)
    return d


class Builder:
    """Collects rows ``(date, cents, desc, payee, merchant, account, category, transfer, kind)``."""

    def __init__(self, rng: random.Random, start: dt.date, end: dt.date, prof: Any) -> None:
        self.rng, self.start, self.end, self.prof = rng, start, end, prof
        self.rows: list[tuple] = []
        self.city = rng.choice(cat.CITIES)
        self.stores: dict[str, list[int]] = {}
        self.holidays: list[tuple[dt.date, dt.date, str]] = []
        self.months = []
        y, m = start.year, start.month
        while (y, m) <= (end.year, end.month):
            self.months.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        self.paydays: list[dt.date] = []

    def add(self, day: dt.date, cents: int, desc: str, merchant: str, category: str,
            account: str = CHECKING, payee: str | None = None, transfer: bool = False,
            kind: str | None = None) -> None:
        if self.start <= day <= self.end and cents != 0:
            self.rows.append((day, cents, desc, payee, merchant, account, category, transfer,
                              kind))

    def ref(self, k: int = 8) -> str:
        """A random upper-case reference like the ones card processors append."""
        return f"{self.rng.getrandbits(4 * k):0{k}X}"

    def fill(self, tpl: str, merchant: str, city: str | None = None) -> str:
        if "{" not in tpl:
            return tpl
        stores = self.stores.get(merchant)
        if stores is None:
            stores = self.stores[merchant] = [self.rng.randint(100, 9999) for _ in range(2)]
        return tpl.format(n=stores[self.rng.random() < 0.3],
                          ref=self.ref() if "{ref}" in tpl else "",
                          city=city or self.city, holiday=city or self.city)

    def card(self, day: dt.date, cents: int, stmt: str, merchant: str, category: str,
             account: str, kind: str | None = None) -> None:
        """A card purchase; debit-card lines carry the purchase date like real statements."""
        if account == CREDIT:
            desc = stmt
        elif cents > -4500 and self.rng.random() < 0.5:
            desc = f"CONTACTLESS {stmt}"
        else:
            bought = day - dt.timedelta(days=self.rng.choice((0, 0, 1, 1, 2)))
            desc = f"CARD PAYMENT {stmt} {bought:%d/%m}"
        self.add(day, cents, desc, merchant, category, account, kind=kind)

    def purchase(self, kind: str, day: dt.date) -> None:
        category = cat.SPEND_POOLS[kind][0]
        merchant, tpl = self.rng.choices(self.prof.merchants[kind], self.prof.weights[kind])[0]
        median, sigma, _, cc = self.prof.kinds[kind]
        euros = self.rng.lognormvariate(math.log(median * self.prof.spend_scale), sigma)
        cents = -max(50, int(euros * 100))
        account = CREDIT if self.rng.random() < cc else CHECKING
        self.card(day, cents, self.fill(tpl, merchant), merchant, category, account)
        if kind == "online" and self.rng.random() < 0.05:
            back = day + dt.timedelta(days=self.rng.randint(4, 20))
            self.add(back, -cents, f"REFUND {self.fill(tpl, merchant)}", merchant, "Refunds",
                     account)

    def monthly(self, day: int, cents: int, desc: str, merchant: str, category: str,
                account: str = CHECKING, payee: str | None = None, roll: str = "next") -> None:
        for y, m in self.months:
            self.add(on(y, m, day, roll), cents, desc.format(ref=self.ref(6)), merchant,
                     category, account, payee)

    def inject_anomalies(self, live: bool = False) -> None:
        """Ground-truth anomalies in the later part of the window (after some history); with
        ``live``, one more amount spike in the last three weeks, so that the demo (whatever
        today is) always has a current high-risk alert to show."""
        rng, span = self.rng, (self.end - self.start).days
        lo = self.start + dt.timedelta(days=max(min(90, span // 2), int(span * 0.5)))
        hi = self.end - dt.timedelta(days=3) if span > 6 else self.end
        lo = min(lo, hi)

        def pick(cats: set[str], max_cents: int) -> int | None:
            idx = [i for i, r in enumerate(self.rows) if lo <= r[0] <= hi and r[6] in cats
                   and r[1] <= max_cents and r[8] is None]
            return rng.choice(idx) if idx else None

        if (i := pick({"Groceries", "Restaurants"}, -1500)) is not None:
            r = self.rows[i]  # 5.5-8x what this merchant usually costs
            usual = sorted(q[1] for q in self.rows if q[4] == r[4])
            typical = usual[len(usual) // 2]
            self.rows[i] = (r[0], int(typical * rng.uniform(5.5, 8.0)), *r[2:8], "amount_spike")
        if (i := pick({"Restaurants", "Online Shopping", "Clothing", "Takeaway & Delivery"},
                      -1200)) is not None:
            r = self.rows[i]
            day = min(r[0] + dt.timedelta(days=rng.choice((0, 1, 1, 2))), self.end)
            self.rows.append((day, *r[1:8], "duplicate"))
        day = lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))
        merchant, tpl, category = rng.choice(cat.LARGE_NEW)
        self.card(day, -rng.randint(700_00, 1800_00), self.fill(tpl, merchant), merchant,
                  category, rng.choice((CHECKING, CREDIT)), kind="first_time_merchant")
        day = lo + dt.timedelta(days=rng.randint(0, (hi - lo).days))
        merchant, tpl, category = rng.choice(cat.BURST_NEW)
        for _ in range(rng.randint(6, 9)):
            when = min(day + dt.timedelta(days=rng.choice((0, 0, 1))), self.end)
            self.add(when, -rng.randint(99, 699), self.fill(tpl, merchant), merchant, category,
                     CREDIT, kind="burst")
        if not live:
            return
        recent = max(lo, self.end - dt.timedelta(days=21))
        idx = [i for i, r in enumerate(self.rows) if recent <= r[0] <= hi and r[1] <= -1500
               and r[6] in ("Groceries", "Restaurants") and r[8] is None]
        if idx:  # 6.5-8.5x what this merchant usually costs: high risk
            i = rng.choice(idx)
            r = self.rows[i]
            usual = sorted(q[1] for q in self.rows if q[4] == r[4])
            self.rows[i] = (r[0], int(usual[len(usual) // 2] * rng.uniform(6.5, 8.5)), *r[2:8],
                            "amount_spike")


def add_purchases(b: Builder) -> None:
    """Card purchases as a thinned Poisson process with weekday and seasonal shape."""
    rng, span = b.rng, (b.end - b.start).days + 1
    away = {b.start + dt.timedelta(days=i) for h0, h1, _ in b.holidays
            for i in range((h0 - b.start).days, (h1 - b.start).days + 1)}
    for kind, (_, _, per_week, _) in b.prof.kinds.items():
        shape = _WEEKDAY.get(kind, _FLAT)
        peak = max(shape) * _SEASON_PEAK.get(kind, 1.0)
        people = b.prof.earners / 2 if kind in _PER_PERSON else 1.0
        lam = per_week / 7 * people * peak
        t = rng.expovariate(lam)
        while t < span:
            day = b.start + dt.timedelta(days=int(t))
            t += rng.expovariate(lam)
            season = 1.0
            if kind == "gifts" and day.month == 12 and day.day <= 24:
                season = 9.0
            elif kind in ("online", "clothing", "restaurant") and day.month in (11, 12):
                season = _SEASON_PEAK[kind]
            if kind in _AT_HOME and day in away:
                season *= 0.1
            if rng.random() < shape[day.weekday()] * season / peak:
                b.purchase(kind, day)


def add_holidays(b: Builder) -> None:
    """A summer holiday each year (flights booked in spring) and sometimes a city break."""
    rng = b.rng
    party = b.prof.earners + b.prof.kids
    for year in range(b.start.year - 1, b.end.year + 1):
        trips = [(dt.date(year, 7, 1) + dt.timedelta(days=rng.randint(0, 50)),
                  rng.randint(7, 12))]
        if rng.random() < 0.5:
            trips.append((dt.date(year, rng.choice((3, 4, 5, 10)), rng.randint(1, 25)),
                          rng.randint(2, 4)))
        for first, nights in trips:
            last, city = first + dt.timedelta(days=nights), rng.choice(cat.HOLIDAY_CITIES)
            b.holidays.append((first, last, city))
            m, tpl = rng.choice(cat.SPEND_POOLS["flights"][1])
            booked = first - dt.timedelta(days=rng.randint(60, 150))
            b.add(booked, -party * rng.randint(70_00, 190_00), b.fill(tpl, m), m, "Flights",
                  CREDIT)
            m, tpl = rng.choice(cat.SPEND_POOLS["hotel"][1])
            b.add(first, -nights * rng.randint(60_00, 140_00), b.fill(tpl, m), m,
                  "Accommodation", CREDIT)
            for i in range(nights):
                for _ in range(rng.choice((1, 1, 2))):
                    m, tpl, category = rng.choice(cat.HOLIDAY_PLACES)
                    b.add(first + dt.timedelta(days=i), -rng.randint(8_00, 25_00) * party,
                          b.fill(tpl, m, city), m, category, CREDIT)
                if rng.random() < 0.3:
                    m, tpl = rng.choice(cat.SPEND_POOLS["activities"][1])
                    b.add(first + dt.timedelta(days=i), -rng.randint(15_00, 45_00) * party,
                          b.fill(tpl, m, city), m, "Holiday Activities", CREDIT)

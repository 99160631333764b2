"""Income, bills, subscriptions and the household's own transfers for :mod:`core.demo_data`.

Salaries, rent, utilities, subscriptions (Netflix with a price rise), insurance, taxes, loans and
cash come first; :func:`finish_transfers` then adds card repayments (previous month's card total,
both legs "Credit Card Payment"), a monthly savings transfer sized so the current account keeps
a cushion over the next five weeks (top-ups from savings when it would not), and savings interest.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import itertools
import logging
import math

from core import demo_catalog as cat
from core.demo_builder import Builder, on
from core.demo_catalog import CHECKING, CREDIT, SAVINGS

log = logging.getLogger(__name__)

NETFLIX_TIERS = [(12_99, 15_49), (7_99, 9_99), (17_99, 19_99)]
_CUSHION = 300_00


def _salaries(b: Builder) -> None:
    rng, p, n = b.rng, b.prof, len(b.months)
    emp_a, emp_b = rng.sample(cat.EMPLOYERS, 2)
    raise_at, bump = rng.randint(n // 3, max(n // 3, 2 * n // 3)), rng.uniform(1.05, 1.1)
    for i, (y, m) in enumerate(b.months):
        mon = calendar.month_abbr[m].upper()
        pay = int(p.income_a * (bump if i >= raise_at else 1.0) * 100)
        b.add(on(y, m, 25, "prev"), pay, f"SALARY {emp_a} {mon}", emp_a.title(), "Salary",
              payee=emp_a)
        if p.income_b:
            b.add(on(y, m, 31, "prev"), int(p.income_b * rng.uniform(0.97, 1.03) * 100),
                  f"BGC {emp_b} PAYROLL {b.ref(6)}", emp_b.title(), "Salary", payee=emp_b)
        if rng.random() < 0.3:
            b.add(on(y, m, rng.randint(1, 28)), rng.randint(8_00, 60_00),
                  f"VINTED PAYOUT {b.ref(6)}", "Vinted", "Other Income", payee="VINTED")


def _subscriptions(b: Builder) -> None:
    rng, p, n = b.rng, b.prof, len(b.months)
    if not p.varied or rng.random() < 0.85:
        old, new = NETFLIX_TIERS[0] if p.earners == 2 else rng.choice(NETFLIX_TIERS)
        rise_at, day = rng.randint(int(n * 0.4), max(int(n * 0.4), int(n * 0.7))), rng.randint(
            10, 22)
        for i, (y, m) in enumerate(b.months):
            b.add(on(y, m, day), -(new if i >= rise_at else old), "DD NETFLIX.COM", "Netflix",
                  "Streaming", payee="NETFLIX.COM")
    family = p.kids > 0 or rng.random() < 0.5
    b.monthly(3, -(17_99 if family else 10_99), "SPOTIFY P{ref}", "Spotify", "Streaming", CREDIT)
    name, desc, eur = rng.choice(cat.GYMS)
    b.monthly(2, -int(eur * 100) * (1 if rng.random() < 0.6 else p.earners), desc, name,
              "Fitness", payee=desc.split(" {")[0][3:])
    name, desc, eur = rng.choice(cat.CLOUD)
    b.monthly(9, -int(eur * 100), desc, name, "Software", CREDIT)


def add_bills(b: Builder) -> None:
    """Salaries, housing, utilities, subscriptions, insurance, taxes, loans, fees and cash."""
    rng, p = b.rng, b.prof
    total = p.income_a + p.income_b
    _salaries(b)
    landlord = rng.choice(cat.LANDLORDS)
    b.monthly(1, -int(total * rng.uniform(0.24, 0.31)) // 10 * 1000, f"SO {landlord} RENT",
              landlord.title(), "Rent & Mortgage", payee=landlord)
    name, desc, eur = rng.choice(cat.ENERGY)
    wname, wdesc, weur = rng.choice(cat.WATER)
    for y, m in b.months:
        season = 1 + 0.35 * math.cos(2 * math.pi * (m - 1) / 12)
        b.add(on(y, m, 12), -int(eur * season * rng.uniform(0.9, 1.1) * 100),
              desc.format(ref=b.ref(6)), name, "Utilities", payee=name.upper())
        if m % 3 == 1:
            b.add(on(y, m, 20), -int(weur * 100), wdesc, wname, "Utilities", payee=wname.upper())
        if m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1):
            b.add(on(y, m, 1), -int(total * 0.025) * 100, "DD CITY COUNCIL TAX", "City Council",
                  "Other Taxes", payee="CITY COUNCIL")
    for k in range(p.earners):
        name, desc, eur = cat.PHONE[k % len(cat.PHONE)]
        b.monthly(8 + k, -int(eur * 100), desc, name, "Phone & Internet", payee=name.upper())
    name, desc, eur = rng.choice(cat.INTERNET)
    b.monthly(15, -int(eur * 100), desc, name, "Phone & Internet", payee=name.upper())
    _subscriptions(b)
    name, desc = rng.choice(cat.INSURERS)
    premium, month = rng.randint(180_00, 420_00), rng.randint(1, 12)
    for y in range(b.start.year, b.end.year + 1):
        b.add(on(y, month, 5), -premium, desc.format(ref=b.ref(6)), name, "Home Insurance",
              payee=name.upper())
        premium = int(premium * 1.06)
    if rng.random() < 0.4:
        b.monthly(20, -rng.randint(45_00, 120_00), f"DD {name.upper()} HEALTH", name,
                  "Health Insurance", payee=name.upper())
    if rng.random() < 0.3 and total > 4000:
        b.monthly(18, -rng.randint(180_00, 380_00), "DD SANTANDER CONSUMER LOAN", "Santander",
                  "Loan Repayment", payee="SANTANDER CONSUMER")
    if p.kids:
        name, desc = rng.choice(cat.NURSERIES)
        b.monthly(1, -int(total * rng.uniform(0.07, 0.11)) * 100, desc, name, "Childcare",
                  payee=name.upper())
        name, desc = rng.choice(cat.KIDS_CLUBS)
        b.monthly(4, -rng.randint(35_00, 60_00) * p.kids, desc, name, "Kids Activities")
    if rng.random() < 0.5:
        name, desc = rng.choice(cat.SPEND_POOLS["charity"][1])
        b.monthly(14, -rng.randint(10, 25) * 100, desc, name, "Charity", payee=name.upper())
    if rng.random() < 0.5:
        b.monthly(31, -4_95, "MONTHLY ACCOUNT FEE", p.bank, "Bank Fees", roll="prev")
    if not p.has_car:
        b.monthly(1, -rng.randint(60, 90) * 100, "METRO MONTHLY PASS {ref}", "Metro",
                  "Public Transport")
    for y, m in b.months:
        for _ in range(rng.choice((0, 1, 1, 2))):
            day = on(y, m, rng.randint(1, 28))
            b.add(day, -rng.choice((20, 40, 50, 60, 100, 150)) * 100,
                  f"CASH WITHDRAWAL {p.bank.upper()} {b.city} {day:%d/%m}", "Cash",
                  "ATM Withdrawal")
        if p.has_car and m == 3:
            b.card(on(y, m, rng.randint(1, 28)), -rng.randint(180_00, 480_00),
                   f"KWIK FIT {rng.randint(100, 999)}", "Kwik Fit", "Car Maintenance", CHECKING)
        if rng.random() < 0.12:
            b.card(on(y, m, rng.randint(1, 28)), -rng.randint(80_00, 300_00),
                   "SQ *FIXIT PLUMBING", "FixIt Plumbing", "Home Maintenance", CHECKING)


def finish_transfers(b: Builder, opening: dict[str, int]) -> None:
    """Card repayments, savings transfers (or top-ups) and savings interest."""
    rng = b.rng
    statement: dict[tuple[int, int], int] = {}
    for r in b.rows:
        if r[5] == CREDIT:
            statement[(r[0].year, r[0].month)] = statement.get((r[0].year, r[0].month), 0) + r[1]
    for (y, m), total in sorted(statement.items()):
        if total < 0:
            day = on(y, m + 1, 6)
            b.add(day, total, "DD CITYCARD VISA PAYMENT", "CityCard Bank", "Credit Card Payment",
                  CHECKING, payee="CITYCARD BANK", transfer=True)
            b.add(day, -total, "PAYMENT RECEIVED - THANK YOU", CHECKING, "Credit Card Payment",
                  CREDIT, transfer=True)
    chk = sorted((r[0], r[1]) for r in b.rows if r[5] == CHECKING)
    days = [d for d, _ in chk]
    prefix = list(itertools.accumulate((c for _, c in chk), initial=0))
    income = b.prof.income_a + b.prof.income_b
    target = int(income * rng.uniform(0.1, 0.3) / 50) * 50_00
    rate, acct, moved = rng.uniform(0.01, 0.035), rng.randint(1000, 9999), 0
    first = bisect.bisect_right(days, on(*b.months[0], 26) + dt.timedelta(days=35))
    need = _CUSHION - min(prefix[:first + 1])
    opening[CHECKING] = max(opening[CHECKING], math.ceil(need / 100_00) * 100_00)
    savings = opening[SAVINGS]
    for y, m in b.months:
        day = on(y, m, 26)
        if b.start <= day <= b.end:
            i, j = bisect.bisect_right(days, day), bisect.bisect_right(
                days, day + dt.timedelta(days=35))
            low = min(prefix[i:j + 1]) - prefix[i]
            avail = opening[CHECKING] + prefix[i] + moved + low - _CUSHION
            amount = min(target, avail // 50_00 * 50_00) if avail >= 50_00 else 0
            if avail < 0:
                amount = -min(savings, math.ceil(-avail / 100_00) * 100_00 + 200_00)
            if amount > 0:
                b.add(day, -amount, f"TFR TO SAVINGS {acct}", SAVINGS, "Savings & Investments",
                      transfer=True)
                b.add(day, amount, "TFR FROM CURRENT ACCOUNT", CHECKING, "Between Accounts",
                      SAVINGS, transfer=True)
            elif amount < 0:
                b.add(day, -amount, f"TFR FROM SAVINGS {acct}", SAVINGS, "Between Accounts",
                      transfer=True)
                b.add(day, amount, "TFR TO CURRENT ACCOUNT", CHECKING, "Between Accounts",
                      SAVINGS, transfer=True)
            moved, savings = moved - amount, savings + amount
        last = dt.date(y, m, calendar.monthrange(y, m)[1])
        if b.start <= last <= b.end:
            interest = int(savings * rate / 12)
            b.add(last, interest, "CREDIT INTEREST", b.prof.bank, "Interest & Dividends", SAVINGS)
            savings += interest

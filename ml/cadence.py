"""Cadence and amount analysis of one candidate series (helpers of :mod:`ml.recurring`).

A candidate is the dates (datetime64, sorted) and signed amounts of one merchant's charges in
one amount cluster. :func:`fit_cadence` decides weekly / biweekly / monthly / quarterly / yearly /
irregular, or ``None`` when the charges are not a series; :func:`price_changes` lists step
changes of fixed-price series; :func:`next_expected` projects the next charge.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

# name -> (period in days, interval tolerance in days, grace before "missed", months per step)
CADENCES: dict[str, tuple[float, float, int, int]] = {
    "weekly": (7.0, 2.0, 3, 0),
    "biweekly": (14.0, 3.0, 4, 0),
    "monthly": (30.44, 6.0, 7, 1),
    "quarterly": (91.3, 15.0, 14, 3),
    "yearly": (365.25, 30.0, 30, 12),
}
FIXED_TOLERANCE = 0.002  # consecutive charges within 0.2% count as the same price
MAX_AMOUNT_CV = 0.35  # above this, a regular-looking merchant is a habit, not a bill


@dataclass(frozen=True)
class Cadence:
    """The fitted cadence of a candidate series."""

    name: str
    period: float
    regularity: float  # share of intervals on cadence (1.0 for irregular fixed-price series)
    amount_cv: float
    fixed: bool

    @property
    def confidence(self) -> float:
        return self.regularity * (1.0 - min(self.amount_cv, 0.5))


def is_fixed(mag: np.ndarray) -> bool:
    """True when >= 60% of consecutive charges are within 0.2% of each other."""
    if len(mag) < 2:
        return True
    rel = np.abs(np.diff(mag)) / np.maximum(mag[:-1], 1e-9)
    return bool(np.mean(rel <= FIXED_TOLERANCE) >= 0.6)


def fit_cadence(days: np.ndarray, amounts: np.ndarray, min_occurrences: int = 3
                ) -> Cadence | None:
    """The cadence of charges on ``days`` (sorted day numbers) with ``amounts``, or ``None``.

    Rules: same-day repeats count once for the intervals; a named cadence needs its median
    interval within tolerance and >= 60% of intervals on cadence (all of them below 4
    charges) and an amount CV <= 0.35 (0.2 for variable quarterly/yearly amounts). Two
    charges suffice (interval within 7 days of the period) for yearly amounts within 10% of
    each other, and for shorter cadences when the amounts are identical; variable amounts on
    a short cadence need one charge more than ``min_occurrences``. ``irregular`` needs 4+
    charges at a fixed price, a median interval of 20+ days and an interval CV <= 0.7.
    """
    mag = np.abs(np.asarray(amounts, dtype=float))
    n = len(mag)
    if n < 2:
        return None
    days = np.unique(days)
    if len(days) < 2:
        return None
    iv = np.diff(days).astype(float)
    med = float(np.median(iv))
    cv = float(np.std(mag) / np.mean(mag)) if np.mean(mag) > 0 else 0.0
    fixed = is_fixed(mag)
    for name, (period, tol, _, _) in CADENCES.items():
        if abs(med - period) > tol:
            continue
        on = np.abs(iv - period) <= tol
        regularity = float(on.mean())
        if cv > (MAX_AMOUNT_CV if period < 80 or fixed else 0.2) or regularity < (
                1.0 if len(iv) < 3 else 0.6):
            return None
        if n == 2 and not (mag.max() <= mag.min() * (1.1 if period > 300 else 1.002)
                           and abs(med - period) <= min(tol, 7.0)):
            return None
        if period < 80 and 2 < n < min_occurrences + (0 if fixed else 1):
            return None  # variable amounts need one more charge to rule out coincidence
        return Cadence(name, period, regularity, cv, fixed)
    spread = float(np.std(iv) / med) if med > 0 else 1.0
    if n >= max(4, min_occurrences) and fixed and cv <= 0.05 and med >= 20 and spread <= 0.7:
        return Cadence("irregular", med, 1.0 - spread, cv, True)
    return None


def price_changes(dates: pd.Series, amounts: np.ndarray, threshold: float = 0.05
                  ) -> list[dict[str, object]]:
    """Step changes of more than ``threshold`` between consecutive charges of a series.

    Each is ``{"date", "from", "to", "pct"}`` with signed amounts; ``pct`` is the change of the
    magnitude (positive = a rise). A change only counts if the previous two charges agreed
    (a stable old price), so variable bills do not produce a change every month.
    """
    mag = np.abs(np.asarray(amounts, dtype=float))
    out: list[dict[str, object]] = []
    stamps = list(pd.to_datetime(dates))
    for i in range(1, len(mag)):
        if mag[i - 1] <= 0:
            continue
        pct = (mag[i] - mag[i - 1]) / mag[i - 1]
        stable = i < 2 or abs(mag[i - 1] - mag[i - 2]) <= FIXED_TOLERANCE * mag[i - 2]
        if abs(pct) > threshold and stable:
            out.append({"date": stamps[i].date(), "from": float(amounts[i - 1]),
                        "to": float(amounts[i]), "pct": round(float(pct), 4)})
    return out


def next_expected(dates: pd.Series, cadence: Cadence) -> pd.Timestamp:
    """The next charge date after the last one: calendar steps for monthly and longer
    cadences (on the series' usual day of month), fixed day steps otherwise."""
    last = pd.Timestamp(dates.iloc[-1])
    months = CADENCES.get(cadence.name, (0, 0, 0, 0))[3]
    if not months:
        return last + pd.Timedelta(days=round(cadence.period))
    day = int(np.median(pd.to_datetime(dates).dt.day.to_numpy()[-6:]))
    tol = CADENCES[cadence.name][1]
    best = last + pd.Timedelta(days=round(cadence.period))
    for shift in (months, months - 1, months + 1):  # a charge pushed into the next month
        target = (last.to_period("M") + shift).to_timestamp()
        cand = target + pd.Timedelta(days=min(day, target.days_in_month) - 1)
        if abs((cand - last).days - cadence.period) <= tol:
            return cand
    return best


def grace_days(cadence: Cadence) -> int:
    """Days past the expected date before a charge counts as missed."""
    if cadence.name in CADENCES:
        return CADENCES[cadence.name][2]
    return max(7, int(cadence.period * 0.5))

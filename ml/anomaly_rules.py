"""Explainable anomaly rules over one user's money-out transactions (used by :mod:`ml.anomalies`).

Every rule reads the frame built by ``AnomalyDetector`` (money-out, non-transfer rows sorted by
date, with ``mag`` = amount as a positive number and ``day`` = day number) and returns
:class:`Signal` objects carrying a score in [0, 1] and a sentence a person understands. Baselines
are causal: a transaction is compared with what came before it (at most the last 50 charges).

- ``amount_spike``: robust z-score of log amount against the merchant's median/MAD (3+ earlier
  charges), else the category's (5+ earlier); the MAD is shrunk towards the user's typical
  within-merchant spread (5 pseudo-charges) so a few similar charges do not make a tiny MAD.
  Flagged at z >= 3 and 2.5x the usual amount, or 5x with z >= 2.5 or 1.5x the most ever paid
  there (a merchant with widely varying amounts), when the excess is at least the user's
  median payment. Score (0.1 + 0.25 log2 ratio) x min(1, 0.6 + 0.1 z): about
  medium from 4x, high from 6x at a merchant.
- ``duplicate``: same merchant and amount within ``window`` days, unless that pair is habitual
  (it happened twice before) or the two charges belong to different recurring series.
- ``burst``: 4+ small (6+ larger) charges at one merchant within 3 days, and a count with
  Poisson tail probability <= 5e-4 at the merchant's earlier rate (a daily habit is no burst,
  a repeat of a rare earlier burst still is), after 60+ days of history; all charges of a
  burst share one ``alert_key``.
- ``new_category`` (low risk only): first spending in a category after 90+ days of history.
- ``first_time_merchant``: first payment to a merchant after 60+ days of history and above the
  user's 97th percentile payment (and 8x their median payment); low risk at the threshold,
  medium from 1.5x it, high from ~3.5x.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import poisson

log = logging.getLogger(__name__)

MAD_FLOOR = 0.1  # log units: fixed-price merchants still tolerate ~10% wobble
WINDOW = 50  # earlier charges that make a baseline
BURST_P = 5e-4  # a burst is a 3-day count this unlikely at the merchant's usual rate
SHRINK = 5  # pseudo-charges of the user's typical spread added to a merchant's own MAD


@dataclass
class Signal:
    """One rule firing on one transaction (``pos`` is its position in the rules frame)."""

    pos: int
    kind: str
    score: float
    reason: str
    related: list = field(default_factory=list)
    alert_key: str | None = None
    details: dict = field(default_factory=dict)


def money(value: float, symbol: str) -> str:
    """``€1,234.50`` style amount for reasons."""
    return f"{symbol}{abs(value):,.2f}"


def _robust(logs: np.ndarray) -> tuple[float, float]:
    med = float(np.median(logs))
    return med, max(1.4826 * float(np.median(np.abs(logs - med))), MAD_FLOOR)


def _times(ratio: float) -> str:
    return f"{ratio:.0f}x" if ratio >= 3 else f"{ratio:.1f}x"


def typical_spread(out: pd.DataFrame) -> float:
    """Median log-MAD (x1.4826) of the user's variable-price merchants with 5+ charges; 0.5
    when there are none. Fixed-price merchants (MAD ~ 0) are left out."""
    logs = np.log(out["mag"].to_numpy())
    mads = [_robust(logs[pos])[1] for pos in out.groupby("mkey").indices.values()
            if len(pos) >= 5 and np.median(np.abs(logs[pos] - np.median(logs[pos]))) > 0.02]
    return float(np.median(mads)) if mads else 0.5


def amount_spikes(out: pd.DataFrame, symbol: str, scale: float,
                  skip: np.ndarray) -> list[Signal]:
    mag, logs = out["mag"].to_numpy(), np.log(out["mag"].to_numpy())
    signals: list[Signal] = []
    merchant_prior = out.groupby("mkey").cumcount().to_numpy()
    spread = typical_spread(out)
    for by, need in (("mkey", 3), ("catkey", 5)):
        for key, pos in out.groupby(by).indices.items():
            for j in range(need if key != "" else len(pos), len(pos)):
                p = pos[j]
                if skip[p] or (by == "catkey" and merchant_prior[p] >= 3):
                    continue
                n = min(j, WINDOW)
                med, mad = _robust(logs[pos[j - n:j]])
                mad = float(np.sqrt((n * mad**2 + SHRINK * spread**2) / (n + SHRINK)))
                z, ratio = (logs[p] - med) / mad, float(np.exp(logs[p] - med))
                usual = float(np.exp(med))
                record = mag[p] >= 1.5 * mag[pos[j - n:j]].max()
                if not ((z >= 3 and ratio >= 2.5) or (ratio >= 5 and (z >= 2.5 or record))):
                    continue
                if mag[p] - usual < scale:
                    continue
                where = "there" if by == "mkey" else f"for {key}"
                score = (min(0.95, 0.1 + 0.25 * np.log2(ratio)) * min(1.0, 0.6 + 0.1 * z)
                         * (1.0 if by == "mkey" else 0.9))
                signals.append(Signal(
                    int(p), "amount_spike", float(score),
                    f"{money(mag[p], symbol)} at {out['merchant'].iat[p]} is {_times(ratio)} "
                    f"your usual {money(usual, symbol)} {where}",
                    details={"ratio": round(ratio, 2), "usual": round(usual, 2),
                             "z": round(float(z), 2),
                             "baseline": "merchant" if by == "mkey" else "category"}))
    return signals


def duplicates(out: pd.DataFrame, symbol: str, scale: float, window: int,
               series_of: dict) -> list[Signal]:
    mag, day, ids = out["mag"].to_numpy(), out["day"].to_numpy(), out["id"].to_numpy()
    cents = np.round(mag * 100).astype(np.int64)
    dates = out["date"].dt.strftime("%d %b").to_numpy()
    signals: list[Signal] = []
    for _, pos in out.groupby("mkey").indices.items():
        pairs: Counter[int] = Counter()
        for j in range(1, len(pos)):
            p, k = pos[j], j - 1
            while k >= 0 and day[p] - day[pos[k]] <= window and cents[pos[k]] != cents[p]:
                k -= 1
            if k < 0 or day[p] - day[pos[k]] > window:
                continue
            q = pos[k]
            habitual = pairs[cents[p]] >= 2
            pairs[cents[p]] += 1
            sq, sp = series_of.get(ids[q]), series_of.get(ids[p])
            if habitual or (sq is not None and sp is not None and sq != sp):
                continue
            gap = int(day[p] - day[q])
            score = 0.8 if gap == 0 else 0.72 if gap == 1 else 0.62
            if mag[p] < 0.5 * scale:
                score = 0.35
            when = "on the same day" if gap == 0 else f"{gap} day{'s' * (gap > 1)} apart"
            signals.append(Signal(
                int(p), "duplicate", score,
                f"{money(mag[p], symbol)} at {out['merchant'].iat[p]} was charged twice "
                f"{when} ({dates[q]} and {dates[p]})", related=[ids[q]],
                details={"first_id": ids[q], "gap_days": gap}))
    return signals


def bursts(out: pd.DataFrame, symbol: str, scale: float, span: int = 3) -> list[Signal]:
    mag, day, ids = out["mag"].to_numpy(), out["day"].to_numpy(), out["id"].to_numpy()
    signals: list[Signal] = []
    first_day = int(day.min()) if len(day) else 0
    for key, pos in out.groupby("mkey").indices.items():
        d = day[pos]
        # the merchant's own rate, from its first charge: the user's earliest transaction may
        # be an old statement from years before this merchant existed in their life
        since = int(d[0])
        left = np.searchsorted(d, d - (span - 1), side="left")
        count = np.arange(len(d)) - left + 1
        j, done = 0, -1
        while j < len(pos):
            # expected charges in a window of `span` days at this merchant's earlier rate
            expected = left[j] * span / max(int(d[left[j]]) - since, 30)
            members = pos[left[j]:j + 1]
            need = max(4 if np.median(mag[members]) <= scale else 6,
                       int(poisson.isf(BURST_P, expected)) + 1 if expected > 0 else 0)
            if count[j] < need or j <= done or d[left[j]] - first_day < 60:
                j += 1
                continue
            end = j
            while end + 1 < len(pos) and d[end + 1] - d[left[j]] < span:
                end += 1
            members = pos[left[j]:end + 1]
            total, k = float(mag[members].sum()), len(members)
            score = min(0.9, 0.65 + 0.05 * (k - need))
            months = max(int(d[left[j]]) - since, 30) / 30.44
            usual = (f"before that, {left[j]} charge{'s' if left[j] > 1 else ''} there in "
                     f"{months:.0f} months" if left[j] else "a merchant you had not paid before")
            reason = (f"{k} charges at {out['merchant'].iat[members[0]]} within "
                      f"{int(d[end] - d[left[j]]) + 1} days ({money(total, symbol)} in total); "
                      f"{usual}")
            akey = f"burst:{key}:{out['date'].iat[members[0]].date()}"
            for p in members:
                signals.append(Signal(int(p), "burst", score, reason,
                                      related=[i for i in ids[members] if i != ids[p]],
                                      alert_key=akey, details={"count": k, "total": total}))
            done, j = end, end + 1
    return signals


def firsts(out: pd.DataFrame, symbol: str, scale: float, start: pd.Timestamp) -> list[Signal]:
    mag = out["mag"].to_numpy()
    age = (out["date"] - start).dt.days.to_numpy()
    large = max(float(np.quantile(mag, 0.97)), 8 * scale)
    share = np.searchsorted(np.sort(mag), mag, side="left") / len(mag)
    first_m = (out.groupby("mkey").cumcount() == 0).to_numpy()
    first_c = ((out.groupby("catkey").cumcount() == 0) & (out["catkey"] != "")).to_numpy()
    signals: list[Signal] = []
    for p in np.flatnonzero(first_m & (age >= 60) & (mag >= large)):
        ratio = mag[p] / large
        signals.append(Signal(
            int(p), "first_time_merchant", float(min(0.9, 0.45 + 0.2 * np.log2(ratio))),
            f"First payment to {out['merchant'].iat[p]}: {money(mag[p], symbol)} is more than "
            f"{share[p]:.0%} of your payments", details={"threshold": round(large, 2)}))
    for p in np.flatnonzero(first_c & (age >= 90)):
        signals.append(Signal(
            int(p), "new_category", 0.3,
            f"First spending in {out['category'].iat[p]} in {age[p] // 30} months of history",
            details={"months": int(age[p] // 30)}))
    return signals

"""Recurring bills, subscriptions and income: series detection with cadence, next charge,
price rises, missed payments and new subscriptions.

``RecurringDetector(as_of=...).fit(tx)`` groups charges by normalized merchant and sign, splits
each group into amount clusters (gaps > ~16% between sorted log amounts, plus repeated exact
amounts inside a noisy cluster), fits a cadence to each cluster (:mod:`ml.cadence`), joins
clusters and single charges that continue a series at a new price, and stores one row per series
in ``series_`` (columns :data:`SERIES_COLUMNS`). ``transform(tx)`` maps rows to series keys.

Status, relative to ``as_of`` (default: the last transaction date; later rows are ignored):
``missed`` when the expected date passed more than the cadence's grace period ago, ``ended``
when two or more expected charges are missing (no alert), ``new`` when the series started within
the last ``new_within_cycles`` cycles (at most 100 days back), else ``active``. Quarterly and
yearly series of two or three charges count as fixed-price, so a renewal at a new price is a
price change. ``confidence`` is regularity x amount stability x (1 - 0.5^(n-1)); series of two
charges score at most 0.5 (tentative). Transfers are left out unless
``include_transfers``, and cash withdrawals (:data:`ml.txframe.CASH_CATEGORIES`: the money is
still the user's, a regular €60 from the ATM is no bill) unless ``include_cash``. Empty input
gives an empty ``series_`` with the same columns.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ml.cadence import Cadence, fit_cadence, grace_days, is_fixed, next_expected, price_changes
from ml.txframe import CASH_CATEGORIES, prepare

log = logging.getLogger(__name__)

SERIES_COLUMNS = [
    "series_key", "merchant", "mkey", "direction", "cadence", "period_days", "category",
    "amount_type", "mean_amount", "last_amount", "n", "first_date", "last_date", "next_date",
    "next_amount", "price_change_date", "price_change_from", "price_change_to",
    "price_change_pct", "price_changes", "has_price_rise", "status", "is_new", "is_missed",
    "missed_count", "confidence", "transaction_ids"]
NEW_WINDOW_DAYS = 100  # "new" never reaches further back than this, even for yearly series
_GAP = 0.15  # log-amount gap that separates two amount clusters of one merchant


def _clusters(a: np.ndarray) -> list[np.ndarray]:
    """Positions (in date order) of each amount cluster of one merchant's charges."""
    logs = np.log(np.abs(a))
    order = np.argsort(logs, kind="stable")
    cuts = np.flatnonzero(np.diff(logs[order]) > _GAP) + 1
    return [np.sort(part) for part in np.split(order, cuts)]


class RecurringDetector:
    """Finds recurring series in one user's transactions (scikit-learn style)."""

    def __init__(self, as_of: object = None, min_occurrences: int = 3,
                 price_change_threshold: float = 0.05, new_within_cycles: float = 2.0,
                 include_transfers: bool = False, include_cash: bool = False) -> None:
        self.as_of = as_of
        self.min_occurrences = min_occurrences
        self.price_change_threshold = price_change_threshold
        self.new_within_cycles = new_within_cycles
        self.include_transfers = include_transfers
        self.include_cash = include_cash

    def _candidates(self, d: np.ndarray, a: np.ndarray) -> list[tuple[np.ndarray, Cadence]]:
        """Amount clusters with a cadence; inside a noisy cluster, repeated exact amounts on a
        strict cadence (a subscription among purchases at the same merchant). Two charges
        only make a series when the merchant has at most three charges in all, already has a
        series (a biller), or has no other charge within half to twice their amount."""
        found: list[tuple[np.ndarray, Cadence]] = []
        mag = np.abs(a)
        for part in sorted(_clusters(a), key=len, reverse=True):
            if len(part) == 2 and len(a) > 3 and not found:
                lo, hi = mag[part].min() / 2, mag[part].max() * 2
                rest = np.delete(mag, part)
                if ((rest >= lo) & (rest <= hi)).any():
                    continue
            cad = fit_cadence(d[part], a[part], self.min_occurrences)
            if cad is not None:
                found.append((part, cad))
                continue
            cents = np.round(a[part], 2)
            values, counts = np.unique(cents, return_counts=True)
            for value in values[counts >= max(4, self.min_occurrences + 1)]:
                sub = part[cents == value]
                cad = fit_cadence(d[sub], a[sub], self.min_occurrences)
                if cad is not None and cad.name != "irregular" and cad.regularity == 1.0:
                    found.append((sub, cad))
        return found

    @staticmethod
    def _join(d: np.ndarray, a: np.ndarray, found: list[tuple[np.ndarray, Cadence]]
              ) -> list[tuple[np.ndarray, Cadence]]:
        """Join series that continue each other at a new price; absorb single charges that
        arrive on cadence before or after a series (a price change on the first/last charge)."""
        merged: list[tuple[np.ndarray, Cadence]] = []
        for idx, cad in sorted(found, key=lambda f: d[f[0]].min()):
            if merged and merged[-1][1].name == cad.name and cad.name != "irregular":
                prev_idx, prev = merged[-1]
                gap = d[idx].min() - d[prev_idx].max()
                if abs(gap - prev.period) <= max(3.0, prev.period * 0.25):
                    merged[-1] = (np.concatenate([prev_idx, idx]), prev)
                    continue
            merged.append((idx, cad))
        free = np.ones(len(d), dtype=bool)
        for idx, _ in merged:
            free[idx] = False
        out = []
        mag = np.abs(a)
        for idx, cad in merged:
            members = set(idx.tolist())
            tol = max(3.0, cad.period * 0.2)
            for step in (1, -1):
                while cad.name != "irregular":
                    edge = max(members) if step > 0 else min(members)
                    want = d[edge] + step * cad.period
                    near = np.flatnonzero(free & (np.abs(d - want) <= tol)
                                          & (mag >= mag[edge] / 1.6) & (mag <= mag[edge] * 1.6))
                    if len(near) != 1:  # nothing there, or ambiguous in a busy merchant
                        break
                    members.add(int(near[0]))
                    free[near[0]] = False
            out.append((np.array(sorted(members)), cad))
        return out

    @staticmethod
    def _plausible(d: np.ndarray, a: np.ndarray, idx: np.ndarray, cad: Cadence,
                   claimed: np.ndarray) -> bool:
        """Reject series drowned in other charges of similar size at the same merchant that
        belong to no series (coincidences in a busy shop), unless strictly regular and fixed."""
        mag = np.abs(a)
        similar = (mag >= mag[idx].min() / 2) & (mag <= mag[idx].max() * 2) & ~claimed
        inside = int((similar & (d >= d[idx].min()) & (d <= d[idx].max())).sum())
        strict = cad.regularity == 1.0 and is_fixed(np.abs(a[idx]))
        return bool(inside <= len(idx) or (strict and len(idx) >= 3))

    def fit(self, tx: pd.DataFrame, y: object = None) -> RecurringDetector:
        """Detect the series in ``tx`` (columns date, amount, merchant or description, id)."""
        df = prepare(tx)
        if not self.include_transfers:
            df = df.loc[~df["is_transfer"]]
        if not self.include_cash:
            df = df.loc[~df["category"].isin(CASH_CATEGORIES)]
        df = df.loc[df["amount"] != 0]
        as_of = pd.Timestamp(self.as_of) if self.as_of is not None else (
            df["date"].max() if len(df) else pd.Timestamp.today().normalize())
        df = df.loc[df["date"] <= as_of]
        self.as_of_ = as_of
        rows: list[dict[str, object]] = []
        df["sign"] = np.sign(df["amount"]).astype(int)
        day_numbers = df["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
        amounts = df["amount"].to_numpy()
        groups = df.groupby(["mkey", "sign"], sort=True).indices
        for key in sorted(groups):
            pos = groups[key]  # positions in date order (df is sorted by date)
            if len(pos) < 2:
                continue
            d, a = day_numbers[pos], amounts[pos]
            joined = self._join(d, a, self._candidates(d, a))
            claimed = np.zeros(len(d), dtype=bool)
            for idx, _ in joined:
                claimed[idx] = True
            for idx, cad in joined:
                if self._plausible(d, a, idx, cad, claimed):
                    rows.append(self._describe(df.iloc[pos[idx]], cad, as_of))
        series = pd.DataFrame(rows, columns=SERIES_COLUMNS)
        if len(series):
            series = series.sort_values(["series_key", "mean_amount"], ignore_index=True)
            dup = series.groupby("series_key").cumcount()
            series["series_key"] = series["series_key"].where(
                dup == 0, series["series_key"] + ":" + (dup + 1).astype(str))
        self.series_ = series
        self.members_ = {tid: key for key, ids in zip(series["series_key"],
                                                       series["transaction_ids"], strict=True)
                         for tid in ids}
        return self

    def _describe(self, s: pd.DataFrame, cad: Cadence, as_of: pd.Timestamp) -> dict[str, object]:
        s = s.sort_values("date", kind="stable")
        amounts = s["amount"].to_numpy()
        fixed = is_fixed(np.abs(amounts)) or (cad.period > 80 and len(s) <= 3)
        changes = price_changes(s["date"], amounts, self.price_change_threshold) if fixed else []
        rises = [c for c in changes if float(c["pct"]) > 0]
        latest = rises[-1] if rises else (changes[-1] if changes else None)
        nxt = next_expected(s["date"], cad)
        grace = grace_days(cad)
        overdue = (as_of - nxt).days - grace
        missed = 0 if overdue <= 0 else 1 + int(overdue // max(cad.period, 1.0))
        first = s["date"].iloc[0]
        window = min(cad.period * self.new_within_cycles, NEW_WINDOW_DAYS)
        is_new = bool((as_of - first).days <= window + grace)
        status = "ended" if missed >= 2 else "missed" if missed else "new" if is_new else "active"
        sign = int(np.sign(amounts[0]))
        next_amount = amounts[-1] if fixed else float(np.median(amounts[-3:]))
        category = s["category"].dropna()
        count_factor = 1.0 - 0.5 ** (len(s) - 1)
        return {
            "series_key": f"{'out' if sign < 0 else 'in'}:{cad.name}:{s['mkey'].iloc[0]}",
            "merchant": str(s["merchant"].mode().iloc[0]), "mkey": s["mkey"].iloc[0],
            "direction": "out" if sign < 0 else "in", "cadence": cad.name,
            "period_days": round(cad.period, 2),
            "category": str(category.mode().iloc[0]) if len(category) else None,
            "amount_type": "fixed" if fixed else "variable",
            "mean_amount": round(float(amounts.mean()), 2),
            "last_amount": round(float(amounts[-1]), 2), "n": len(s),
            "first_date": first.date(), "last_date": s["date"].iloc[-1].date(),
            "next_date": nxt.date(), "next_amount": round(float(next_amount), 2),
            "price_change_date": latest["date"] if latest else None,
            "price_change_from": latest["from"] if latest else None,
            "price_change_to": latest["to"] if latest else None,
            "price_change_pct": latest["pct"] if latest else None,
            "price_changes": changes, "has_price_rise": bool(rises), "status": status,
            "is_new": is_new and not missed, "is_missed": status == "missed",
            "missed_count": missed,
            "confidence": round(cad.confidence * count_factor, 3),
            "transaction_ids": list(s["id"]),
        }

    def transform(self, tx: pd.DataFrame) -> pd.Series:
        """Series key of each row of ``tx`` (by id), ``None`` outside any series."""
        ids = prepare(tx)["id"].reindex(tx.index)
        return ids.map(lambda i: self.members_.get(i)).astype(object)

    def fit_transform(self, tx: pd.DataFrame, y: object = None) -> pd.Series:
        return self.fit(tx).transform(tx)

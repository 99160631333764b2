"""Anomalies in a user's spending: explainable rules plus a pyod outlier model, with user verdicts.

``AnomalyDetector(currency_symbol="€", verdicts=..., recurring=series_).fit(tx)`` scores every
money-out, non-transfer transaction and stores the flagged ones in ``anomalies_`` (columns
:data:`ANOMALY_COLUMNS`): ``score`` in [0, 1], ``risk`` high (>= 0.75) / medium (>= 0.5) / low,
the main ``kind`` and all ``kinds``, a ``reason`` sentence, ``alert_key`` (one per event: a burst
shares one) and ``related_ids``. Alerts are meant for medium and high risk; low is logged only.

Rules are in :mod:`ml.anomaly_rules`; in addition:

- ``unusual_time`` (low risk): a charge of a monthly series (6+ charges) more than 6 days away
  from the series' usual day of the month.
- ``outlier``: ECOD (pyod) over log amount, amount vs the merchant's and category's median,
  merchant frequency, days since the merchant's previous charge, weekday and day of month. The
  top 0.5% (above 3x the median payment) are flagged low risk with a generic reason, and any
  rule firing on a top-2% row gets +0.05. Skipped below 30 rows.
- Several rules on one row: the strongest sets kind and reason; each further rule scoring >= 0.4
  adds 0.05.

``recurring`` (``RecurringDetector.series_``) keeps known price changes from being reported as
spikes (the recurring stage reports them), exempts series charges within 0.5-2x of their own
series' median from the merchant spike rule (a yearly and a monthly product of one insurer) and
tells apart two different series at one price in the duplicate rule.
``verdicts`` (DataFrame or list of dicts with ``verdict`` = expected|suspicious and any of
``transaction_id``, ``merchant``, ``kind``): "expected" drops that transaction, and that
merchant+kind from then on (for amount kinds only up to 1.5x the accepted amount; no kind = all
kinds; no merchant and no transaction = that kind everywhere); "suspicious" adds 0.2 to every
signal at that merchant. ``since`` limits the report to transactions on or after that date.
No money-out rows: empty ``anomalies_``.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import numpy as np
import pandas as pd

from ml.anomaly_rules import Signal, amount_spikes, bursts, duplicates, firsts, money
from ml.txframe import normalize_merchant, prepare

log = logging.getLogger(__name__)

ANOMALY_COLUMNS = ["id", "date", "amount", "merchant", "category", "kind", "kinds", "score",
                   "risk", "reason", "alert_key", "related_ids", "details"]
AMOUNT_KINDS = frozenset({"amount_spike", "first_time_merchant", "outlier"})
HIGH, MEDIUM = 0.75, 0.5


def risk_level(score: float) -> str:
    return "high" if score >= HIGH else "medium" if score >= MEDIUM else "low"


class AnomalyDetector:
    """Flags unusual money-out transactions of one user (scikit-learn style)."""

    def __init__(self, currency_symbol: str = "€", verdicts: object = None,
                 recurring: pd.DataFrame | None = None, since: object = None,
                 duplicate_window_days: int = 3, min_score: float = 0.25) -> None:
        self.currency_symbol = currency_symbol
        self.verdicts = verdicts
        self.recurring = recurring
        self.since = since
        self.duplicate_window_days = duplicate_window_days
        self.min_score = min_score

    def _recurring_context(self, out: pd.DataFrame) -> tuple[dict, np.ndarray, list[Signal]]:
        series_of: dict = {}
        skip = np.zeros(len(out), dtype=bool)
        signals: list[Signal] = []
        if self.recurring is None or len(self.recurring) == 0:
            return series_of, skip, signals
        pos_of = {i: p for p, i in enumerate(out["id"])}
        for s in self.recurring.itertuples(index=False):
            members = [pos_of[i] for i in s.transaction_ids if i in pos_of]
            for i in s.transaction_ids:
                series_of[i] = s.series_key
            if len(members):  # judged against its own series, not the merchant's other charges
                mags = out["mag"].to_numpy()[members]
                skip[members] |= (mags <= 2 * np.median(mags)) & (mags >= 0.5 * np.median(mags))
            if s.amount_type == "fixed" and s.price_changes:
                first = pd.Timestamp(min(c["date"] for c in s.price_changes))
                for p in members:
                    skip[p] |= out["date"].iat[p] >= first
            if s.cadence == "monthly" and len(members) >= 6:
                dom = out["date"].iloc[members].dt.day.to_numpy()
                usual = int(np.median(dom))
                for p, d in zip(members, dom, strict=True):
                    if min(abs(d - usual), 31 - abs(d - usual)) > 6:
                        signals.append(Signal(
                            p, "unusual_time", 0.4,
                            f"{s.merchant} usually charges around day {usual} of the month; "
                            f"this one came on day {d}", details={"usual_day": usual}))
        return series_of, skip, signals

    @staticmethod
    def _outlier_rank(out: pd.DataFrame) -> np.ndarray:
        if len(out) < 30:
            return np.zeros(len(out))
        from pyod.models.ecod import ECOD

        logs = np.log(out["mag"].to_numpy())
        by_m = out.groupby("mkey")
        gap = by_m["day"].diff().fillna(365).clip(upper=365).to_numpy()
        features = np.column_stack([
            logs,
            logs - np.log(by_m["mag"].transform("median").to_numpy()),
            logs - np.log(out.groupby("catkey")["mag"].transform("median").to_numpy()),
            np.log1p(by_m["mag"].transform("size").to_numpy()),
            np.log1p(gap),
            out["date"].dt.day_of_week.to_numpy(),
            out["date"].dt.day.to_numpy(),
        ])
        scores = ECOD().fit(features).decision_scores_
        return pd.Series(scores).rank(pct=True).to_numpy()

    def _verdict_filter(self, out: pd.DataFrame, signals: list[Signal]) -> list[Signal]:
        if self.verdicts is None or len(self.verdicts) == 0:
            return signals
        rows = pd.DataFrame(self.verdicts).to_dict("records")
        by_id = {i: p for p, i in enumerate(out["id"])}
        expected: list[tuple[str | None, str | None, float | None]] = []
        drop_ids, boost_keys = set(), set()
        for v in rows:
            tid, kind = v.get("transaction_id"), v.get("kind") or None
            pos = by_id.get(tid) if tid is not None else None
            merchant = v.get("merchant")
            mkey = out["mkey"].iat[pos] if pos is not None else (
                normalize_merchant(merchant) if merchant else None)
            cap = float(out["mag"].iat[pos]) if pos is not None else None
            if v.get("verdict") == "expected":
                if pos is not None:
                    drop_ids.add(tid)
                if mkey or kind:
                    expected.append((mkey, kind, cap))
            elif v.get("verdict") == "suspicious" and mkey:
                boost_keys.add(mkey)
        kept = []
        for s in signals:
            mkey, mag, tid = out["mkey"].iat[s.pos], out["mag"].iat[s.pos], out["id"].iat[s.pos]
            if tid in drop_ids or any(
                    (m is None or m == mkey) and (k is None or k == s.kind)
                    and not (s.kind in AMOUNT_KINDS and cap is not None and mag > 1.5 * cap)
                    for m, k, cap in expected):
                continue
            if mkey in boost_keys:
                s.score = min(0.99, s.score + 0.2)
            kept.append(s)
        return kept

    def fit(self, tx: pd.DataFrame, y: object = None) -> AnomalyDetector:
        """Score ``tx`` (columns date, amount, merchant or description, category, id)."""
        df = prepare(tx)
        out = df.loc[~df["is_transfer"] & (df["amount"] < 0)].reset_index(drop=True)
        self.anomalies_ = pd.DataFrame({c: pd.Series(dtype=object) for c in ANOMALY_COLUMNS})
        self.scores_ = pd.Series(dtype="float64")
        if out.empty:
            return self
        out["mag"] = -out["amount"]
        out["day"] = out["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
        out["catkey"] = out["category"].fillna("").astype("str")
        sym, scale = self.currency_symbol, float(out["mag"].median())
        series_of, skip, signals = self._recurring_context(out)
        signals += amount_spikes(out, sym, scale, skip)
        signals += duplicates(out, sym, scale, self.duplicate_window_days, series_of)
        signals += bursts(out, sym, scale)
        signals += firsts(out, sym, scale, df["date"].min())
        rank = self._outlier_rank(out)
        for p in np.flatnonzero((rank >= 0.995) & (out["mag"].to_numpy() >= 3 * scale)):
            signals.append(Signal(int(p), "outlier", 0.4,
                                  f"{money(out['mag'].iat[p], sym)} at {out['merchant'].iat[p]} "
                                  "is unusual for you in amount, merchant and timing together"))
        self.signals_ = self._verdict_filter(out, signals)
        self.anomalies_ = self._combine(out, self.signals_, rank)
        return self

    def _combine(self, out: pd.DataFrame, signals: list[Signal], rank: np.ndarray
                 ) -> pd.DataFrame:
        by_pos: dict[int, list[Signal]] = defaultdict(list)
        for s in signals:
            by_pos[s.pos].append(s)
        since = pd.Timestamp(self.since) if self.since is not None else None
        rows, scores = [], np.zeros(len(out))
        for pos, sigs in by_pos.items():
            sigs.sort(key=lambda s: -s.score)
            top = sigs[0]
            extra = [s for s in sigs[1:]
                     if s.score >= 0.4 and s.kind not in (top.kind, "outlier")]
            score = min(0.99, top.score + 0.05 * len(extra) + 0.05 * (rank[pos] >= 0.98))
            scores[pos] = score
            date = out["date"].iat[pos]
            if score < self.min_score or (since is not None and date < since):
                continue
            tid = out["id"].iat[pos]
            rows.append({
                "id": tid, "date": date.date(), "amount": float(out["amount"].iat[pos]),
                "merchant": out["merchant"].iat[pos], "category": out["category"].iat[pos],
                "kind": top.kind, "kinds": sorted({s.kind for s in sigs}),
                "score": round(float(score), 3), "risk": risk_level(score),
                "reason": top.reason + "".join(f"; {s.reason}" for s in extra[:1]),
                "alert_key": top.alert_key or f"{top.kind}:{tid}",
                "related_ids": top.related, "details": top.details})
        self.scores_ = pd.Series(scores, index=out["id"].to_numpy(), name="score")
        if not rows:
            return self.anomalies_
        return pd.DataFrame(rows, columns=ANOMALY_COLUMNS).sort_values(
            ["date", "score"], ascending=[True, False], ignore_index=True)

    def fit_predict(self, tx: pd.DataFrame, y: object = None) -> pd.DataFrame:
        return self.fit(tx).anomalies_

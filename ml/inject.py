"""Known anomalies injected into a transaction history, to measure the detectors.

:func:`inject_anomalies` returns a copy of the history with injected events and a ``truth``
frame (one row per event: ``event``, ``kind``, ``ids``, ``date``, ``merchant``, ``rise_date``).
Events are placed after a warm-up (default 90 days) so the detectors have history to compare
with, at least 10 days apart, at ``per_six_months`` events of each kind per six months:

- ``amount_spike``: an existing charge at a merchant with 5+ earlier charges and a median of at
  least a quarter of the user's median payment (a spike that matters in money) becomes 5-10x
  that merchant's median;
- ``duplicate``: a copy of a charge (at least the user's median payment) 0-2 days later;
- ``burst``: 5-8 small charges (5-30% of the median payment) at a new merchant within 2 days;
- ``price_rise`` (one per history): a new monthly subscription whose price rises 10-25% for the
  last 1-3 charges; ``rise_date`` is the first charge at the new price.

Amounts scale with the user's own median payment, so the same code serves EUR and ZAR
histories. :func:`normalize_labeled` turns the raw labeled CSV (read as strings) into records.
"""

from __future__ import annotations

import logging
import random
import re
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd

from ml.txframe import prepare

log = logging.getLogger(__name__)

INJECT_KINDS = ("amount_spike", "duplicate", "burst", "price_rise")
_BURST_NAMES = ["PAYPAL *QUICKGAMES {ref}", "TOPUP*MOBILEPAY {ref}", "APPSTORE*MICRO {ref}"]
_SUB_NAMES = ["STREAMPLUS.COM", "CLOUDVAULT SUBSCRIPTION", "NEWSDAILY DIGITAL"]
_THOUSANDS = re.compile(r"^-?\d{1,3}(?: \d{3})+(?:\.\d+)?$")


def parse_amount(text: object) -> tuple[Decimal | None, str]:
    """``(amount, spill)``: a Decimal from ``"-1 234.50"`` or ``"470010 -0.80"`` (text that spilled
    into the amount column comes back as ``spill`` for the description)."""
    s = str(text).strip().replace("\u00a0", " ")
    if _THOUSANDS.match(s):
        s, spill = s.replace(" ", ""), ""
    else:
        head, _, s = s.rpartition(" ")
        spill = head.strip()
    try:
        return Decimal(s).quantize(Decimal("0.01")), spill
    except InvalidOperation:
        return None, str(text)


def normalize_labeled(raw: pd.DataFrame, prefix: str = "za") -> pd.DataFrame:
    """Records from the labeled CSV (description, amount, label, balance, date as strings):
    ``id``, ``date`` (datetime.date), ``amount`` (Decimal), ``description``, ``category``.
    Rows without a usable date or amount are dropped."""
    parsed = raw["amount"].map(parse_amount)
    spill = parsed.map(lambda p: p[1])
    desc = raw["description"].fillna("").astype(str).str.strip()
    out = pd.DataFrame({
        "id": [f"{prefix}-{i}" for i in range(len(raw))],
        "date": pd.to_datetime(raw["date"].str.strip(), format="ISO8601", errors="coerce"),
        "amount": parsed.map(lambda p: p[0]).astype(object),
        "description": (desc + " " + spill).str.strip().astype("str"),
        "category": raw["label"].astype("str").where(raw["label"].notna()),
    }, index=raw.index)
    out = out.loc[out["date"].notna() & out["amount"].notna()]
    out["date"] = out["date"].dt.date
    return out.sort_values("date", kind="stable", ignore_index=True)


def _row(template: dict, **changes: object) -> dict:
    row = dict(template)
    row.update(changes)
    return row


def inject_anomalies(tx: pd.DataFrame, seed: int = 0, per_six_months: int = 1,
                     warmup_days: int = 90) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(history with injected events, truth)``; see the module docstring."""
    rng = random.Random(seed)
    prep = prepare(tx)
    keep = ~prep["is_transfer"] & (prep["amount"] < 0)
    out_rows = prep.loc[keep]
    if out_rows.empty:
        return tx.copy(), pd.DataFrame(columns=["event", "kind", "ids", "date", "merchant",
                                                "rise_date"])
    first, last = prep["date"].min(), prep["date"].max()
    lo = first + pd.Timedelta(days=warmup_days)
    months = max((last - lo).days, 0) / 30.44
    n_each = max(1, round(months / 6 * per_six_months))
    scale = float(-out_rows["amount"].median())
    base = tx.loc[prep.index].to_dict("records")
    by_id = {r["id"] if "id" in r else r.get("external_id"): r for r in base}
    id_col = "id" if "id" in tx else "external_id"
    new_rows: list[dict] = []
    truth: list[dict] = []
    taken: list[pd.Timestamp] = []

    def free_day(day: pd.Timestamp) -> bool:
        return lo <= day <= last and all(abs((day - t).days) >= 10 for t in taken)

    def money(value: float) -> object:
        return Decimal(f"{value:.2f}") if isinstance(base[0]["amount"], Decimal) else value

    counts = out_rows.groupby("mkey").cumcount()
    med = out_rows.groupby("mkey")["amount"].transform(lambda a: a.abs().expanding().median())
    spike_pool = out_rows.loc[(counts >= 5) & (out_rows["date"] >= lo) & (med >= scale / 4)]
    dup_pool = out_rows.loc[(out_rows["date"] >= lo) & (-out_rows["amount"] >= scale)]
    template = base[0]
    for kind in INJECT_KINDS:
        for _ in range(1 if kind == "price_rise" else n_each):
            if kind == "amount_spike" and len(spike_pool):
                cand = spike_pool.sample(n=min(40, len(spike_pool)),
                                         random_state=rng.randint(0, 9999))
                cand = cand.loc[[free_day(d) for d in cand["date"]]]
                if cand.empty:
                    continue
                pick = cand.iloc[0]
                usual = float(med.loc[cand.index[0]])
                by_id[pick["id"]]["amount"] = money(-usual * rng.uniform(5, 10))
                taken.append(pick["date"])
                truth.append({"kind": kind, "ids": [pick["id"]], "date": pick["date"],
                              "merchant": pick["merchant"]})
            elif kind == "duplicate" and len(dup_pool):
                cand = dup_pool.sample(n=min(40, len(dup_pool)),
                                       random_state=rng.randint(0, 9999))
                cand = cand.loc[[free_day(d) for d in cand["date"]]]
                if cand.empty:
                    continue
                pick = cand.iloc[0]
                when = min(pick["date"] + pd.Timedelta(days=rng.choice((0, 1, 2))), last)
                new_id = f"{pick['id']}-dup"
                new_rows.append(_row(by_id[pick["id"]], **{id_col: new_id, "date": when.date()}))
                taken.append(pick["date"])
                truth.append({"kind": kind, "ids": [new_id], "date": when,
                              "merchant": pick["merchant"]})
            elif kind == "burst":
                days = [d for d in pd.date_range(lo, last - pd.Timedelta(days=2)) if free_day(d)]
                if not days:
                    continue
                day, name = rng.choice(days), rng.choice(_BURST_NAMES)
                ids = []
                for k in range(rng.randint(5, 8)):
                    tid = f"inj-{seed}-burst-{len(truth)}-{k}"
                    when = day + pd.Timedelta(days=rng.choice((0, 0, 1)))
                    new_rows.append(_row(template, **{
                        id_col: tid, "date": when.date(),
                        "amount": money(-max(0.5, scale * rng.uniform(0.05, 0.3))),
                        "description": name.format(ref=f"{rng.getrandbits(24):06X}"),
                        "merchant": name.split(" {")[0].title(), "category": None}))
                    ids.append(tid)
                taken.append(day)
                truth.append({"kind": kind, "ids": ids, "date": day,
                              "merchant": name.split(" {")[0].title()})
            elif kind == "price_rise":
                name, dom = rng.choice(_SUB_NAMES), rng.randint(2, 26)
                price = round(max(2.0, scale * rng.uniform(0.2, 0.8)), 2)
                starts = pd.date_range(first + pd.Timedelta(days=20), last, freq="MS")
                dates = [d + pd.Timedelta(days=dom - 1) for d in starts]
                dates = [d for d in dates if d <= last]
                if len(dates) < 5:
                    continue
                rise_at = len(dates) - rng.randint(1, min(3, len(dates) - 4))
                new_price = round(price * (1 + rng.uniform(0.1, 0.25)), 2)
                ids = []
                for k, when in enumerate(dates):
                    tid = f"inj-{seed}-sub-{k}"
                    new_rows.append(_row(template, **{
                        id_col: tid, "date": when.date(),
                        "amount": money(-(new_price if k >= rise_at else price)),
                        "description": f"DD {name}", "merchant": name.title(),
                        "category": None}))
                    ids.append(tid)
                truth.append({"kind": kind, "ids": ids, "date": dates[rise_at],
                              "merchant": name.title(), "rise_date": dates[rise_at].date()})
    for r in new_rows:
        for col in ("is_anomaly", "anomaly_kind", "is_transfer"):
            if col in r:
                r[col] = {"is_anomaly": False, "anomaly_kind": None, "is_transfer": False}[col]
    result = pd.DataFrame(base + new_rows, columns=list(tx.columns))
    result = result.sort_values("date", kind="stable", ignore_index=True)
    truth_df = pd.DataFrame(truth, columns=["kind", "ids", "date", "merchant", "rise_date"])
    truth_df.insert(0, "event", [f"inj-{seed}-{i}" for i in range(len(truth_df))])
    log.info("injected %d events into %d transactions", len(truth_df), len(tx))
    return result, truth_df


def event_ids(truth: pd.DataFrame) -> set:
    """All transaction ids that belong to an injected event."""
    return set(np.concatenate([np.asarray(i, dtype=object) for i in truth["ids"]])) if len(
        truth) else set()

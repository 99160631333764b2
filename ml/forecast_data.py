"""Inputs of the cash-flow forecast: a user's flows split into known recurring items and a
variable part, as monthly group totals (helpers of :mod:`ml.forecast`).

:func:`prepare_flows` takes the transactions (as for :func:`ml.txframe.prepare`), the recurring
series (``RecurringDetector.series_``) and ``as_of``, and returns :class:`Flows`:

- Transfers (``is_transfer``) and rows after ``as_of`` are left out. Refunds (money in with
  category "Refunds") count as negative spend, as in :mod:`ml.patterns`.
- **Projected series** are those not ``ended``, with a named cadence (not ``irregular``) and
  ``confidence >= min_confidence``: their future charges are scheduled on their dates
  (:func:`schedule`). Their past charges, and those of ``ended`` series, are removed from the
  variable history (the first are projected, the second will not come back); charges of the
  remaining (tentative or irregular) series stay in the variable part.
- **Variable part**: monthly totals of three groups, ``income`` (money in), ``essential``
  (spend in :data:`ESSENTIAL_CATEGORIES`) and ``discretionary`` (all other spend, refunds,
  uncategorized), as positive numbers.
- **Training months** are complete calendar months (ending on or before ``as_of``) in the
  latest contiguous run of months that have any transaction: an empty month cuts the history
  (it means missing data, not a month without money). The first month of the run is dropped
  when its first transaction falls after day :data:`FIRST_MONTH_MAX_START_DAY` (a partial
  first statement month).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.txframe import month_start, prepare

log = logging.getLogger(__name__)

GROUPS = ("income", "essential", "discretionary")
FIRST_MONTH_MAX_START_DAY = 10
RECENT_MONTHS = 12  # months whose day-of-month spending shapes are kept
LATE_DAY = 28  # series usually paid from this day on are anchored to the month's last day
ESSENTIAL_CATEGORIES = frozenset({
    "Rent & Mortgage", "Utilities", "Home Insurance", "Home Maintenance", "Groceries", "Fuel",
    "Public Transport", "Car Maintenance", "Parking & Tolls", "Phone & Internet", "Pharmacy",
    "Doctor & Dentist", "Health Insurance", "Childcare", "Pets", "Tuition", "Bank Fees",
    "Interest Charges", "Income Tax", "Other Taxes", "Loan Repayment"})
_MONTH_STEPS = {"monthly": 1, "quarterly": 3, "yearly": 12}
_DAY_STEPS = {"weekly": 7, "biweekly": 14}
_SALARY_CADENCES = frozenset({"weekly", "biweekly", "monthly"})


@dataclass
class Flows:
    """One user's flows, ready for the models (all money positive floats except ``amount``)."""

    as_of: pd.Timestamp
    month: pd.Timestamp  # first day of as_of's month
    history: pd.DataFrame  # index: training months; GROUPS + income_total, spend_total,
    # essential_total (incl. recurring), net_total, salary (bool)
    to_date: dict[str, float]  # this month's actual income and spend up to as_of
    shapes: np.ndarray  # (k, 31) variable spend by day of month, recent training months
    projected: pd.DataFrame  # projected series + day (usual day of month), ratios, offsets
    first_date: pd.Timestamp
    n_rows: int
    var_totals: dict[str, float] = field(default_factory=dict)  # variable part, all dates
    notes: list[str] = field(default_factory=list)
    last_date: pd.Timestamp | None = None  # the latest transaction on or before as_of


def _group(df: pd.DataFrame) -> pd.Series:
    refund = (df["amount"] > 0) & (df["category"] == "Refunds")
    income = (df["amount"] > 0) & ~refund
    essential = df["category"].isin(ESSENTIAL_CATEGORIES) & ~income & ~refund
    return pd.Series(np.where(income, "income", np.where(essential, "essential",
                                                         "discretionary")), index=df.index)


def _split_series(recurring: pd.DataFrame | None, min_confidence: float
                  ) -> tuple[pd.DataFrame, set]:
    """(projected series, ids removed from the variable history)."""
    if recurring is None or len(recurring) == 0:
        return pd.DataFrame(columns=["series_key"]), set()
    rec = recurring
    keep = ((rec["status"] != "ended") & (rec["cadence"] != "irregular")
            & (rec["confidence"].astype(float) >= min_confidence))
    drop = keep | (rec["status"] == "ended")
    removed = {i for ids in rec.loc[drop, "transaction_ids"] for i in ids}
    return rec.loc[keep].reset_index(drop=True), removed


def training_months(present: pd.DatetimeIndex, first_day: pd.Series, as_of: pd.Timestamp
                    ) -> pd.DatetimeIndex:
    """Complete months of the latest contiguous run of ``present`` months (month starts with
    data, sorted; ``first_day``: day of each month's first transaction), see the module doc."""
    complete = present[present + pd.offsets.MonthEnd(0) <= as_of]
    if len(complete) == 0:
        return complete
    run = [complete[-1]]
    for m in complete[::-1][1:]:
        if (run[-1].to_period("M") - m.to_period("M")).n != 1:
            break
        run.append(m)
    run = run[::-1]
    if first_day[run[0]] > FIRST_MONTH_MAX_START_DAY:
        run = run[1:]
    return pd.DatetimeIndex(run, dtype="datetime64[ns]")


def prepare_flows(tx: pd.DataFrame, recurring: pd.DataFrame | None, as_of: object = None,
                  min_confidence: float = 0.5) -> Flows | None:
    """The flows of one user (see the module docstring); ``None`` without usable rows."""
    df = prepare(tx)
    if as_of is not None:
        df = df.loc[df["date"] <= pd.Timestamp(as_of).normalize()]
    if df.empty:
        return None
    as_of = pd.Timestamp(as_of).normalize() if as_of is not None else df["date"].max()
    df = df.assign(month=month_start(df["date"]))
    first_day = df.groupby("month")["date"].min().dt.day
    train = training_months(pd.DatetimeIndex(first_day.index), first_day, as_of)
    own = df.loc[~df["is_transfer"]].copy()
    projected, removed = _split_series(recurring, min_confidence)
    own["group"] = _group(own)
    own["value"] = np.where(own["group"] == "income", own["amount"], -own["amount"])
    own["recurring"] = own["id"].isin(removed)
    var = own.loc[~own["recurring"]]
    hist = var.groupby(["month", "group"])["value"].sum().unstack("group")
    hist = hist.reindex(index=train, columns=list(GROUPS)).fillna(0.0)
    inc = own["group"] == "income"
    totals = pd.DataFrame({
        "income_total": own["value"].where(inc, 0.0).groupby(own["month"]).sum(),
        "spend_total": own["value"].where(~inc, 0.0).groupby(own["month"]).sum(),
        "essential_total": own["value"].where(own["group"] == "essential", 0.0)
        .groupby(own["month"]).sum(),
    }).reindex(train).fillna(0.0)
    hist = pd.concat([hist, totals], axis=1)
    hist["net_total"] = hist["income_total"] - hist["spend_total"]
    hist["salary"] = _salary_months(own, recurring, train)
    month = as_of.to_period("M").to_timestamp()
    cur = own.loc[own["month"] == month]
    cur_inc = cur["group"] == "income"
    to_date = {"income": float(cur["value"].where(cur_inc, 0.0).sum()),
               "spend": float(cur["value"].where(~cur_inc, 0.0).sum())}
    spend = var.loc[(var["group"] != "income") & var["month"].isin(train[-RECENT_MONTHS:])]
    shapes = np.zeros((min(len(train), RECENT_MONTHS), 31))
    if len(shapes):
        pos = {m: i for i, m in enumerate(train[-RECENT_MONTHS:])}
        np.add.at(shapes, (spend["month"].map(pos).to_numpy(dtype=int),
                           spend["date"].dt.day.to_numpy() - 1), spend["value"].to_numpy())
    projected = _with_amount_pools(projected, own)
    var_totals = {g: float(var.loc[var["group"] == g, "value"].sum()) for g in GROUPS}
    return Flows(as_of, month, hist, to_date, np.clip(shapes, 0.0, None), projected,
                 df["date"].min(), len(own), var_totals, last_date=df["date"].max())


def _salary_months(own: pd.DataFrame, recurring: pd.DataFrame | None,
                   train: pd.DatetimeIndex) -> pd.Series:
    """Training months with a salary: an inflow categorised "Salary" or a member of a weekly,
    biweekly or monthly income series."""
    ids: set = set()
    if recurring is not None and len(recurring):
        inc = recurring.loc[(recurring["direction"] == "in")
                            & recurring["cadence"].isin(_SALARY_CADENCES)]
        ids = {i for row in inc["transaction_ids"] for i in row}
    paid = (own["amount"] > 0) & ((own["category"] == "Salary") | own["id"].isin(ids))
    months = set(own.loc[paid, "month"])
    return pd.Series([m in months for m in train], index=train, dtype=bool)


def slot_offsets(dates: np.ndarray, day: int) -> tuple[np.ndarray, bool]:
    """(days each charge came after its slot, whether a charge ever left its slot's month).

    A charge's slot is day ``day`` (clipped to the month's length) of its own month or of a
    neighbouring one, whichever is nearest; offsets are exact calendar days."""
    d = np.asarray(dates, dtype="datetime64[D]")
    month = d.astype("datetime64[M]")
    best = np.full(len(d), 10_000)
    moved = np.zeros(len(d), dtype=bool)
    for delta in (0, -1, 1):
        m = month + delta
        start = m.astype("datetime64[D]")
        dim = ((m + 1).astype("datetime64[D]") - start).astype(int)
        off = (d - (start + np.minimum(day, dim) - 1)).astype(int)
        better = np.abs(off) < np.abs(best)
        best = np.where(better, off, best)
        moved = np.where(better, delta != 0, moved)
    return best, bool(moved.any())


def _with_amount_pools(projected: pd.DataFrame, own: pd.DataFrame) -> pd.DataFrame:
    """Adds ``day`` (usual day of month of the last six charges; 31, i.e. the month's last
    day, from day :data:`LATE_DAY` on), ``ratios`` (amount / median amount of the last twelve
    charges for variable-amount series, else ``[1.0]``), ``offsets`` and ``crosses``
    (:func:`slot_offsets` of the last twelve charges of a monthly, quarterly or yearly series;
    ``[0]`` and False for weekly ones)."""
    if len(projected) == 0:
        return projected.assign(day=pd.Series(dtype=int), ratios=pd.Series(dtype=object),
                                offsets=pd.Series(dtype=object), crosses=pd.Series(dtype=bool))
    pos = dict(zip(own["id"], range(len(own)), strict=True))  # own is sorted by date
    dates = own["date"].to_numpy(dtype="datetime64[D]")
    amount = own["amount"].to_numpy()
    days, ratios, offsets, crosses = [], [], [], []
    for s in projected.itertuples(index=False):
        idx = np.sort(np.array([pos[i] for i in s.transaction_ids if i in pos], dtype=int))
        seen = dates[idx][-12:]
        dom = (seen - seen.astype("datetime64[M]")).astype(int) + 1
        day = int(np.median(dom[-6:])) if len(idx) else pd.Timestamp(s.next_date).day
        day = 31 if day >= LATE_DAY else day
        days.append(day)
        if s.cadence in _MONTH_STEPS and len(seen):
            off, crossed = slot_offsets(seen, day)
        else:
            off, crossed = np.zeros(1, dtype=int), False
        offsets.append(off)
        crosses.append(crossed)
        mag = np.abs(amount[idx][-12:])
        variable = s.amount_type == "variable" and len(mag) >= 3 and np.median(mag) > 0
        ratios.append(mag / np.median(mag) if variable else np.ones(1))
    return projected.assign(day=days, ratios=ratios, offsets=offsets, crosses=crosses)


def schedule(projected: pd.DataFrame, as_of: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Future charges of the projected series in ``(as_of, end]``: ``date``, ``amount``
    (signed p50: the series' ``next_amount``), ``series_key``, ``category``, ``ratios``,
    ``offsets``, ``crosses``.

    Monthly, quarterly and yearly series step in calendar months on their usual day
    (clipped to the month's length; late-month series on the last day), weekly and biweekly
    ones in days. A charge expected on
    or before ``as_of`` that is not yet ``missed`` is due the next day; a missed one is
    skipped (its later charges stay)."""
    rows: list[tuple] = []
    for s in projected.itertuples(index=False):
        nxt = pd.Timestamp(s.next_date)
        dates: list[pd.Timestamp] = []
        if s.cadence in _DAY_STEPS:
            step = pd.Timedelta(days=_DAY_STEPS[s.cadence])
            dates = list(pd.date_range(nxt, end, freq=step))
        elif s.cadence in _MONTH_STEPS:
            base = nxt.to_period("M")
            k = 0
            while True:
                m = (base + k * _MONTH_STEPS[s.cadence]).to_timestamp()
                if m > end:
                    break
                day = nxt.day if k == 0 else min(int(s.day), m.days_in_month)
                dates.append(m + pd.Timedelta(days=day - 1))
                k += 1
        for i, d in enumerate(dates):
            if d <= as_of:
                if i > 0 or s.status == "missed":
                    continue
                d = as_of + pd.Timedelta(days=1)
            if d <= end:
                rows.append((d, float(s.next_amount), s.series_key, s.category, s.ratios,
                             s.offsets, s.crosses))
    return pd.DataFrame(rows, columns=["date", "amount", "series_key", "category", "ratios",
                                       "offsets", "crosses"])

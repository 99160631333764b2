"""Monthly and weekly budgets per category: suggestions from history, progress, rollover,
safe-to-spend for the rest of the month, and budget alerts at 80% and 100%.

``BudgetPlanner().fit(tx, as_of=day, budgets={"Groceries": 600}, balance=2500,
upcoming=forecast.recurring_items, buffer=300, anomaly_ids=flagged)`` gives:

- ``as_of`` defaults to the last transaction's date (today when there is none).
- ``suggested_``: per spending category (leaf), the median monthly spend of the last
  ``lookback_months`` complete months (months without spend in that category count as 0; a
  first month whose data starts after day 10 is left out as partial),
  rounded up to ``round_to``; money out only, no transfers, no income, no refunds; rows flagged as
  anomalies (``anomaly_ids``, and an ``is_anomaly`` column when present) are left out, so a
  one-off never inflates a budget. Categories whose median is 0 get no suggestion. Columns
  ``category``, ``suggested``, ``median``, ``p75``, ``months``, ``fixed`` (monthly spend within
  :data:`FIXED_CV` of its mean: a bill such as rent).
- ``progress_``: the current month (of ``as_of``) for every budgeted category (``budgets``
  override the suggestions; categories missing from ``budgets`` use the suggestion). Columns
  ``category``, ``budget``, ``fixed``, ``rollover``, ``available`` (= budget + rollover),
  ``spent``, ``remaining``, ``pct`` (spent / available), ``status`` (``ok``; ``warning`` from
  80%; ``reached`` at 100%; ``over`` above it), ``expected_by_now`` (available x share of the
  month gone), ``weekly_budget`` (available x 7 / days in month), ``spent_this_week`` (Monday to
  ``as_of``, this month only), ``week_remaining``.
- Rollover: the unspent part of last month's budget (budget - spent, if positive) is added to
  this month, capped at ``rollover_cap`` x the budget; overspending is not carried, and the
  rollover does not compound (only last month counts, today's budget applied to it). Nothing
  rolls over when last month has no spending data at all (a new user). ``rollover=False``
  turns it off.
- ``safe_to_spend_``: ``balance_based`` = balance - buffer - bills still due this month +
  recurring income still due this month (``upcoming``: rows with ``date``, signed ``amount``,
  optional ``category``, e.g. ``ForecastResult.recurring_items``); ``budget_based`` = the sum of
  remaining budgets, less the part of each that is reserved for that category's bills still due;
  ``safe_to_spend`` = the smaller of the two (floored at 0; only the budget one without a
  balance); ``per_day`` over the days left including today.
- ``alerts_``: one row per category at or over 80% / 100% this month (the higher level only),
  with a stable ``alert_key`` (``budget:<category>:<YYYY-MM>:<80|100>``) for the alert system to
  deduplicate. Fixed categories alert only when more than 1% over (the bill went up).

No transactions: empty ``suggested_`` / ``progress_`` (user budgets still listed with zero spend)
and a safe-to-spend from the balance alone.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from ml.forecast_data import FIRST_MONTH_MAX_START_DAY
from ml.txframe import month_start, prepare

log = logging.getLogger(__name__)

WARN, OVER = 0.8, 1.0
FIXED_CV = 0.05  # a category this steady month to month is a bill, not a habit
PROGRESS_COLUMNS = ["category", "budget", "fixed", "rollover", "available", "spent", "remaining",
                    "pct", "status", "expected_by_now", "weekly_budget", "spent_this_week",
                    "week_remaining"]


class BudgetPlanner:
    """Budgets of one user (scikit-learn style; see the module docstring)."""

    def __init__(self, lookback_months: int = 6, round_to: float = 5.0, rollover: bool = True,
                 rollover_cap: float = 0.5) -> None:
        self.lookback_months = lookback_months
        self.round_to = round_to
        self.rollover = rollover
        self.rollover_cap = rollover_cap

    def fit(self, tx: pd.DataFrame, as_of: object = None, budgets: dict | None = None,
            balance: object = None, upcoming: pd.DataFrame | None = None, buffer: float = 0.0,
            anomaly_ids: object = None) -> BudgetPlanner:
        spend = self._spend(tx, anomaly_ids)
        if as_of is not None:
            self.as_of_ = pd.Timestamp(as_of).normalize()
        elif len(spend):
            self.as_of_ = spend["date"].max()
        else:
            self.as_of_ = pd.Timestamp.today().normalize()
        spend = spend.loc[spend["date"] <= self.as_of_]
        self.month_ = self.as_of_.to_period("M").to_timestamp()
        self.suggested_ = self._suggest(spend)
        chosen = dict(zip(self.suggested_["category"], self.suggested_["suggested"],
                          strict=True))
        chosen.update({str(k): float(v) for k, v in (budgets or {}).items()})
        self.budgets_ = chosen
        self.progress_ = self._progress(spend, chosen)
        self.safe_to_spend_ = self._safe(balance, upcoming, buffer)
        self.alerts_ = self._alerts()
        return self

    @staticmethod
    def _spend(tx: pd.DataFrame, anomaly_ids: object) -> pd.DataFrame:
        df = prepare(tx)
        flagged = set(anomaly_ids) if anomaly_ids is not None else set()
        if tx is not None and "is_anomaly" in tx and len(df):
            mask = tx["is_anomaly"].reindex(df.index).fillna(False).astype(bool)
            flagged |= set(df.loc[mask, "id"])
        keep = (~df["is_transfer"]) & (df["amount"] < 0) & ~df["id"].isin(flagged)
        out = df.loc[keep, ["id", "date", "amount", "category"]].copy()
        out["category"] = out["category"].fillna("Uncategorized")
        out["value"] = -out["amount"]
        out["month"] = month_start(out["date"])
        return out

    def _suggest(self, spend: pd.DataFrame) -> pd.DataFrame:
        cols = ["category", "suggested", "median", "p75", "months", "fixed"]
        prior = spend.loc[spend["month"] < self.month_]
        if prior.empty:
            return pd.DataFrame({c: pd.Series(dtype="float64") for c in cols}).astype(
                {"category": "str", "months": "int64", "fixed": bool})
        first = prior["month"].min()
        if prior["date"].min().day > FIRST_MONTH_MAX_START_DAY and first < prior["month"].max():
            first = first + pd.DateOffset(months=1)  # a partial first statement month
        months = pd.date_range(max(first, self.month_ - pd.DateOffset(
            months=self.lookback_months)), self.month_ - pd.DateOffset(months=1), freq="MS")
        table = prior.pivot_table(index="month", columns="category", values="value",
                                  aggfunc="sum").reindex(months).fillna(0.0)
        step = self.round_to or 0.01
        rows = []
        for cat in table.columns:
            values = table[cat]
            med = float(values.median())
            if med > 0:
                fixed = bool(len(values) >= 2 and values.std(ddof=0) <= FIXED_CV * values.mean())
                rows.append((cat, math.ceil(med / step) * step, round(med, 2),
                             round(float(values.quantile(0.75)), 2), len(months), fixed))
        out = pd.DataFrame(rows, columns=cols)
        return out.sort_values("suggested", ascending=False, ignore_index=True)

    def _progress(self, spend: pd.DataFrame, budgets: dict[str, float]) -> pd.DataFrame:
        this = spend.loc[spend["month"] == self.month_]
        prev = spend.loc[spend["month"] == self.month_ - pd.DateOffset(months=1)]
        spent = this.groupby("category")["value"].sum()
        spent_prev = prev.groupby("category")["value"].sum()
        week_start = self.as_of_ - pd.Timedelta(days=self.as_of_.weekday())
        week = this.loc[this["date"] >= week_start].groupby("category")["value"].sum()
        dim = self.month_.days_in_month
        fixed_cats = set(self.suggested_.loc[self.suggested_["fixed"], "category"])
        rows = []
        for cat, budget in budgets.items():
            carry = 0.0
            if self.rollover and len(prev):  # last month has data
                carry = min(max(budget - float(spent_prev.get(cat, 0.0)), 0.0),
                            self.rollover_cap * budget)
            avail = budget + carry
            used = float(spent.get(cat, 0.0))
            pct = used / avail if avail > 0 else (np.inf if used > 0 else 0.0)
            weekly = avail * 7 / dim
            wk = float(week.get(cat, 0.0))
            status = ("over" if used > avail + 0.005 else "reached" if pct >= OVER
                      else "warning" if pct >= WARN else "ok")
            rows.append((cat, round(budget, 2), cat in fixed_cats, round(carry, 2),
                         round(avail, 2), round(used, 2), round(avail - used, 2), pct, status,
                         round(avail * self.as_of_.day / dim, 2), round(weekly, 2), round(wk, 2),
                         round(weekly - wk, 2)))
        return pd.DataFrame(rows, columns=PROGRESS_COLUMNS)

    def _safe(self, balance: object, upcoming: pd.DataFrame | None, buffer: float
              ) -> dict[str, float]:
        end = self.month_ + pd.offsets.MonthEnd(0)
        due = pd.DataFrame(columns=["date", "amount", "category"])
        if upcoming is not None and len(upcoming):
            due = upcoming.assign(date=pd.to_datetime(upcoming["date"]))
            due = due.loc[(due["date"] > self.as_of_) & (due["date"] <= end)]
        amounts = due["amount"].astype(float)
        bills = float(-amounts[amounts < 0].sum())
        income = float(amounts[amounts > 0].sum())
        reserved = (due.loc[amounts < 0].assign(v=-amounts[amounts < 0])
                    .groupby("category")["v"].sum() if "category" in due and len(due)
                    else pd.Series(dtype=float))
        budget_based = 0.0
        for row in self.progress_.itertuples(index=False):
            budget_based += max(row.remaining - float(reserved.get(row.category, 0.0)), 0.0)
        balance_based = (float(balance) - float(buffer) - bills + income
                         if balance is not None else np.nan)
        if self.progress_.empty:
            safe = max(balance_based, 0.0) if not np.isnan(balance_based) else 0.0
        elif np.isnan(balance_based):
            safe = budget_based
        else:
            safe = max(min(balance_based, budget_based), 0.0)
        days_left = (end - self.as_of_).days + 1
        return {"balance_based": round(balance_based, 2), "budget_based": round(budget_based, 2),
                "bills_due": round(bills, 2), "income_due": round(income, 2),
                "safe_to_spend": round(safe, 2), "days_left": days_left,
                "per_day": round(safe / days_left, 2)}

    def _alerts(self) -> pd.DataFrame:
        rows = []
        tag = self.month_.strftime("%Y-%m")
        for row in self.progress_.itertuples(index=False):
            for level, name in ((OVER, "100"), (WARN, "80")):
                if row.fixed and (name == "80" or row.spent <= row.available * 1.01):
                    continue  # a bill paid at its usual price is no news
                if row.pct >= level:
                    rows.append((f"budget:{row.category}:{tag}:{name}", row.category, int(name),
                                 row.spent, row.available,
                                 f"{row.category}: {row.spent:,.2f} spent of {row.available:,.2f}"
                                 f" ({row.pct:.0%})"))
                    break
        return pd.DataFrame(rows, columns=["alert_key", "category", "level", "spent",
                                           "available", "message"])

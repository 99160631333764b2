"""Spending patterns: the per-user, per-month feature store read by later stages and pages.

:func:`monthly_features` returns one row per calendar month from the first to the last
transaction (months without transactions, or with transfers only, are present with zeros).
Transfers between the user's own accounts (``is_transfer``) are excluded from income and
spend. Refunds (money in with category "Refunds") reduce spend instead of counting as income.

Columns (wide; money as positive float in the account currency):

- ``month`` (datetime64, first day), ``income``, ``spend``, ``net`` (income - spend),
  ``n_out`` (money-out transactions), ``fixed_spend``, ``variable_spend``;
- ``savings_rate``: net / income, NaN when there is no income that month;
- ``volatility``: coefficient of variation of spend over the last 6 months (needs 3), else NaN;
- ``frequency_trend``: n_out / mean n_out of the previous 3 months - 1 (needs 1), else NaN;
- ``seasonality_index``: mean spend in this calendar month across years / mean monthly spend,
  NaN with less than 12 months of history;
- ``spend_by_category``: dict {category: spend} (uncategorized spend under "Uncategorized"),
  ready for a JSON column. :func:`category_spend` gives the same figures in long form.

Fixed spend is money out in a recurring series (``recurring_mask``, aligned with ``tx``) or in
one of :data:`FIXED_CATEGORIES`. Empty input returns an empty frame with these columns.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from ml.txframe import month_start, prepare

log = logging.getLogger(__name__)

FIXED_CATEGORIES = frozenset({
    "Rent & Mortgage", "Utilities", "Home Insurance", "Phone & Internet", "Streaming",
    "Software", "Memberships", "Health Insurance", "Childcare", "Loan Repayment", "Income Tax",
    "Other Taxes", "Tuition", "Interest Charges"})
FEATURE_COLUMNS = ["month", "income", "spend", "net", "n_out", "fixed_spend", "variable_spend",
                   "savings_rate", "volatility", "frequency_trend", "seasonality_index",
                   "spend_by_category"]
UNCATEGORIZED = "Uncategorized"


def _flows(tx: pd.DataFrame, recurring_mask: pd.Series | np.ndarray | None) -> pd.DataFrame:
    """Rows with month, out (money out, refunds negative), in (income), fixed flag; transfers
    keep their month but have out = in = 0."""
    df = prepare(tx)
    if recurring_mask is not None:
        mask = pd.Series(np.asarray(recurring_mask, dtype=bool), index=tx.index)
        df["recurring"] = mask.reindex(df.index).fillna(False).astype(bool)
    else:
        df["recurring"] = False
    own = ~df["is_transfer"]  # transfers stay (their months exist) but move no money
    refund = own & (df["amount"] > 0) & (df["category"] == "Refunds")
    df["month"] = month_start(df["date"])
    df["out"] = np.where(own & (df["amount"] < 0), -df["amount"], 0.0) - np.where(
        refund, df["amount"], 0.0)
    df["in"] = np.where(own & (df["amount"] > 0) & ~refund, df["amount"], 0.0)
    df["is_out"] = own & (df["amount"] < 0)
    df["fixed"] = df["is_out"] & (df["recurring"] | df["category"].isin(FIXED_CATEGORIES))
    df["category"] = df["category"].fillna(UNCATEGORIZED)
    return df


def category_spend(tx: pd.DataFrame) -> pd.DataFrame:
    """Long form: ``month``, ``category``, ``spend``, ``n``, ``share`` (of the month's spend)."""
    df = _flows(tx, None)
    df = df.loc[df["out"] != 0]
    if df.empty:
        return pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]"),
                             "category": pd.Series(dtype="str"),
                             "spend": pd.Series(dtype="float64"), "n": pd.Series(dtype="int64"),
                             "share": pd.Series(dtype="float64")})
    out = df.groupby(["month", "category"], as_index=False).agg(spend=("out", "sum"),
                                                               n=("out", "size"))
    total = out.groupby("month")["spend"].transform("sum")
    out["share"] = np.where(total > 0, out["spend"] / total.where(total > 0, 1.0), np.nan)
    return out.sort_values(["month", "spend"], ascending=[True, False], ignore_index=True)


def monthly_features(tx: pd.DataFrame,
                     recurring_mask: pd.Series | np.ndarray | None = None) -> pd.DataFrame:
    """Per-month features of one user's transactions (see the module docstring)."""
    df = _flows(tx, recurring_mask)
    if df.empty:
        empty = {c: pd.Series(dtype="float64") for c in FEATURE_COLUMNS}
        empty["month"] = pd.Series(dtype="datetime64[ns]")
        empty["n_out"] = pd.Series(dtype="int64")
        empty["spend_by_category"] = pd.Series(dtype=object)
        return pd.DataFrame(empty)
    months = pd.date_range(df["month"].min(), df["month"].max(), freq="MS").astype(
        "datetime64[ns]")
    g = df.groupby("month")
    feats = pd.DataFrame({
        "income": g["in"].sum(),
        "spend": g["out"].sum(),
        "n_out": g["is_out"].sum().astype("int64"),
        "fixed_spend": df["out"].where(df["fixed"], 0.0).groupby(df["month"]).sum(),
    }).reindex(months, fill_value=0)
    feats.index.name = "month"
    feats["spend"] = feats["spend"].clip(lower=0.0)
    feats["fixed_spend"] = feats[["fixed_spend", "spend"]].min(axis=1)
    feats["variable_spend"] = feats["spend"] - feats["fixed_spend"]
    feats["net"] = feats["income"] - feats["spend"]
    feats["savings_rate"] = feats["net"] / feats["income"].where(feats["income"] > 0)
    roll = feats["spend"].rolling(6, min_periods=3)
    feats["volatility"] = roll.std() / roll.mean().where(roll.mean() > 0)
    prev = feats["n_out"].shift(1).rolling(3, min_periods=1).mean()
    feats["frequency_trend"] = feats["n_out"] / prev.where(prev > 0) - 1
    feats["seasonality_index"] = np.nan
    if len(feats) >= 12 and feats["spend"].mean() > 0:
        by_month = feats["spend"].groupby(feats.index.month).transform("mean")
        feats["seasonality_index"] = by_month / feats["spend"].mean()
    by_cat = df.loc[df["out"] != 0].groupby(["month", "category"])["out"].sum()
    cats: dict[pd.Timestamp, dict[str, float]] = {m: {} for m in months}
    for (month, category), value in by_cat.items():
        cats[month][str(category)] = round(float(value), 2)
    feats["spend_by_category"] = pd.Series(cats, dtype=object)
    for col in ("income", "spend", "net", "fixed_spend", "variable_spend"):
        feats[col] = feats[col].astype("float64").round(2)
    return feats.reset_index()[FEATURE_COLUMNS]

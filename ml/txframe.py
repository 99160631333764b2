"""Shared preparation of a user's transaction frame for the pattern, recurring and anomaly stages.

:func:`prepare` accepts what the jobs load (or :mod:`core.demo_data` produces) and returns a new
frame with fixed dtypes, leaving the caller's frame untouched (pandas copy-on-write):

- ``id``: the ``id`` column, else ``external_id``, else the row position;
- ``date``: ``datetime64[ns]`` at midnight; ``amount``: float64 (Decimal, str or float input);
- ``merchant``: the display name (``merchant`` column, else the description's merchant key
  title-cased); ``mkey``: the normalized merchant key that groups a merchant's charges;
- ``category``: string or missing; ``is_transfer``: the column when present, else the category
  is one of :data:`TRANSFER_CATEGORIES`.

Rows with an unparseable date or amount are dropped (logged). The original index is kept so
masks aligned with the caller's frame still apply.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

from ml.text import merchant_key

log = logging.getLogger(__name__)

TRANSFER_CATEGORIES = frozenset({"Between Accounts", "Credit Card Payment",
                                 "Savings & Investments"})
CASH_CATEGORIES = frozenset({"ATM Withdrawal"})
"""Cash taken out: money the user still has, not a bill (left out of recurring series)."""
PREPARED_COLUMNS = ["id", "date", "amount", "merchant", "mkey", "category", "is_transfer"]
_DIGITS = re.compile(r"\d")


def normalize_merchant(value: object) -> str:
    """Lower-case merchant key without channel words or tokens that contain digits.

    ``"CARD PAYMENT TESCO STORES 2231 LONDON 14/03"`` -> ``"tesco stores london"``;
    ``"SPOTIFY P7IFDW5"`` -> ``"spotify"``. Empty input gives ``""``.
    """
    key = merchant_key(value)
    words = [w for w in key.split() if not _DIGITS.search(w)]
    return " ".join(words[:4]) if words else key


def _keys(values: pd.Series) -> pd.Series:
    uniq = {v: normalize_merchant(v) for v in pd.unique(values)}
    return values.map(uniq).astype("str")


def to_float(values: pd.Series) -> pd.Series:
    """Money column (Decimal, str, int or float) as float64; unparseable values become NaN."""
    if values.dtype == object:
        return pd.to_numeric(values.map(lambda v: None if v is None else str(v)),
                             errors="coerce").astype("float64")
    return pd.to_numeric(values, errors="coerce").astype("float64")


def prepare(tx: pd.DataFrame) -> pd.DataFrame:
    """A typed copy of ``tx`` with the columns in :data:`PREPARED_COLUMNS`, sorted by date."""
    if tx is None or len(tx) == 0:
        return pd.DataFrame({
            "id": pd.Series(dtype=object), "date": pd.Series(dtype="datetime64[ns]"),
            "amount": pd.Series(dtype="float64"), "merchant": pd.Series(dtype="str"),
            "mkey": pd.Series(dtype="str"), "category": pd.Series(dtype="str"),
            "is_transfer": pd.Series(dtype=bool)})
    out = pd.DataFrame(index=tx.index)
    if "id" in tx:
        out["id"] = tx["id"]
    elif "external_id" in tx:
        out["id"] = tx["external_id"]
    else:
        out["id"] = np.arange(len(tx))
    out["date"] = pd.to_datetime(tx["date"], errors="coerce", format="mixed").dt.normalize()
    out["date"] = out["date"].astype("datetime64[ns]")
    out["amount"] = to_float(tx["amount"])
    desc = tx["description"] if "description" in tx else pd.Series("", index=tx.index)
    merchant = tx["merchant"] if "merchant" in tx else pd.Series(None, index=tx.index,
                                                                  dtype=object)
    merchant = merchant.astype(object).where(merchant.notna() & (merchant.astype(str) != ""),
                                              None)
    source = merchant.fillna(desc.astype(object)).fillna("")
    out["mkey"] = _keys(source.astype(str))
    out["merchant"] = merchant.fillna(out["mkey"].str.title()).astype("str")
    category = tx["category"] if "category" in tx else pd.Series(None, index=tx.index)
    out["category"] = category.astype("str").where(category.notna())
    if "is_transfer" in tx:
        out["is_transfer"] = tx["is_transfer"].fillna(False).astype(bool)
    else:
        out["is_transfer"] = out["category"].isin(TRANSFER_CATEGORIES).astype(bool)
    bad = out["date"].isna() | out["amount"].isna()
    if bad.any():
        log.warning("dropping %d transactions without a usable date or amount", int(bad.sum()))
        out = out.loc[~bad]
    return out.sort_values("date", kind="stable")


def month_start(dates: pd.Series) -> pd.Series:
    """First day of each date's month as datetime64[ns]."""
    return dates.dt.to_period("M").dt.to_timestamp().astype("datetime64[ns]")

"""Labeled transactions for the evaluation: whatever shape a labeled CSV comes in, as
``date, description, amount, category`` in date order.

Real labeled exports differ: a comma, semicolon, tab or pipe delimiter; ``Category`` or
``label``; ``Transaction Date`` or ``Booking date``; one signed amount, an unsigned one with a
debit/credit flag column (Mint's ``Transaction Type``), or separate debit and credit columns;
``1 234.56``, ``1.234,56``, ``(12.50)``, ``12.50-`` or ``€ -3,00``; ISO, month-first or
day-first dates; a memo column as the description with the payee beside it (YNAB: ``Payee``,
``Memo``, ``Outflow``, ``Inflow``), where a row with no memo is described by its payee.
:func:`read_labeled_text` picks the delimiter,
:func:`prepare_labeled` finds the columns (:data:`ALIASES`), the decimal separator of each
amount column and the date order, and drops (and counts) rows without a date, description or
label (a label such as "Uncategorized" counts as none: :data:`NO_LABEL`). Pure functions on
text and frames; reading the file is the caller's job.
"""

from __future__ import annotations

import csv
import logging
import re
from decimal import Decimal, InvalidOperation
from io import StringIO

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "transaction date", "booking date", "posting date", "posted date",
             "trans date", "value date", "datum", "buchungstag", "fecha", "data"),
    "description": ("description", "transaction description", "details", "narrative", "memo",
                    "payee", "merchant", "name", "text", "omschrijving", "verwendungszweck",
                    "concepto", "libellé", "libelle", "reference"),
    "amount": ("amount", "transaction amount", "value", "amt", "betrag", "bedrag", "importe",
               "montant"),
    "debit": ("debit", "debit amount", "withdrawal", "withdrawals", "money out", "paid out",
              "outflow", "out"),
    "credit": ("credit", "credit amount", "deposit", "deposits", "money in", "paid in",
               "inflow", "in"),
    "flag": ("transaction type", "debit/credit", "credit/debit", "dr/cr", "cr/dr", "type",
             "credit debit indicator", "af bij", "af/bij"),
    "category": ("category", "categories", "label", "labels", "class", "budget category",
                 "categorie", "kategorie", "categoria", "catégorie"),
    "merchant": ("merchant", "merchant name", "payee", "payee name", "counterparty",
                 "counterparty name", "beneficiary"),
    "account": ("account", "account name", "rekening", "konto", "cuenta", "compte"),
}
"""Header names (lower case) per role, most specific first. ``merchant`` and ``account`` are
optional and only taken when they are other columns than the description (a file whose only
text column is "Payee" uses it as the description)."""
OPTIONAL = ("merchant", "account")
NO_LABEL = frozenset({"uncategorized", "uncategorised", "(uncategorized)", "no category",
                      "n/a", "-"})
"""Labels that mean "nobody filed this row" (Mint exports unfiled rows as "Uncategorized"):
such rows are dropped like unlabeled ones, as the product treats "Uncategorized" as no
category (:mod:`core.category_admin` reserves the name)."""

_NUMBER = re.compile(r"[-+]?\d{1,3}(?:[ \u00a0'.,]\d{3})+(?:[.,]\d+)?|[-+]?\d+(?:[.,]\d+)?")
_COMMA_DECIMAL = re.compile(r"\d,\d{1,2}(?!\d)\s*-?\s*$|^\s*-?\d{1,3}(?:\.\d{3})+(?!\d)\s*$")
_POINT_DECIMAL = re.compile(r"\d\.\d{1,2}(?!\d)\s*-?\s*$|^\s*-?\d{1,3}(?:,\d{3})+(?!\d)\s*$")
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{2,4})\b")


def read_labeled_text(text: str) -> pd.DataFrame:
    """All cells as text, with the delimiter (``, ; tab |``) sniffed from the first lines."""
    head = "\n".join(text.splitlines()[:20])
    try:
        sep = csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    return pd.read_csv(StringIO(text), dtype=str, keep_default_na=False, sep=sep)


def decimal_comma(values: pd.Series) -> bool:
    """Whether a column writes amounts as ``1.234,56`` (more cells look like it than not)."""
    text = values.astype(str)
    return int(text.str.contains(_COMMA_DECIMAL).sum()) > int(text.str.contains(_POINT_DECIMAL).sum())


def parse_amount(value: object, comma: bool = False) -> Decimal | None:
    """A signed Decimal from messy text (``"-1 300.00"``, ``"Bank -3.00"``, ``"(12.50)"``,
    ``"12.50-"``, with ``comma``: ``"1.234,56"``); the last number in the cell wins; None if
    there is none."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    text = str(value).replace("\u2212", "-").strip()
    found = _NUMBER.findall(text)
    if not found:
        return None
    raw = found[-1]
    body = re.sub(r"[ \u00a0'+]", "", raw)
    body = body.replace(".", "").replace(",", ".") if comma else body.replace(",", "")
    try:
        number = Decimal(body)
    except InvalidOperation:
        return None
    at = text.rfind(raw)
    before, after = text[:at].strip(), text[at + len(raw):].strip()
    negative = (text.startswith("(") and text.endswith(")")) or after.startswith("-") \
        or after.upper().startswith("DR") \
        or (not raw.startswith(("-", "+")) and re.fullmatch(r"-\s*\W{0,3}", before) is not None)
    return -abs(number) if negative else number


def find_columns(columns: list[object]) -> dict[str, object]:
    """The column of each role in :data:`ALIASES` that the header has (exact names first,
    then names that start with an alias, such as ``Amount (EUR)``)."""
    lower = {str(c).strip().lower(): c for c in columns}
    found: dict[str, object] = {}
    for role, names in ALIASES.items():
        taken = set(found.values())
        exact = [lower[n] for n in names if n in lower and lower[n] not in taken]
        loose = [c for n in names for k, c in lower.items()
                 if k.startswith(n + " ") or k.startswith(n + "(")]
        pick = next(iter(exact or [c for c in loose if c not in taken]), None)
        if pick is not None:
            found[role] = pick
    return found


def parse_dates(values: pd.Series) -> pd.Series:
    """Datetimes of a date column; numeric ``d/m/y`` vs ``m/d/y`` from the cells themselves
    (a first field above 12 means day first; undecided: the order with fewer steps back)."""
    text = values.astype(str).str.strip()
    parts = text.str.extract(_NUMERIC_DATE).dropna().astype(int)
    if parts.empty:
        return pd.to_datetime(text, errors="coerce", format="mixed")
    if (parts[0] > 12).any() or (parts[1] > 12).any():
        dayfirst = bool((parts[0] > 12).any())
        return pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=dayfirst)
    both = [pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=d) for d in (True, False)]
    back = [int((s.dropna().diff().dt.days < 0).sum()) for s in both]
    return both[0] if back[0] <= back[1] else both[1]


def prepare_labeled(raw: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Columns ``date, description, amount, category`` (plus ``merchant`` and ``account`` when
    the file has them) in date order, and the dropped count.

    Raises ValueError naming the missing columns (and the ones the file has)."""
    cols = find_columns(list(raw.columns))
    missing = [r for r in ("date", "description", "category") if r not in cols]
    if missing:
        raise ValueError(f"labeled data needs columns {missing}; the file has "
                         f"{[str(c) for c in raw.columns]}")
    df = pd.DataFrame({"date": parse_dates(raw[cols["date"]]),
                       "description": raw[cols["description"]].astype(object),
                       "amount": _amounts(raw, cols),
                       "category": raw[cols["category"]].astype(object)})
    for role in OPTIONAL:  # what the product also knows of a transaction, when the file has it
        if role in cols:
            df[role] = raw[cols[role]].astype(str).str.strip().astype(object)
    if "merchant" in df.columns:  # a memo left empty (YNAB): the payee is the line
        blank = df["description"].isna() | (df["description"].astype(str).str.strip() == "")
        df.loc[blank, "description"] = df.loc[blank, "merchant"]
    desc_ok = df["description"].notna() & (df["description"].astype(str).str.strip() != "")
    label = df["category"].astype(str).str.strip()
    unfiled = label.str.lower().isin(NO_LABEL)
    cat_ok = df["category"].notna() & (label != "") & ~unfiled
    ok = df["date"].notna() & desc_ok & cat_ok
    if (~ok).any():
        log.info("dropped %d labeled row(s) without a date, description or label (%d of them "
                 "labeled as unfiled, e.g. \"Uncategorized\")", int((~ok).sum()),
                 int((unfiled & df["category"].notna()).sum()))
    df = df.loc[ok].copy()
    df["category"] = label.loc[ok]
    df["amount"] = df["amount"].map(lambda d: float(d) if d is not None else np.nan)
    return df.sort_values("date", kind="stable").reset_index(drop=True), int((~ok).sum())


_OUT_FLAGS = frozenset({"debit", "dr", "d", "af", "soll", "withdrawal", "out"})
_IN_FLAGS = frozenset({"credit", "cr", "c", "bij", "haben", "deposit", "in"})


def _flag_signs(values: pd.Series) -> np.ndarray | None:
    """-1/+1 per row from a debit/credit flag column (Mint's ``Transaction Type``), or None
    when the column does not hold such flags."""
    flags = values.astype(str).str.strip().str.lower()
    known = flags.isin(_OUT_FLAGS | _IN_FLAGS)
    if known.mean() < 0.9:
        return None
    return np.where(flags.isin(_OUT_FLAGS), -1, 1)


def _amounts(raw: pd.DataFrame, cols: dict[str, object]) -> pd.Series:
    """Signed amounts: the amount column (unsigned amounts take their sign from a debit/credit
    flag column when there is one), else credit minus debit; None where unknown."""
    def column(role: str) -> pd.Series | None:
        if role not in cols:
            return None
        values = raw[cols[role]]
        comma = decimal_comma(values)
        return values.map(lambda v: parse_amount(v, comma))

    amount = column("amount")
    if amount is not None:
        signs = _flag_signs(raw[cols["flag"]]) if "flag" in cols else None
        if signs is not None and all(a is None or a >= 0 for a in amount):
            return pd.Series([None if a is None else a * int(g) for a, g in zip(amount, signs,
                                                                               strict=True)],
                             index=raw.index, dtype=object)
        return amount
    debit, credit = column("debit"), column("credit")
    if debit is None and credit is None:
        return pd.Series(None, index=raw.index, dtype=object)
    out = []
    for i in range(len(raw)):
        d = debit.iloc[i] if debit is not None else None
        c = credit.iloc[i] if credit is not None else None
        out.append(None if d is None and c is None else (c or Decimal(0)) - abs(d or Decimal(0)))
    return pd.Series(out, index=raw.index, dtype=object)

"""Date formats decided per file from all values of a column, then parsed vectorized.

Families: ISO-like ``YYYY-MM-DD`` / ``YYYY/MM/DD`` / ``YYYY.MM.DD(.)`` / ``YYYYMMDD``;
numeric ``D/M/Y`` or ``M/D/Y`` with ``.``, ``/`` or ``-`` and 2- or 4-digit years; and month
names (``27 Feb 2018``, ``12-Dec-2019``, ``Feb 27, 2018``; English, German, French, Dutch,
Spanish abbreviations). A time part (``2018-02-25 12:34:56 +0000``, ISO ``T``) is ignored.

Day-first vs month-first, in order: the caller's ``date_order``; any first part > 12 means
day-first, any second part > 12 month-first; when every value is <= 12 in both parts the
order that keeps the rows sorted by date wins; otherwise the documented default: day-first,
except ``/``-separated dates in a USD file (month-first). Ambiguous files always get a
warning saying which order was assumed.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

_TIME_TAIL = re.compile(
    r"(?:T|\s+)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}|[A-Z]{3,4}))?$"
)
_YMD = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})\.?$")
_COMPACT = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_NUMERIC = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{2}|\d{4})$")
_DAY_MONTH_NAME = re.compile(r"^(\d{1,2})[ .\-/]+([^\W\d_]{3,10})\.?[ .\-/,]+(\d{2}|\d{4})$")
_MONTH_NAME_DAY = re.compile(r"^([^\W\d_]{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")

_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    [
        "jan january januar janv janvier ene enero januari jän jänner",
        "feb february februar févr fevr février fevrier febrero februari",
        "mar march märz mär maerz mrz mars marzo mrt maart",
        "apr april avr avril abr abril",
        "may mai mei mayo",
        "jun june juni juin junio",
        "jul july juli juil juillet julio",
        "aug august août aout ago agosto augustus",
        "sep sept september septembre septiembre",
        "oct october okt oktober octobre octubre",
        "nov november novembre noviembre",
        "dec december dez dezember déc décembre decembre dic diciembre",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _num


@dataclass(frozen=True)
class DateSpec:
    """How a file writes dates. ``fmt`` is a strptime format applied after normalization."""

    family: str
    fmt: str
    alt_fmt: str | None = None
    warning: str | None = None

    def example(self) -> str:
        """The date 31 December 2024 written in this format, for error messages."""
        if self.family == "names":
            return "31 Dec 2024"
        return dt.date(2024, 12, 31).strftime(self.fmt)


def strip_time(value: str) -> str:
    """Drop a trailing time (and zone) from a date-time string."""
    v = value.strip()
    m = _TIME_TAIL.search(v)
    return v[: m.start()].strip() if m and m.start() > 0 else v


def classify(value: str) -> str | None:
    """Family of one value (``ymd``, ``compact``, ``numeric``, ``names``) or ``None``."""
    v = strip_time(value)
    if _YMD.match(v):
        return "ymd"
    if _COMPACT.match(v):
        return "compact"
    if _NUMERIC.match(v):
        return "numeric"
    m = _DAY_MONTH_NAME.match(v) or _MONTH_NAME_DAY.match(v)
    if m and _month_number(m.group(2) if m.re is _DAY_MONTH_NAME else m.group(1)):
        return "names"
    return None


def infer_date_spec(
    values: Sequence[str],
    *,
    date_order: str | None = None,
    currency: str | None = None,
    default_order: str | None = None,
) -> DateSpec | None:
    """Decide the column's date format from all its non-empty values (``None``: not dates).

    ``default_order`` (``dmy``/``mdy``) replaces the separator/currency default for
    ambiguous files of a format with its own convention (QIF: month-first).
    """
    cleaned = list(dict.fromkeys(strip_time(v) for v in dict.fromkeys(values) if v and v.strip()))
    if not cleaned:
        return None
    families: dict[str, int] = {}
    for v in cleaned[:400]:
        fam = classify(v)
        if fam:
            families[fam] = families.get(fam, 0) + 1
    if not families:
        return None
    family = max(families, key=lambda k: families[k])
    if family == "compact":
        return DateSpec("compact", "%Y%m%d")
    if family == "names":
        return DateSpec("names", "%d.%m.%Y")
    if family == "ymd":
        seps = [m.group(2) for v in cleaned[:400] if (m := _YMD.match(v))]
        sep = max(set(seps), key=seps.count)
        trailing = "." if sep == "." and any(v.endswith(".") for v in cleaned[:50]) else ""
        return DateSpec("ymd", f"%Y{sep}%m{sep}%d{trailing}")
    return _numeric_spec(cleaned, date_order, currency, default_order)


def _numeric_spec(
    cleaned: list[str], date_order: str | None, currency: str | None, default_order: str | None
) -> DateSpec:
    parts = pd.Series(cleaned).str.extract(_NUMERIC.pattern).dropna()
    sep = parts[1].mode().iloc[0]
    year_fmt = "%Y" if (parts[3].str.len() == 4).mean() >= 0.5 else "%y"
    alt_year = "%y" if year_fmt == "%Y" else "%Y"
    first, second = parts[0].astype(int), parts[2].astype(int)
    dmy = f"%d{sep}%m{sep}{year_fmt}"
    mdy = f"%m{sep}%d{sep}{year_fmt}"
    alt = {dmy: f"%d{sep}%m{sep}{alt_year}", mdy: f"%m{sep}%d{sep}{alt_year}"}
    warning = None
    if date_order in ("dmy", "mdy"):
        fmt = dmy if date_order == "dmy" else mdy
    elif (first > 12).any() and not (second > 12).any():
        fmt = dmy
    elif (second > 12).any() and not (first > 12).any():
        fmt = mdy
    elif (first > 12).any():
        fmt = dmy if (first > 12).sum() >= (second > 12).sum() else mdy
        warning = "dates mix day-first and month-first values; rows that do not fit were rejected"
    else:
        fmt, warning = _ambiguous(cleaned, dmy, mdy, sep, currency, default_order)
    return DateSpec("numeric", fmt, alt[fmt], warning)


def _ambiguous(
    cleaned: list[str], dmy: str, mdy: str, sep: str, currency: str | None, default_order: str | None
) -> tuple[str, str]:
    as_dmy = _sorted(pd.to_datetime(pd.Series(cleaned), format=dmy, errors="coerce"))
    as_mdy = _sorted(pd.to_datetime(pd.Series(cleaned), format=mdy, errors="coerce"))
    label = {dmy: "day-first (dd/mm/yyyy)", mdy: "month-first (mm/dd/yyyy)"}
    if as_dmy != as_mdy and len(cleaned) > 2:
        fmt = dmy if as_dmy else mdy
        reason = "it keeps the rows in date order"
    elif default_order:
        fmt = mdy if default_order == "mdy" else dmy
        reason = "that is the convention of this file format"
    else:
        fmt = mdy if sep == "/" and (currency or "").upper() == "USD" else dmy
        reason = "default for this separator and currency"
    other = "mdy" if fmt == dmy else "dmy"
    return fmt, (
        f"dates are ambiguous (day and month are both <= 12 in every row); assumed "
        f"{label[fmt]} because {reason}; pass date_order='{other}' if that is wrong"
    )


def _sorted(parsed: pd.Series) -> bool:
    values = parsed.dropna().to_numpy()
    if len(values) < 2:
        return True
    diffs = np.diff(values.astype("datetime64[D]").astype(np.int64))
    return bool((diffs >= 0).all() or (diffs <= 0).all())


def parse_dates(values: Sequence[str], spec: DateSpec) -> list[dt.date | None]:
    """Parse a whole column with ``spec``; unparsable or empty values give ``None``.

    Statements repeat dates a lot, so each distinct value is parsed once (vectorized).
    """
    distinct = list(dict.fromkeys(values))
    series = pd.Series([strip_time(v) if v else "" for v in distinct], dtype="object")
    if spec.family == "names":
        series = series.map(_names_to_numeric)
    parsed = pd.to_datetime(series, format=spec.fmt, errors="coerce")
    if spec.alt_fmt and parsed.isna().any():
        retry = pd.to_datetime(series, format=spec.alt_fmt, errors="coerce")
        parsed = parsed.fillna(retry)
    lookup = dict(zip(distinct, [None if pd.isna(x) else x for x in parsed.dt.date.tolist()], strict=True))
    return [lookup[v] for v in values]


def parse_one(value: str, spec: DateSpec) -> dt.date | None:
    """Scalar :func:`parse_dates`."""
    return parse_dates([value], spec)[0]


def _names_to_numeric(value: str) -> str:
    m = _DAY_MONTH_NAME.match(value)
    if m:
        day, month, year = m.group(1), _month_number(m.group(2)), m.group(3)
    else:
        m = _MONTH_NAME_DAY.match(value)
        if not m:
            return ""
        day, month, year = m.group(2), _month_number(m.group(1)), m.group(3)
    if not month:
        return ""
    if len(year) == 2:
        year = ("19" if int(year) >= 70 else "20") + year
    return f"{day}.{month}.{year}"


def _month_number(name: str) -> int | None:
    key = name.lower().rstrip(".")
    return _MONTHS.get(key) or _MONTHS.get(key[:3]) if len(key) >= 3 else None

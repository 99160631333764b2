"""Amount and date parsing for tabular exports, decided once per file and vectorized.

Amounts: ``1.234,56``, ``1 234,56``, ``11'373.94``, ``$20,053.01``, ``- $220.00``,
``£67.40``, ``(12.50)``, ``12.50-``, ``1,234.56 CR``. A value with both separators, or
with a separator not followed by exactly three digits, decides its own decimal mark; only
values like ``1,234`` use the file-wide decision (see :func:`infer_decimal_mark`).

Dates: the format is decided per FILE from all values of the column (never per row), see
:mod:`core.importing.dates`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from core.importing.vocab import ISO_CURRENCIES

log = logging.getLogger(__name__)

_CURRENCY_SYMBOLS = "$€£¥₹₽₩₪₫₴₺₦₱฿"
_CURRENCY_TOKEN = re.compile(
    rf"^(?:[A-Z]{{3}}(?![A-Za-z])|[{_CURRENCY_SYMBOLS}]|R\$|US\$|C\$|A\$|kr\.?|Kč|zł|Ft|Fr\.?|Lei|lei)"
)
_CURRENCY_TAIL = re.compile(
    rf"(?<![A-Za-z])(?:[A-Z]{{3}}|[{_CURRENCY_SYMBOLS}]|kr\.?|Kč|zł|Ft|Fr\.?|Lei|lei)$"
)
_CRDR_SUFFIX = re.compile(r"\s*\b(CR|DR|Cr|Dr|cr|dr)\.?$")
_MINUS = "-−–"
_SIGNS = "+" + _MINUS
_GROUPING = str.maketrans("", "", " '’\u00a0\u202f\u2009")
_FAST = re.compile(r"^-?\d+(?:[.,]\d{1,2})?$")
_ANY_NUMBER = re.compile(r"^\d[\d.,]*$")
_DOT_GROUPS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_COMMA_GROUPS = re.compile(r"^\d{1,3}(?:,\d{3})+$")


def infer_decimal_mark(values: Sequence[str]) -> str:
    """Return ``","`` or ``"."``: the decimal mark used by the column's values.

    Evidence, in order: a value with both marks (the last one is decimal), a mark followed
    by 1, 2 or 4+ digits at the end (it must be decimal). Majority wins; ``"."`` when there
    is no evidence (documented default; ``1,234`` then reads as one thousand ...). Large
    files are judged on an evenly spread sample of 5,000 distinct values.
    """
    comma = dot = 0
    distinct = list(dict.fromkeys(values))
    step = max(1, len(distinct) // 5000)
    for raw in distinct[::step]:
        v = raw.strip().rstrip("-").strip()
        if not v:
            continue
        last_comma, last_dot = v.rfind(","), v.rfind(".")
        if last_comma >= 0 and last_dot >= 0:
            if last_comma > last_dot:
                comma += 1
            else:
                dot += 1
            continue
        pos = max(last_comma, last_dot)
        if pos < 0:
            continue
        tail = v[pos + 1 :]
        digits = len(tail) - len(tail.lstrip("0123456789"))
        if digits == len(tail) and digits != 3:
            if last_comma >= 0:
                comma += 1
            else:
                dot += 1
    return "," if comma > dot else "."


def parse_amount(text: str, decimal_mark: str = ".") -> Decimal | None:
    """Parse one amount; ``None`` if it is not a number. Empty text is also ``None``.

    Signs: leading or trailing minus, parentheses, ``DR`` suffix (``CR`` keeps it
    positive), before or after a currency symbol or ISO code.
    """
    s = text.strip()
    if not s:
        return None
    negative = False
    m = _CRDR_SUFFIX.search(s)
    if m and m.start() > 0:
        negative = m.group(1).upper() == "DR"
        s = s[: m.start()].strip()
    if s.startswith("(") and s.endswith(")"):
        negative = not negative
        s = s[1:-1].strip()
    changed = True
    while changed and s:
        changed = False
        if s[0] in _SIGNS:
            negative = (s[0] in _MINUS) != negative
            s = s[1:].lstrip()
            changed = True
        elif s[-1] in _SIGNS and len(s) > 1:
            negative = (s[-1] in _MINUS) != negative
            s = s[:-1].rstrip()
            changed = True
        else:
            head = _CURRENCY_TOKEN.match(s)
            if head and len(s) > head.end() and _is_currency(head.group(0)):
                s = s[head.end() :].lstrip()
                changed = True
                continue
            tail = _CURRENCY_TAIL.search(s)
            if tail and tail.start() > 0 and _is_currency(tail.group(0)):
                s = s[: tail.start()].rstrip()
                changed = True
    number = _normalize_number(s.translate(_GROUPING), decimal_mark)
    if number is None:
        return None
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None
    return -value if negative else value


def _is_currency(token: str) -> bool:
    return not (len(token) == 3 and token.isalpha() and token.isupper()) or token in ISO_CURRENCIES


def _normalize_number(s: str, decimal_mark: str) -> str | None:
    if not s or not _ANY_NUMBER.match(s):
        return None
    last_comma, last_dot = s.rfind(","), s.rfind(".")
    if last_comma >= 0 and last_dot >= 0:
        dec = "," if last_comma > last_dot else "."
        thousands = "." if dec == "," else ","
        whole, _, frac = s.rpartition(dec)
        if dec in whole or not (_DOT_GROUPS if thousands == "." else _COMMA_GROUPS).match(whole):
            return None
        return whole.replace(thousands, "") + "." + frac
    mark = "," if last_comma >= 0 else "." if last_dot >= 0 else ""
    if not mark:
        return s
    groups = _COMMA_GROUPS if mark == "," else _DOT_GROUPS
    if s.count(mark) > 1:
        return s.replace(mark, "") if groups.match(s) else None
    whole, _, frac = s.partition(mark)
    if not whole:
        whole = "0"
    if len(frac) == 3 and mark != decimal_mark and groups.match(s):
        return whole + frac
    return whole + "." + frac


def parse_amounts(values: Sequence[str], decimal_mark: str) -> list[Decimal | None]:
    """:func:`parse_amount` for a whole column, with a fast path for plain numbers.

    ``-12,34`` / ``12.5`` / ``100`` (at most two decimals, no grouping) convert directly;
    everything else goes through the full parser. Empty cells give ``None``.
    """
    fast = _FAST.match
    out: list[Decimal | None] = []
    append = out.append
    for value in values:
        if fast(value):
            append(Decimal(value.replace(",", ".")))
        elif value:
            append(parse_amount(value, decimal_mark))
        else:
            append(None)
    return out


def amount_example(decimal_mark: str) -> str:
    """How an amount should look in this file, for error messages."""
    return "1.234,56" if decimal_mark == "," else "1,234.56"


def looks_like_amount(value: str) -> bool:
    """Cheap test used by column detection: a number with at most 2-5 decimals."""
    v = value.strip()
    if not v or len(v) > 24:
        return False
    digits = sum(c.isdigit() for c in v)
    if digits == 0 or digits > 15:
        return False
    return parse_amount(v, ".") is not None or parse_amount(v, ",") is not None

"""CSV/TSV/semicolon/pipe exports -> :class:`ParseResult`.

Pipeline: delimiter and table (:mod:`csv_layout`), column roles (:mod:`csv_roles`), then
whole-column parsing of dates and amounts (:mod:`dates`, :mod:`csv_values`). Row rules:

* wrapped description lines (no date, no amount, text only) extend the previous row;
* opening/closing balance, turnover and total lines are skipped (counted in a warning);
* rows whose status says declined/failed/reverted are skipped; pending rows are kept with
  ``pending=True`` (a pending row without a date gets the latest date of the file);
* signs: a signed amount column is trusted; unsigned amounts take the debit/credit flag
  (a blank flag is the opposite of the only marker used, e.g. blank vs ``CR``); a debit/credit
  column pair gives ``credit - debit``; a lone all-positive amount column is read as money
  out (card-statement convention, with a warning) unless ``mapping["sign"] == "as_is"``;
  ``mapping["sign"] == "negate"`` flips every amount;
* any other unreadable row becomes a :class:`RejectedRow`.
"""

from __future__ import annotations

import logging
import re

from core.importing.csv_layout import Layout, Row, choose_delimiter, find_layout
from core.importing.csv_roles import Roles, column_label, detect_roles
from core.importing.csv_rows import RowBuilder
from core.importing.csv_values import amount_example, infer_decimal_mark, parse_amounts
from core.importing.dates import infer_date_spec, parse_dates
from core.importing.encoding import Source
from core.importing.model import SUPPORTED, ParseResult, StatementParseError
from core.importing.vocab import CURRENCY_SYMBOLS, ISO_CURRENCIES

log = logging.getLogger(__name__)

_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_ACCOUNT_LINE = re.compile(
    r"(?i)\b(?:account|konto|rekening|compte|cuenta)\b[^0-9]{0,40}([0-9][0-9 /.-]{5,30}[0-9])"
)


def read_csv(
    src: Source,
    *,
    mapping: dict[str, str] | None = None,
    date_order: str | None = None,
    default_currency: str | None = None,
) -> ParseResult:
    """Parse a delimited export; raises :class:`StatementParseError` if it is not a table."""
    delimiter = choose_delimiter(src.text)
    if delimiter is None:
        raise StatementParseError(
            src.filename,
            expected=SUPPORTED,
            got=src.text.strip().split("\n", 1)[0][:40],
        )
    layout = find_layout(src.text, delimiter)
    if not layout.rows:
        raise StatementParseError(
            src.filename, expected="rows with a date and an amount below the header", got="none"
        )
    try:
        roles = detect_roles(layout, mapping)
    except KeyError as exc:
        raise StatementParseError(
            src.filename, field=str(exc.args[0]), expected="a column name or index that exists in the file"
        ) from exc
    missing = _missing_roles(roles)
    if missing:
        raise StatementParseError(
            src.filename,
            line=layout.rows[0].line,
            expected=f"a column with {missing}",
            got=" | ".join(layout.header or layout.rows[0].cells)[:60],
        )
    result = ParseResult(filename=src.filename, file_format="csv")
    result.currency = _file_currency(layout, roles, default_currency)
    column = _columns(layout)
    date_idx = roles.columns["date"]
    spec = infer_date_spec(column(date_idx), date_order=date_order, currency=result.currency)
    if spec is None:
        raise StatementParseError(src.filename, field=column_label(layout, date_idx), expected="dates")
    if spec.warning:
        result.warnings.append(spec.warning)
        if "." not in spec.fmt:  # dd.mm.yyyy is never month-first: no doubt about the order
            roles.confidence *= 0.85
    money = {r: roles.columns[r] for r in ("amount", "debit", "credit", "balance") if r in roles.columns}
    marks = {r: infer_decimal_mark(column(i)) for r, i in money.items()}
    builder = RowBuilder(
        layout=layout,
        roles=roles,
        filename=src.filename,
        dates=parse_dates(column(date_idx), spec),
        date_example=spec.example(),
        amounts={r: parse_amounts(column(i), marks[r]) for r, i in money.items()},
        amount_example=amount_example(marks.get("amount", marks.get("debit", "."))),
        currency=result.currency,
        sign=(mapping or {}).get("sign"),
    )
    builder.run(result)
    result.account_hint = _account_hint(layout, roles)
    result.column_mapping = _mapping(layout, roles)
    total = len(result.transactions) + len(result.rejected)
    rejected_share = len(result.rejected) / total if total else 1.0
    result.mapping_confidence = round(max(0.0, min(1.0, roles.confidence * (1 - rejected_share))), 2)
    return result


def _missing_roles(roles: Roles) -> str | None:
    if "date" not in roles.columns:
        return "dates"
    if not {"amount", "debit", "credit"} & roles.columns.keys():
        return "amounts"
    return None


def _columns(layout: Layout):
    cache: dict[int, list[str]] = {}

    def column(idx: int) -> list[str]:
        if idx not in cache:
            cache[idx] = [r.cells[idx] if idx < len(r.cells) else "" for r in layout.rows]
        return cache[idx]

    return column


def _file_currency(layout: Layout, roles: Roles, default: str | None) -> str | None:
    if "currency" in roles.columns:
        idx = roles.columns["currency"]
        codes = [r.cells[idx].upper() for r in layout.rows[:500] if idx < len(r.cells)]
        codes = [c for c in codes if c in ISO_CURRENCIES]
        if codes:
            return max(set(codes), key=codes.count)
    for role in ("amount", "debit", "credit"):
        if role in roles.columns and layout.header:
            for code in re.findall(r"\b([A-Z]{3})\b", layout.header[roles.columns[role]]):
                if code in ISO_CURRENCIES:
                    return code
    preamble = {
        c for r in layout.preamble for c in re.findall(r"\b([A-Z]{3})\b", r.raw) if c in ISO_CURRENCIES
    }
    if len(preamble) == 1:
        return preamble.pop()
    for role in ("amount", "debit", "credit", "balance"):
        if role in roles.columns:
            idx = roles.columns[role]
            sample = " ".join(r.cells[idx] for r in layout.rows[:200] if idx < len(r.cells))
            for symbol in sorted(CURRENCY_SYMBOLS, key=len, reverse=True):
                if symbol in sample:
                    code = CURRENCY_SYMBOLS[symbol]
                    return default.upper() if symbol == "$" and default else code
    return default.upper() if default else None


def _account_hint(layout: Layout, roles: Roles) -> str | None:
    if "account" in roles.columns:
        idx = roles.columns["account"]
        values = [r.cells[idx] for r in layout.rows[:50] if idx < len(r.cells) and r.cells[idx]]
        if values:
            return values[0].strip(' "')
    text = "\n".join(r.raw for r in layout.preamble)
    m = _IBAN.search(text) or _ACCOUNT_LINE.search(text)
    if m:
        return (m.group(1) if m.groups() else m.group(0)).strip()
    return None


def _mapping(layout: Layout, roles: Roles) -> dict[str, str]:
    mapping = {role: column_label(layout, idx) for role, idx in roles.columns.items()}
    if roles.description:
        mapping["description"] = "+".join(column_label(layout, i) for i in roles.description)
    return mapping


__all__ = ["read_csv", "Row"]

"""SWIFT MT940 (statement) and MT942 (interim report) -> :class:`ParseResult`.

Parsing is done by the ``mt-940`` library with all its opt-in fixes (``Options.all()``:
reversal signs, lowercase marks, unbounded ``:86:`` details ...). One tag pattern is
widened: the ``:61:`` line may continue on the next line (ASN Bank writes the counter
account there), which the stock pattern rejects.

Per transaction: date = entry (booking) date when given, else value date; amount signed by
the D/C/RD/RC mark; description from the ``:86:`` details (German ``?20``-``?29`` purpose
and ``?32`` name via the library, Dutch ``/NAME/``/``/REMI/`` fields here, else the text);
``external_id`` = the bank reference after ``//`` when it is unique in the file;
``reference`` = the customer reference unless ``NONREF``.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from decimal import Decimal
from typing import Any, ClassVar

import mt940
from mt940 import tags
from mt940.models import Transactions

from core.importing.encoding import Source
from core.importing.merchant import normalize_merchant
from core.importing.model import ParsedTransaction, ParseResult, StatementParseError

log = logging.getLogger(__name__)

_NO_REF = {"", "NONREF", "NOTPROVIDED", "NONE"}
_DUTCH = re.compile(r"/(NAME|REMI|EREF|IBAN|ADDR)/(.*?)(?=/(?:[A-Z]{3,4})/|$)", re.DOTALL)


class _WrappedStatement(tags.Statement):
    """``:61:`` whose supplementary details continue on the following line(s)."""

    pattern: ClassVar[str] = tags.Statement.pattern.replace(
        r"(\n?(?P<extra_details>.*))?", r"(\n?(?P<extra_details>(?:.|\n)*))?"
    )

    def __new__(cls, *args: Any, **kwargs: Any) -> _WrappedStatement:
        """Keep the stock name/slug so the library's ``statement`` processors still run."""
        instance = super().__new__(cls, *args, **kwargs)
        cls.name, cls.slug = "Statement", "statement"
        return instance


def read_mt940(src: Source, fmt: str) -> ParseResult:
    """Parse MT940/MT942 text (several statements per file are fine)."""
    parsed = Transactions(tags={_WrappedStatement.id: _WrappedStatement()}, options=mt940.Options.all())
    try:
        parsed.parse(src.text)
    except (RuntimeError, ValueError, KeyError, TypeError) as exc:
        line = _line_of_error(src.text, str(exc))
        raise StatementParseError(
            src.filename, line=line, field=":61:", expected="a SWIFT statement line (:61:)", got=_snippet(exc)
        ) from exc
    result = ParseResult(filename=src.filename, file_format=fmt)
    result.account_hint = _clean(parsed.data.get("account_identification"))
    result.currency = parsed.currency
    spans = _statement_lines(src.text)
    bank_refs = Counter(t.data.get("bank_reference") for t in parsed)
    for i, txn in enumerate(parsed):
        data: dict[str, Any] = txn.data
        line, raw = spans[i] if i < len(spans) else (1, "")
        amount = data.get("amount")
        date = data.get("entry_date") or data.get("date")
        if amount is None or date is None:
            continue
        description, payee = _details(data)
        bank_ref = _clean(data.get("bank_reference"))
        customer_ref = _clean(data.get("customer_reference"))
        result.transactions.append(
            ParsedTransaction(
                date=date,
                amount=Decimal(amount.amount),
                currency=getattr(amount, "currency", None) or result.currency,
                description=description,
                payee=payee,
                merchant=normalize_merchant(description, payee),
                external_id=bank_ref if bank_ref and bank_refs[data.get("bank_reference")] == 1 else None,
                balance=None,
                reference=customer_ref if customer_ref and customer_ref.upper() not in _NO_REF else None,
                pending=False,
                line=line,
                raw=raw,
            )
        )
    if fmt == "mt942" and result.transactions:
        result.warnings.append(
            "MT942 is an interim report: entries can still change until the MT940 statement"
        )
    return result


def _details(data: dict[str, Any]) -> tuple[str, str | None]:
    """(description, payee) from whatever structure the bank used in ``:86:`` / ``:NS:``."""
    text = (data.get("transaction_details") or "").strip()
    purpose, name = data.get("purpose"), data.get("applicant_name")
    posting = data.get("posting_text")
    if purpose or name or posting:
        body = purpose or data.get("end_to_end_reference") or ""
        description = _squash(" ".join(p for p in (posting, body) if p)) or _squash(name)
        return description or _squash(text), _squash(name) or None
    if "/NAME/" in text or "/REMI/" in text:
        fields = {k: _squash(v) for k, v in _DUTCH.findall(text.replace("\n", ""))}
        name = fields.get("NAME") or None
        return (fields.get("REMI") or name or _squash(text)), name
    if re.search(r">2\d", text):
        parts = dict(re.findall(r">(\d{2})([^>]*)", text.replace("\n", "")))
        purpose = "".join(v for k, v in sorted(parts.items()) if "20" <= k <= "29")
        name = _squash(parts.get("32", "") + parts.get("33", "")) or None
        return _squash(purpose) or name or _squash(text), name
    if data.get("non_swift"):
        ns = {k[-2:]: v for k, v in data.items() if re.fullmatch(r"non_swift_\d\d", k) and v}
        name = _squash(ns.get("15", "") + ns.get("16", "")) or None
        texts = [ns[k] for k in sorted(ns) if k <= "14" and any(c.isalpha() for c in ns[k])]
        description = _squash(" ".join(texts)) or _squash(ns.get("17")) or name
        if description:
            return description, name
    fallback = _squash(text) or _squash(data.get("extra_details"))
    code = _CODES.get((data.get("id") or "")[-3:].upper())
    return fallback or code or "(no description)", None


_CODES = {
    "CHG": "Charges",
    "TRF": "Transfer",
    "CHK": "Cheque",
    "INT": "Interest",
    "DDT": "Direct debit",
    "STO": "Standing order",
    "MSC": "Miscellaneous",
    "COM": "Commission",
    "DIV": "Dividend",
    "FEX": "Foreign exchange",
    "SAL": "Salary",
    "RTI": "Returned item",
    "SEC": "Securities",
    "COL": "Collection",
    "BRF": "Brokerage fee",
    "LDP": "Loan deposit",
}


def _statement_lines(text: str) -> list[tuple[int, str]]:
    """(line, raw text) of every ``:61:`` record with its ``:86:`` details, in order."""
    spans = []
    lines = text.split("\n")
    starts = [i for i, ln in enumerate(lines) if ln.startswith(":61:")]
    for start in starts:
        end = start + 1
        while end < len(lines) and not re.match(r"^:(?!86:)\w{2,3}:|^-\}?$|^\{", lines[end]):
            end += 1
        spans.append((start + 1, "\n".join(lines[start:end]).rstrip()))
    return spans


def _squash(value: str | None) -> str:
    return re.sub(r"\s+", " ", value or "").strip()


def _clean(value: Any) -> str | None:
    text = _squash(str(value)) if value is not None else ""
    return text or None


def _snippet(exc: Exception) -> str:
    m = re.search(r"from '([^']*)'", str(exc))
    return (m.group(1) if m else str(exc)).replace("\\n", " ")[:60]


def _line_of_error(text: str, message: str) -> int | None:
    m = re.search(r"from '([^'\\]{6,})", message)
    if m:
        pos = text.find(m.group(1)[:30])
        if pos >= 0:
            return text.count("\n", 0, pos) + 1
    return None

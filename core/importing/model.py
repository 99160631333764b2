"""Normalized records shared by every statement format.

Each reader (CSV, OFX/QFX, QIF, MT940/MT942, camt.05x) turns its input into
:class:`ParsedTransaction` objects inside a :class:`ParseResult`; rows it cannot read become
:class:`RejectedRow` entries, and a file that cannot be read at all raises
:class:`StatementParseError`. Amounts are :class:`~decimal.Decimal`, signed, negative = money
out.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

log = logging.getLogger(__name__)

SUPPORTED = "a bank statement in CSV, OFX/QFX, QIF, MT940/MT942 or camt.052/053/054 format"


@dataclass(slots=True)
class ParsedTransaction:
    """One transaction as the bank reported it, normalized.

    ``line`` is the 1-based line where the record starts in the decoded file (for XML and
    OFX the line of the opening tag). ``raw`` is the record's source text. ``splits`` lists
    QIF split lines (``category``, ``amount``, ``memo``; a tuple of dicts) when the format
    has them; ``amount`` is always the parent total.
    """

    date: dt.date
    amount: Decimal
    currency: str | None
    description: str
    payee: str | None
    merchant: str
    external_id: str | None
    balance: Decimal | None
    reference: str | None
    pending: bool
    line: int
    raw: str
    splits: tuple[dict[str, str], ...] = ()


@dataclass
class RejectedRow:
    """A row that was skipped because one field could not be read.

    ``reason`` is phrased as what was expected, e.g. ``"expected a number like 1,234.56"``.
    """

    line: int
    field: str
    value: str
    reason: str


class StatementParseError(Exception):
    """The file cannot be imported; nothing from it may be used.

    The message names the file and, when known, the line and field, and says what was
    expected: ``statement.csv, line 14, field 'amount': expected a number like 1,234.56,
    got 'abc'``.
    """

    def __init__(
        self,
        filename: str,
        *,
        line: int | None = None,
        field: str | None = None,
        expected: str | None = None,
        got: str | None = None,
        detail: str | None = None,
    ) -> None:
        self.filename = filename
        self.line = line
        self.field = field
        self.expected = expected
        self.got = got
        self.detail = detail
        parts = [filename or "<upload>"]
        if line is not None:
            parts.append(f"line {line}")
        if field:
            parts.append(f"field '{field}'")
        message = ", ".join(parts) + ":"
        if expected:
            message += f" expected {expected}"
            if got is not None:
                shown = got if len(got) <= 60 else got[:57] + "..."
                message += f", got '{shown}'"
        if detail:
            message += (" (" + detail + ")") if expected else " " + detail
        super().__init__(message)


@dataclass
class ParseResult:
    """Everything read from one file.

    ``file_format`` is one of ``csv``, ``ofx``, ``qif``, ``mt940``, ``mt942``, ``camt.052``,
    ``camt.053``, ``camt.054``. ``column_mapping`` (CSV only) maps a role (``date``,
    ``amount``, ``debit``, ``credit``, ``description``, ``payee``, ``balance``,
    ``reference``, ``currency``, ``flag``, ``status``, ``external_id``) to the column header,
    or to the 0-based column index as a string when the file has no header row.
    ``mapping_confidence`` is in [0, 1] (CSV only; ``None`` for self-describing formats).
    """

    filename: str
    file_format: str
    transactions: list[ParsedTransaction] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    account_hint: str | None = None
    currency: str | None = None
    column_mapping: dict[str, str] | None = None
    mapping_confidence: float | None = None
    warnings: list[str] = field(default_factory=list)


def to_json_records(result: ParseResult) -> list[dict[str, Any]]:
    """Plain JSON-ready dicts for ``python -m app import FILE --dry-run --json``.

    Keys: ``date`` (YYYY-MM-DD), ``amount`` (decimal string), ``currency``, ``description``,
    ``payee``, ``external_id``, ``merchant``, ``balance`` (decimal string or null),
    ``reference``, ``pending``, ``line``.
    """
    records: list[dict[str, Any]] = []
    for txn in result.transactions:
        records.append(
            {
                "date": txn.date.isoformat(),
                "amount": format(txn.amount, "f"),
                "currency": txn.currency,
                "description": txn.description,
                "payee": txn.payee,
                "external_id": txn.external_id,
                "merchant": txn.merchant,
                "balance": None if txn.balance is None else format(txn.balance, "f"),
                "reference": txn.reference,
                "pending": txn.pending,
                "line": txn.line,
            }
        )
    return records

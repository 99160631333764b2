"""Statement import, parsing layer: every supported format -> the same normalized records.

Public API::

    parse_statement(data, filename, *, mapping=None, date_order=None, default_currency=None)
        -> ParseResult
    to_json_records(result) -> list[dict]
    normalize_merchant(description, payee) -> str

plus the record types :class:`ParsedTransaction`, :class:`RejectedRow`, :class:`ParseResult`
and the exception :class:`StatementParseError`. No database access happens here.
"""

from __future__ import annotations

import logging

from core.importing.merchant import normalize_merchant
from core.importing.model import (
    ParsedTransaction,
    ParseResult,
    RejectedRow,
    StatementParseError,
    to_json_records,
)
from core.importing.parse import parse_statement

log = logging.getLogger(__name__)

__all__ = [
    "ParseResult",
    "ParsedTransaction",
    "RejectedRow",
    "StatementParseError",
    "normalize_merchant",
    "parse_statement",
    "to_json_records",
]

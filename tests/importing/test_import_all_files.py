"""Every real export in ../shared/data/statements either parses sanely or is rejected clearly."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from importing_data import EXPECTED_REJECTIONS, STATEMENTS, rel, statement_files

from core.importing import StatementParseError, parse_statement, to_json_records

FORMATS = {"csv", "ofx", "qif", "mt940", "mt942", "camt.052", "camt.053", "camt.054"}


def test_every_file_parses_or_is_rejected_with_a_clear_message(statement_file: Path) -> None:
    name = rel(statement_file)
    data = statement_file.read_bytes()
    if name in EXPECTED_REJECTIONS:
        with pytest.raises(StatementParseError) as caught:
            parse_statement(data, statement_file.name)
        message = str(caught.value)
        assert message.startswith(statement_file.name), message
        assert caught.value.filename == statement_file.name
        assert EXPECTED_REJECTIONS[name] in message, message
        if caught.value.line is not None:
            assert f"line {caught.value.line}" in message
        return
    result = parse_statement(data, statement_file.name)
    assert result.file_format in FORMATS
    assert result.transactions, name
    assert len(result.rejected) <= len(result.transactions)
    for txn in result.transactions:
        assert 1990 <= txn.date.year <= 2035, (name, txn.line, txn.date)
        assert isinstance(txn.date, dt.date) and not isinstance(txn.date, dt.datetime)
        assert isinstance(txn.amount, Decimal) and txn.amount.is_finite(), (name, txn.line)
        assert txn.description.strip() or txn.payee, (name, txn.line)
        assert txn.line >= 1 and txn.raw.strip(), (name, txn.line)
        assert txn.currency is None or (len(txn.currency) == 3 and txn.currency.isupper())
        if any(c.isalpha() for c in txn.description + (txn.payee or "")):
            assert txn.merchant.strip(), (name, txn.line, txn.description)
    for row in result.rejected:
        assert row.line >= 1 and row.field and row.reason.startswith("expected")
    if result.mapping_confidence is not None:
        assert 0.0 <= result.mapping_confidence <= 1.0
    records = json.loads(json.dumps(to_json_records(result)))
    assert len(records) == len(result.transactions)
    assert all(Decimal(r["amount"]) == t.amount for r, t in zip(records, result.transactions, strict=True))


def test_rejection_table_lists_only_existing_files() -> None:
    names = {rel(p) for p in statement_files()}
    assert set(EXPECTED_REJECTIONS) <= names, set(EXPECTED_REJECTIONS) - names
    assert len(names) > 150, f"expected the full statement corpus under {STATEMENTS}"

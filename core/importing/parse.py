"""``parse_statement``: one entry point for every format, one normalized result.

After the format reader has run, the same checks apply to every format:

* a transaction dated before 1970 or more than two years ahead is moved to ``rejected``
  (anonymized exports with ``1111/11/11`` dates end up there);
* no transactions at all, or more rejected rows than good ones, raises
  :class:`StatementParseError` naming the first bad row: a file is imported whole or not at
  all, individual bad rows are reported in ``rejected``;
* missing currencies are filled from the file's currency, else ``default_currency``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import logging
from collections.abc import Iterator

from core.importing.camt_reader import read_camt
from core.importing.csv_reader import read_csv
from core.importing.detect import detect_format, looks_binary
from core.importing.encoding import Source, decode_bytes
from core.importing.model import SUPPORTED, ParseResult, RejectedRow, StatementParseError
from core.importing.mt940_reader import read_mt940
from core.importing.ofx_reader import read_ofx
from core.importing.qif_reader import read_qif

log = logging.getLogger(__name__)

MIN_DATE = dt.date(1970, 1, 1)
FUTURE_DAYS = 731


def parse_statement(
    data: bytes,
    filename: str,
    *,
    mapping: dict[str, str] | None = None,
    date_order: str | None = None,
    default_currency: str | None = None,
) -> ParseResult:
    """Parse an uploaded statement.

    ``mapping`` (CSV only) overrides detected column roles: role -> header name or 0-based
    index as a string; ``description`` may join columns with ``+``; the extra key ``sign``
    takes ``as_is`` or ``negate``. ``date_order`` (``dmy``/``mdy``) settles ambiguous
    numeric dates (CSV, QIF). ``default_currency`` (ISO 4217) is used when the file names
    none. Raises :class:`StatementParseError` when the file cannot be imported.
    """
    if date_order not in (None, "dmy", "mdy"):
        raise ValueError("date_order must be 'dmy', 'mdy' or None")
    if not data or not data.strip():
        raise StatementParseError(filename, expected=SUPPORTED, got="an empty file")
    if looks_binary(data):
        raise StatementParseError(
            filename,
            expected=SUPPORTED + " (export the statement as CSV if this is Excel or PDF)",
            got="binary content",
        )
    with gc_paused():
        result = _parse(data, filename, mapping, date_order, default_currency)
    return _finish(result, default_currency)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building ~100k small objects.

    A large CSV allocates one row list and one record per line; the collector would scan
    them over and over (about a third of the parse time). Reference counting still frees
    memory; collection resumes afterwards. If another thread already paused it, leave it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _parse(
    data: bytes,
    filename: str,
    mapping: dict[str, str] | None,
    date_order: str | None,
    default_currency: str | None,
) -> ParseResult:
    text, encoding, warning = decode_bytes(data)
    src = Source(filename=filename, data=data, text=text, encoding=encoding)
    fmt = detect_format(text, filename)
    log.info("%s: detected %s (%s)", filename, fmt, encoding)
    if fmt == "ofx":
        result = read_ofx(src)
    elif fmt.startswith("camt"):
        result = read_camt(src, fmt)
    elif fmt == "qif":
        result = read_qif(src, date_order=date_order)
    elif fmt in ("mt940", "mt942"):
        result = read_mt940(src, fmt)
    elif fmt == "xml":
        raise StatementParseError(filename, expected=SUPPORTED, got=text.lstrip()[:40])
    else:
        result = read_csv(src, mapping=mapping, date_order=date_order, default_currency=default_currency)
    if warning:
        result.warnings.insert(0, warning)
    return result


def _finish(result: ParseResult, default_currency: str | None) -> ParseResult:
    latest = dt.date.today() + dt.timedelta(days=FUTURE_DAYS)
    kept = []
    for txn in result.transactions:
        if MIN_DATE <= txn.date <= latest:
            kept.append(txn)
        else:
            result.rejected.append(
                RejectedRow(
                    txn.line,
                    "date",
                    txn.date.isoformat(),
                    f"expected a date between {MIN_DATE.year} and {latest.year}",
                )
            )
    result.transactions = kept
    result.rejected.sort(key=lambda r: r.line)
    if not result.transactions or len(result.rejected) > len(result.transactions):
        _raise_unusable(result)
    if result.currency is None and default_currency:
        result.currency = default_currency.upper()
    if result.currency:
        for txn in result.transactions:
            if txn.currency is None:
                txn.currency = result.currency
    return result


def _raise_unusable(result: ParseResult) -> None:
    if result.rejected:
        first = result.rejected[0]
        total = len(result.rejected) + len(result.transactions)
        expected = first.reason.removeprefix("expected ")
        raise StatementParseError(
            result.filename,
            line=first.line,
            field=first.field,
            expected=expected,
            got=first.value,
            detail=f"{len(result.rejected)} of {total} rows could not be read; nothing was imported",
        )
    raise StatementParseError(
        result.filename,
        expected=f"at least one transaction in this {result.file_format} file",
        got="none",
        detail="; ".join(w for w in result.warnings if w.startswith("skipped")) or None,
    )

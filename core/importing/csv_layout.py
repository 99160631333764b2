"""Where the table is in a delimited export: delimiter, header row, junk above and below.

Banks put account details, balances and titles above the table and totals below it. The
table is found as the longest stretch of rows sharing the modal field count; the header is
the row just before the first data row when it reads like column names (no dates, no
amounts). Rows are read with :mod:`csv` so quoted fields may contain delimiters and line
breaks; every row keeps the line it starts on and its raw text.
"""

from __future__ import annotations

import csv
import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from core.importing.csv_values import looks_like_amount
from core.importing.dates import classify

log = logging.getLogger(__name__)

DELIMITERS = [",", ";", "\t", "|"]
_SAMPLE_LINES = 400


@dataclass(slots=True)
class Row:
    """One record: its fields, first source line (1-based) and raw text."""

    cells: list[str]
    line: int
    raw: str


@dataclass
class Layout:
    """The table: delimiter, header (``None`` if headerless), data rows and junk."""

    delimiter: str
    header: list[str] | None
    rows: list[Row]
    width: int
    preamble: list[Row] = field(default_factory=list)
    footer: list[Row] = field(default_factory=list)


def read_rows(text: str, delimiter: str, limit: int | None = None) -> list[Row]:
    """Split ``text`` into records, tracking line numbers (``limit`` records at most)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', skipinitialspace=False)
    rows: list[Row] = []
    append, strip = rows.append, str.strip
    start = 1
    try:
        for cells in reader:
            end = reader.line_num
            raw = lines[start - 1] if end == start else "\n".join(lines[start - 1 : end])
            stripped = list(map(strip, cells))
            if any(stripped):
                append(Row(stripped, start, raw))
            start = end + 1
            if limit is not None and len(rows) >= limit:
                break
    except csv.Error as exc:
        log.info("csv reader stopped at line %d: %s", start, exc)
    return rows


def choose_delimiter(text: str) -> str | None:
    """Pick the delimiter whose rows agree best on one field count (>= 2 fields)."""
    sample = "\n".join(text.split("\n", _SAMPLE_LINES)[:_SAMPLE_LINES])
    sniffed = None
    try:
        sniffed = csv.Sniffer().sniff(sample[:20000], delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        pass
    best, best_score = None, 0.0
    for delim in DELIMITERS:
        if delim not in sample:
            continue
        counts = [len(r.cells) for r in read_rows(sample, delim)]
        if not counts:
            continue
        width, hits = _modal_width(counts)
        if width < 2:
            continue
        score = hits / len(counts) * min(width, 12) ** 0.5 * (1.1 if delim == sniffed else 1.0)
        if score > best_score:
            best, best_score = delim, score
    return best


def _modal_width(counts: list[int]) -> tuple[int, int]:
    """Most common field count (ignoring one trailing empty field) and how many rows have it."""
    tally = Counter(counts)
    width = max(tally, key=lambda w: ((tally[w] + tally.get(w + 1, 0)) * w**0.5, w))
    return width, tally[width] + tally.get(width + 1, 0)


def find_layout(text: str, delimiter: str) -> Layout:
    """Split rows into preamble, header, data rows and footer."""
    rows = read_rows(text, delimiter)
    if not rows:
        return Layout(delimiter, None, [], 0)
    width, _ = _modal_width([len(r.cells) for r in rows[:_SAMPLE_LINES]])
    first = _first_data_row(rows, width)
    header_idx = first - 1 if first > 0 and _is_header(rows[first - 1], width) else None
    start = first if header_idx is None else header_idx + 1
    header = None
    if header_idx is not None:
        header = list(rows[header_idx].cells)
        width = max(width, len(header))
    end = len(rows)
    while end > start and not _data_like(rows[end - 1], width, loose=True):
        end -= 1
    preamble = rows[: header_idx if header_idx is not None else start]
    return Layout(delimiter, header, rows[start:end], width, preamble, rows[end:])


def _first_data_row(rows: list[Row], width: int) -> int:
    for i, row in enumerate(rows[:_SAMPLE_LINES]):
        if _data_like(row, width) and all(_data_like(r, width, loose=True) for r in rows[i + 1 : i + 3]):
            return i
    return 0


def _data_like(row: Row, width: int, loose: bool = False) -> bool:
    """A record that can hold a transaction: right width and a date or an amount in it."""
    n = len(row.cells)
    if loose and _continuation(row):
        return True
    if not loose and not width - 1 <= n <= width + 1:
        return False
    if loose and n > width + 1:
        return False
    if loose and n < max(2, width // 2):
        return False
    return any(classify(c) for c in row.cells if c) or any(looks_like_amount(c) for c in row.cells if c)


def _continuation(row: Row) -> bool:
    """Text-only line inside the table (a wrapped description): first cells empty."""
    return bool(row.cells) and not row.cells[0] and any(c for c in row.cells[1:])


_HEADERISH = re.compile(r"[^\W\d_]{2,}")


def _is_header(row: Row, width: int) -> bool:
    cells = [c for c in row.cells if c]
    if len(row.cells) < width - 1 or len(cells) < 2:
        return False
    if any(classify(c) for c in cells) or sum(looks_like_amount(c) for c in cells) > len(cells) // 3:
        return False
    return sum(bool(_HEADERISH.search(c)) for c in cells) >= len(cells) * 0.6

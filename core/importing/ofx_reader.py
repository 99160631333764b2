"""OFX/QFX 1.x (SGML) and 2.x (XML) -> :class:`ParseResult`.

The markup is turned into an element tree by ``ofxtools`` (its ``TreeBuilder`` reads SGML
leaves without end tags as well as XML). Before that, the body is made regular: header
lines and ``<?...?>`` instructions are dropped, tag names upper-cased, unclosed leaf
elements closed, self-closing tags removed, so one-line, self-closing and header-less files
(csv2ofx output, files with blank lines before the header) read like any other.

ofxtools' model layer (``OFXTree.convert``) is deliberately not used: it refuses 13 of the
41 real files in the test data over specification details (BANKID longer than 9 characters,
LANGUAGE ``FRE``, two STMTRS in one STMTTRNRS, an empty BALAMT ...) and converts posting
times to UTC, which moves late-evening transactions in ``[+1:CET]`` files to the previous
day. Fields are therefore read from the tree: dates use the literal ``YYYYMMDD`` the bank
wrote; a record without a valid date or amount is rejected (the whole file when most are).
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element

from ofxtools.Parser import ParseError, TreeBuilder

from core.importing.encoding import Source
from core.importing.merchant import normalize_merchant
from core.importing.model import ParsedTransaction, ParseResult, RejectedRow, StatementParseError
from core.importing.ofx_invest import INVEST_TAGS, investment_record, securities

log = logging.getLogger(__name__)

_TAG = re.compile(r"<(/?)([A-Za-z0-9_.]+)\s*(/?)>")
_PI = re.compile(r"<\?.*?\?>|<!--.*?-->", re.DOTALL)
_AMOUNT = re.compile(r"^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)$")
_CHARSETS = {"1252": "cp1252", "8859-1": "latin-1", "ISO-8859-1": "latin-1", "1250": "cp1250"}
STATEMENT_TAGS = ("STMTRS", "CCSTMTRS", "INVSTMTRS")


def read_ofx(src: Source) -> ParseResult:
    """Parse an OFX/QFX statement (bank, credit card or investment)."""
    text = _redecode(src)
    start = re.search(r"<OFX\s*>", text, re.IGNORECASE)
    if not start:
        raise StatementParseError(src.filename, expected="an <OFX> element after the OFX header")
    root = _tree(src.filename, text, start.start())
    result = ParseResult(filename=src.filename, file_format="ofx")
    statements = [el for el in root.iter() if el.tag in STATEMENT_TAGS]
    if not statements:
        raise StatementParseError(
            src.filename,
            expected="a bank, credit card or investment statement",
            got=_status_message(root) or _what_instead(root),
        )
    positions = _positions(text)
    secs = securities(root)
    accounts: list[str] = []
    skipped = 0
    for stmt in statements:
        curdef = _text(stmt, "CURDEF")
        acct = _text(stmt, ".//ACCTID")
        if acct:
            accounts.append(acct)
        result.currency = result.currency or curdef
        for el in stmt.iter():
            if el.tag == "STMTTRN":
                line, raw = _locate(positions, "STMTTRN", text)
                _bank_record(result, el, curdef, line, raw)
            elif el.tag in INVEST_TAGS:
                line, raw = _locate(positions, el.tag, text)
                record = investment_record(el, secs)
                if record is None:
                    skipped += 1
                    continue
                _add(result, record, curdef, line, raw)
        balance = _decimal(_text(stmt, "LEDGERBAL/BALAMT"))
        if stmt.find("LEDGERBAL") is not None and balance is None:
            result.warnings.append("the ledger balance in the file is empty; ignored")
    result.account_hint = accounts[0] if accounts else None
    if len(set(accounts)) > 1:
        result.warnings.append(
            f"the file holds {len(set(accounts))} accounts ({', '.join(dict.fromkeys(accounts))}); "
            "transactions of all of them are returned"
        )
    if skipped:
        result.warnings.append(f"skipped {skipped} investment record(s) without a cash amount")
    return result


def _redecode(src: Source) -> str:
    """Honour an explicit CHARSET/encoding in the header when the bytes were not UTF-8."""
    if src.encoding.startswith("utf"):
        return src.text
    m = re.search(r"CHARSET:\s*([\w-]+)", src.text[:1000]) or re.search(
        r'encoding="([\w-]+)"', src.text[:300]
    )
    codec = _CHARSETS.get(m.group(1).upper()) if m else None
    if codec and codec != src.encoding:
        return src.data.decode(codec, errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    return src.text


def _tree(filename: str, text: str, offset: int) -> Element:
    body = _regularize(text[offset:])
    builder = TreeBuilder()
    try:
        builder.feed(body)
        root = builder.close()
    except (ParseError, IndexError, AssertionError) as exc:
        pos = re.search(r"position=\[(\d+)", str(exc))
        line = text.count("\n", 0, offset) + 1 + (body.count("\n", 0, int(pos.group(1))) if pos else 0)
        raise StatementParseError(
            filename, line=line, expected="well-formed OFX markup", got=str(exc).split(" - ")[0][:60]
        ) from exc
    if root is None or root.tag != "OFX":
        raise StatementParseError(filename, expected="an OFX document")
    return root


def _regularize(body: str) -> str:
    """Close SGML leaves, drop self-closing/processing tags, upper-case tag names."""
    body = _PI.sub("", body)
    closed = {name.upper() for name in re.findall(r"</([A-Za-z0-9_.]+)\s*>", body)}
    out: list[str] = []
    open_leaf: str | None = None
    pos = 0
    for m in _TAG.finditer(body):
        chunk = body[pos : m.start()]
        pos = m.end()
        out.append(chunk.strip() if open_leaf is None else chunk.rstrip())
        if open_leaf is not None:
            out.append(f"</{open_leaf}>")
            open_leaf = None
        closing, name, selfclose = m.group(1), m.group(2).upper(), m.group(3)
        if selfclose:
            continue
        out.append(f"<{closing}{name}>")
        if not closing and name not in closed:
            open_leaf = name
    out.append(body[pos:].strip())
    if open_leaf is not None:
        out.append(f"</{open_leaf}>")
    return "\n".join(part for part in out if part)


def _positions(text: str) -> dict[str, list[tuple[int, int]]]:
    """Start offsets and end offsets of every transaction-like element, per tag."""
    found: dict[str, list[tuple[int, int]]] = {}
    for tag in ("STMTTRN", *INVEST_TAGS):
        spans = []
        for m in re.finditer(rf"<{tag}\s*>", text, re.IGNORECASE):
            close = re.compile(rf"</{tag}\s*>", re.IGNORECASE).search(text, m.end())
            spans.append((m.start(), close.end() if close else m.end()))
        found[tag] = spans
    return found


def _locate(positions: dict[str, list[tuple[int, int]]], tag: str, text: str) -> tuple[int, str]:
    spans = positions.get(tag) or []
    if not spans:
        return 1, ""
    begin, end = spans.pop(0)
    return text.count("\n", 0, begin) + 1, text[begin:end]


def _bank_record(result: ParseResult, el: Element, curdef: str | None, line: int, raw: str) -> None:
    record = {
        "date": _text(el, "DTPOSTED") or _text(el, "DTUSER"),
        "amount": _text(el, "TRNAMT"),
        "fitid": _text(el, "FITID"),
        "name": _text(el, "NAME") or _text(el, "PAYEE/NAME"),
        "memo": _text(el, "MEMO"),
        "reference": _text(el, "CHECKNUM") or _text(el, "REFNUM"),
        "currency": _text(el, "CURRENCY/CURSYM"),
        "balance": _text(el, "ACCTBAL"),
        "kind": _text(el, "TRNTYPE"),
    }
    _add(result, record, curdef, line, raw)


def _add(result: ParseResult, rec: dict, curdef: str | None, line: int, raw: str) -> None:
    date = _date(rec.get("date"))
    if date is None:
        result.rejected.append(
            RejectedRow(line, "DTPOSTED", rec.get("date") or "", "expected a date like 20241231")
        )
        return
    raw_amount = (rec.get("amount") or "").replace(" ", "")
    if not _AMOUNT.match(raw_amount):
        result.rejected.append(
            RejectedRow(line, "TRNAMT", rec.get("amount") or "", "expected an amount like -12.34")
        )
        return
    name, memo = rec.get("name"), rec.get("memo")
    payee = rec.get("payee", name)
    if name and memo and not memo.upper().startswith(name.upper()):
        description = f"{name} {memo}"
    else:
        description = memo or name or rec.get("kind") or "(no description)"
    result.transactions.append(
        ParsedTransaction(
            date=date,
            amount=Decimal(raw_amount.replace(",", ".")),
            currency=(rec.get("currency") or curdef or None),
            description=description,
            payee=payee or None,
            merchant=normalize_merchant(description, payee or None),
            external_id=rec.get("fitid") or None,
            balance=_decimal(rec.get("balance")),
            reference=rec.get("reference") or None,
            pending=False,
            line=line,
            raw=raw,
        )
    )


def _text(el: Element, path: str) -> str | None:
    found = el.find(path)
    if found is None or found.text is None:
        return None
    value = html.unescape(found.text).strip()
    return value or None


def _date(value: str | None) -> dt.date | None:
    if not value or not re.match(r"^\d{8}", value.strip()):
        return None
    v = value.strip()
    try:
        return dt.date(int(v[:4]), int(v[4:6]), int(v[6:8]))
    except ValueError:
        return None


def _decimal(value: str | None) -> Decimal | None:
    if not value or not _AMOUNT.match(value.replace(" ", "")):
        return None
    try:
        return Decimal(value.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None


def _what_instead(root: Element) -> str:
    tags = {el.tag for el in root.iter()}
    for tag, what in (
        ("INTRARS", "a transfer response (INTRARS)"),
        ("ACCTINFORS", "an account list (ACCTINFORS)"),
        ("SONRS", "a sign-on response only"),
    ):
        if tag in tags:
            return what
    return "an empty OFX document"


def _status_message(root: Element) -> str | None:
    for status in root.iter("STATUS"):
        if _text(status, "SEVERITY") == "ERROR" or _text(status, "CODE") not in (None, "0"):
            return (
                f"the bank reported: {_text(status, 'MESSAGE') or 'error ' + (_text(status, 'CODE') or '')}"
            )
    return None

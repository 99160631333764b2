"""QIF (Quicken Interchange Format) -> :class:`ParseResult`, with splits.

The file is cut into records (``^`` ends one) under their ``!Type:`` header; each
transaction record is read by quiffen (``Transaction.from_list`` / ``Investment.from_list``),
so every record keeps its own line number and raw text and one bad record becomes a
:class:`RejectedRow` instead of failing the file. quiffen needs to know whether dates are
day-first: that is decided once for the file from all ``D`` lines (see
:mod:`core.importing.dates`). The parent amount is kept; split lines go to ``splits`` and
are summarized in the description. Quicken's ``Opening Balance`` record is a starting
balance, not a transaction, and is skipped (with a warning). Investment records become cash
movements: buys, expenses and transfers out are negative; share-only actions (ShrsIn,
reinvestments, splits) move no cash and are skipped.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from quiffen import Investment, Transaction

from core.importing.dates import infer_date_spec
from core.importing.encoding import Source
from core.importing.merchant import normalize_merchant
from core.importing.model import ParsedTransaction, ParseResult, RejectedRow, StatementParseError

log = logging.getLogger(__name__)

_TXN_TYPES = {"bank", "cash", "ccard", "oth a", "oth l", "invst", "invoice"}
_CASH_OUT = ("buy", "miscexp", "margint", "xout", "withdraw")
_CASH_IN = ("sell", "div", "intinc", "cglong", "cgmid", "cgshort", "miscinc", "xin", "rtrncap", "deposit")
_NO_CASH = ("shrsin", "shrsout", "stksplit", "reinv", "reminder")


@dataclass
class _Record:
    header: str
    line: int
    lines: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.header.split(":", 1)[1].strip().lower() if ":" in self.header else ""


def read_qif(src: Source, *, date_order: str | None = None) -> ParseResult:
    """Parse a QIF export (bank, cash, credit card, asset/liability and investment lists)."""
    records, accounts = _records(src.text)
    txn_records = [r for r in records if r.kind in _TXN_TYPES]
    result = ParseResult(filename=src.filename, file_format="qif")
    if not txn_records:
        raise StatementParseError(
            src.filename,
            expected="at least one transaction (a !Type:Bank, "
            "!Type:CCard, !Type:Cash or !Type:Invst section)",
            got="none",
        )
    dates = [
        ln[1:].replace(" ", "0").replace("'", "/")
        for r in txn_records
        for ln in r.lines
        if ln.startswith("D")
    ]
    spec = infer_date_spec(dates, date_order=date_order, default_order="mdy")
    day_first = spec is not None and spec.fmt.startswith("%d")
    if spec is not None and spec.warning:
        result.warnings.append(spec.warning)
    skipped = {"opening": 0, "no_cash": 0}
    for rec in txn_records:
        _read_record(result, rec, day_first, skipped, src.text)
    if len(accounts) > 1:
        result.warnings.append(
            f"the file holds {len(accounts)} accounts ({', '.join(accounts)}); "
            "transactions of all of them are returned"
        )
    result.account_hint = next((a for a in accounts if any(c.isdigit() for c in a)), None)
    if skipped["opening"]:
        result.warnings.append("skipped the 'Opening Balance' record (a starting balance, not a transaction)")
    if skipped["no_cash"]:
        result.warnings.append(f"skipped {skipped['no_cash']} investment record(s) that move no cash")
    return result


def _records(text: str) -> tuple[list[_Record], list[str]]:
    records: list[_Record] = []
    accounts: list[str] = []
    header = ""
    current: _Record | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        s = line.rstrip()
        if not s.strip():
            continue
        if s.startswith("!"):
            if not s.lower().startswith(("!option", "!clear")):
                header = s.strip()
            current = None
            continue
        if s.strip() == "^":
            if current is not None:
                records.append(current)
                if header.lower().startswith("!account"):
                    name = next((ln[1:].strip() for ln in current.lines if ln.startswith("N")), "")
                    if name and name not in accounts:
                        accounts.append(name)
            current = None
            continue
        if s.startswith("#") and current is None:
            continue
        if current is None:
            current = _Record(header, number)
        current.lines.append(s)
    if current is not None and current.lines:
        records.append(current)
    return records, accounts


def _read_record(result: ParseResult, rec: _Record, day_first: bool, skipped: dict, text: str) -> None:
    raw = "\n".join(rec.lines)
    fields = {ln[0]: ln[1:].strip() for ln in reversed(rec.lines) if ln}
    if not fields.get("D"):
        result.rejected.append(RejectedRow(rec.line, "D", "", "expected a D line with the date"))
        return
    try:
        if rec.kind == "invst":
            item = Investment.from_list(list(rec.lines), day_first=day_first, line_number=rec.line)
        else:
            item, _classes = Transaction.from_list(list(rec.lines), day_first=day_first, line_number=rec.line)
    except Exception as exc:  # quiffen raises ValueError, InvalidOperation, ParserError ...
        bad = "D" if "date" in str(exc).lower() or "string" in str(exc).lower() else "T"
        result.rejected.append(
            RejectedRow(rec.line, bad, fields.get(bad, ""), f"expected a valid {_FIELD[bad]}")
        )
        return
    if isinstance(item, Investment):
        _investment(result, item, rec, raw, skipped)
        return
    if item.amount is None:
        result.rejected.append(
            RejectedRow(rec.line, "T", fields.get("T", ""), "expected a T line with the amount")
        )
        return
    payee = (item.payee or "").strip() or None
    if payee and payee.lower() == "opening balance" and item.to_account:
        skipped["opening"] += 1
        return
    splits = [
        {
            "category": _category(s.category) or (f"[{s.to_account}]" if s.to_account else ""),
            "amount": format(s.amount, "f") if s.amount is not None else "",
            "memo": s.memo or "",
        }
        for s in item.splits or []
    ]
    description = _join(payee, item.memo)
    if splits:
        description += " [split: " + "; ".join(f"{s['category'] or '?'} {s['amount']}" for s in splits) + "]"
    _append(
        result,
        rec,
        raw,
        item.date,
        Decimal(item.amount),
        description.strip(),
        payee,
        str(item.check_number) if item.check_number else None,
        splits,
    )


def _investment(result: ParseResult, inv: Investment, rec: _Record, raw: str, skipped: dict) -> None:
    action = (inv.action or "").lower()
    amount = inv.amount if inv.amount is not None else inv.transfer_amount
    if amount is None or action.startswith(_NO_CASH):
        skipped["no_cash"] += 1
        return
    value = abs(Decimal(amount))
    if action.startswith(_CASH_OUT):
        value = -value
    elif not action.startswith(_CASH_IN):
        value = Decimal(amount)
    words = [inv.action, format(inv.quantity, "f") if inv.quantity is not None else None, inv.security]
    description = _join(" ".join(w for w in words if w), inv.memo)
    _append(result, rec, raw, inv.date, value, description, inv.security or inv.first_line, None, [])


def _append(result, rec, raw, when, amount, description, payee, reference, splits) -> None:
    date = when.date() if isinstance(when, dt.datetime) else when
    description = description or payee or "(no description)"
    result.transactions.append(
        ParsedTransaction(
            date=date,
            amount=amount,
            currency=None,
            description=description,
            payee=payee,
            merchant=normalize_merchant(description.split(" [split:")[0], payee),
            external_id=None,
            balance=None,
            reference=reference,
            pending=False,
            line=rec.line,
            raw=raw,
            splits=tuple(splits),
        )
    )


def _category(cat) -> str:
    if cat is None:
        return ""
    return ":".join(c.name for c in reversed(cat.traverse_up()))


def _join(first: str | None, second: str | None) -> str:
    first, second = (first or "").strip(), (second or "").strip()
    if first and second and not second.lower().startswith(first.lower()):
        return f"{first} {second}"
    return second or first


_FIELD = {"D": "date (D line)", "T": "amount (T line)"}

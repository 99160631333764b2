"""ISO 20022 camt.052 (report), camt.053 (statement), camt.054 (notification) -> result.

There is no maintained camt library with a stable API, so the XML is read with lxml and
elements are addressed by local name, which works across every schema version
(``camt.05x.001.01`` ... ``.08``). One transaction per booked entry (``Ntry``): the entry
amount is what moved on the account; batch entries with several ``TxDtls`` keep the entry
total and name the first party plus ``(+N more)``. Sign from ``CdtDbtInd`` (and a reversal
``RvslInd`` flips it); date = booking date, else value date; ``Sts`` ``PDNG`` marks pending;
``external_id`` = ``AcctSvcrRef``, else ``NtryRef``, else the first ``TxDtls`` reference.
The counterparty is the creditor for money out and the debtor for money in.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from decimal import Decimal, InvalidOperation

from lxml import etree

from core.importing.encoding import Source
from core.importing.merchant import normalize_merchant
from core.importing.model import ParsedTransaction, ParseResult, RejectedRow, StatementParseError

log = logging.getLogger(__name__)

_CONTAINERS = ("Stmt", "Rpt", "Ntfctn")


def read_camt(src: Source, fmt: str) -> ParseResult:
    """Parse camt.052/053/054 XML bytes."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=False)
    try:
        root = etree.fromstring(src.data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise StatementParseError(
            src.filename, line=exc.lineno, expected="well-formed XML", got=str(exc.msg)[:60]
        ) from exc
    result = ParseResult(filename=src.filename, file_format=fmt)
    containers = [el for el in root.iter() if _local(el) in _CONTAINERS]
    if not containers:
        raise StatementParseError(
            src.filename, expected=f"a {fmt} statement (Stmt/Rpt/Ntfctn element)", got="none"
        )
    accounts: list[str] = []
    for box in containers:
        acct = _first(box, "Acct/Id/IBAN") or _first(box, "Acct/Id/Othr/Id")
        if acct and acct not in accounts:
            accounts.append(acct)
        box_ccy = _first(box, "Acct/Ccy")
        result.currency = result.currency or box_ccy
        created = _date(_first(box, "CreDtTm") or _first(root, "GrpHdr/CreDtTm"))
        for entry in _children(box, "Ntry"):
            _entry(result, entry, box_ccy, created)
    result.account_hint = accounts[0] if accounts else None
    codes = [t.currency for t in result.transactions if t.currency]
    result.currency = result.currency or (max(set(codes), key=codes.count) if codes else None)
    undated = sum(1 for w in result.warnings if w == _CREATED)
    result.warnings = [w for w in result.warnings if w != _CREATED]
    if undated:
        result.warnings.append(
            f"{undated} entr{'y' if undated == 1 else 'ies'} had no booking or value date; "
            "dated by the message creation date"
        )
    if len(accounts) > 1:
        result.warnings.append(
            f"the file holds {len(accounts)} accounts ({', '.join(accounts)}); "
            "transactions of all of them are returned"
        )
    return result


_CREATED = "dated by creation"


def _entry(result: ParseResult, entry: etree._Element, box_ccy: str | None, created: dt.date | None) -> None:
    line = entry.sourceline or 0
    raw = etree.tostring(entry, encoding="unicode")
    amt_el = _find(entry, "Amt")
    try:
        amount = Decimal((amt_el.text or "").strip()) if amt_el is not None else None
    except InvalidOperation:
        amount = None
    if amount is None:
        value = "" if amt_el is None else (amt_el.text or "")
        result.rejected.append(RejectedRow(line, "Ntry/Amt", value, "expected an amount like 12.34"))
        return
    mark = _first(entry, "CdtDbtInd")
    if mark not in ("CRDT", "DBIT"):
        result.rejected.append(RejectedRow(line, "Ntry/CdtDbtInd", mark or "", "expected CRDT or DBIT"))
        return
    reversal = (_first(entry, "RvslInd") or "").lower() == "true"
    outgoing = (mark == "DBIT") != reversal
    date_text = (
        _first(entry, "BookgDt/Dt")
        or _first(entry, "BookgDt/DtTm")
        or _first(entry, "ValDt/Dt")
        or _first(entry, "ValDt/DtTm")
    )
    details = _descendants(entry, "TxDtls")
    first = details[0] if details else None
    if date_text is None and first is not None:
        date_text = _first(first, "RltdDts/IntrBkSttlmDt") or _first(first, "RltdDts/AccptncDtTm")
    date = _date(date_text)
    if date is None and date_text is None and created is not None:
        date = created
        result.warnings.append(_CREATED)
    if date is None:
        result.rejected.append(
            RejectedRow(line, "Ntry/BookgDt", date_text or "", "expected a date like 2024-12-31")
        )
        return
    party_role = "Cdtr" if outgoing else "Dbtr"
    payee = None
    if first is not None:
        payee = (
            _first(first, f"RltdPties/{party_role}/Nm")
            or _first(first, f"RltdPties/{party_role}/Pty/Nm")
            or _first(first, f"RltdPties/Ultmt{party_role}/Nm")
        )
    texts = []
    if first is not None:
        texts += [t.strip() for t in _all_text(first, "Ustrd")]
        texts += [t.strip() for t in _all_text(first, "AddtlRmtInf")]
        texts += [t.strip() for t in _all_text(first, "AddtlTxInf")]
    texts.append(_first(entry, "AddtlNtryInf") or "")
    description = (
        " ".join(dict.fromkeys(t for t in texts if t)) or payee or _bank_code(entry) or "(no description)"
    )
    if len(details) > 1:
        description += f" (+{len(details) - 1} more)"
    reference = None
    if first is not None:
        reference = (
            _first(first, "Refs/EndToEndId")
            or _first(first, "RmtInf/Strd/CdtrRefInf/Ref")
            or _first(first, "Refs/Ref")
        )
        if reference and reference.upper() == "NOTPROVIDED":
            reference = None
    ext = (
        _first(entry, "AcctSvcrRef")
        or _first(entry, "NtryRef")
        or (_first(first, "Refs/AcctSvcrRef") if first is not None else None)
    )
    status = (_first(entry, "Sts/Cd") or _first(entry, "Sts") or "").upper()
    result.transactions.append(
        ParsedTransaction(
            date=date,
            amount=-amount if outgoing else amount,
            currency=amt_el.get("Ccy") or box_ccy,
            description=re.sub(r"\s+", " ", description).strip(),
            payee=payee,
            merchant=normalize_merchant(description, payee),
            external_id=ext,
            balance=None,
            reference=reference,
            pending=status in ("PDNG", "INFO"),
            line=line,
            raw=raw,
        )
    )


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if _local(c) == name]


def _descendants(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el.iter() if _local(c) == name]


def _find(el: etree._Element, path: str) -> etree._Element | None:
    """First element at a local-name path below ``el`` (any namespace, direct children)."""
    nodes = [el]
    for step in path.split("/"):
        nodes = [c for n in nodes for c in n if _local(c) == step]
        if not nodes:
            return None
    return nodes[0]


def _first(el: etree._Element, path: str) -> str | None:
    found = _find(el, path)
    text = (found.text or "").strip() if found is not None else ""
    return text or None


def _all_text(el: etree._Element, name: str) -> list[str]:
    return [c.text for c in _descendants(el, name) if c.text and c.text.strip()]


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", text.strip())
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _bank_code(entry: etree._Element) -> str | None:
    domain = _first(entry, "BkTxCd/Domn/Fmly/SubFmlyCd")
    return domain or _first(entry, "BkTxCd/Prtry/Cd")

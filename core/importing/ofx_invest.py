"""Investment records of an OFX INVSTMTRS, as cash movements of the brokerage account.

``BUYMF``, ``SELLSTOCK``, ``INCOME``, ``REINVEST``... carry the cash effect in ``TOTAL``
(negative for buys). The description reads ``"BUYSTOCK 100 ACME CORP"`` with the security
name from ``SECLIST`` (ticker, else the raw id). Records without ``TOTAL`` (share transfers,
splits) move no cash and are skipped by the caller. Cash-only lines (``INVBANKTRAN``) are
ordinary ``STMTTRN`` elements and are read by :mod:`core.importing.ofx_reader`.
"""

from __future__ import annotations

import html
import logging
from xml.etree.ElementTree import Element

log = logging.getLogger(__name__)

INVEST_TAGS = (
    "BUYDEBT",
    "BUYMF",
    "BUYOPT",
    "BUYOTHER",
    "BUYSTOCK",
    "CLOSUREOPT",
    "INCOME",
    "INVEXPENSE",
    "JRNLFUND",
    "JRNLSEC",
    "MARGININTEREST",
    "REINVEST",
    "RETOFCAP",
    "SELLDEBT",
    "SELLMF",
    "SELLOPT",
    "SELLOTHER",
    "SELLSTOCK",
    "SPLIT",
    "TRANSFER",
)


def securities(root: Element) -> dict[str, str]:
    """UNIQUEID -> display name (``TICKER SECNAME`` or what exists) from SECLIST."""
    names: dict[str, str] = {}
    for info in root.iter("SECINFO"):
        uid = _t(info, "SECID/UNIQUEID")
        if uid:
            parts = [p for p in (_t(info, "TICKER"), _t(info, "SECNAME")) if p]
            names[uid] = " ".join(parts) or uid
    return names


def investment_record(el: Element, secs: dict[str, str]) -> dict | None:
    """Field dict for :func:`core.importing.ofx_reader._add`, or ``None`` without cash."""
    total = _t(el, ".//TOTAL")
    if total is None:
        return None
    uid = _t(el, ".//SECID/UNIQUEID")
    security = secs.get(uid or "", uid)
    units = _t(el, ".//UNITS")
    action = el.tag
    kind = _t(el, ".//INCOMETYPE")
    words = [action, kind, units, security]
    memo = _t(el, ".//INVTRAN/MEMO")
    description = " ".join(w for w in words if w)
    if memo:
        description = f"{description} {memo}"
    return {
        "date": _t(el, ".//INVTRAN/DTTRADE") or _t(el, ".//INVTRAN/DTSETTLE"),
        "amount": total,
        "fitid": _t(el, ".//INVTRAN/FITID"),
        "name": None,
        "payee": security,
        "memo": description,
        "reference": None,
        "currency": _t(el, ".//CURRENCY/CURSYM"),
        "balance": None,
        "kind": action,
    }


def _t(el: Element, path: str) -> str | None:
    found = el.find(path)
    if found is None or found.text is None:
        return None
    value = html.unescape(found.text).strip()
    return value or None

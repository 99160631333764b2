"""Recognise the statement format from the content (the file name is only a tie-breaker).

Checks, in order: OFX/QFX (``OFXHEADER:`` or an ``<OFX>`` element), ISO 20022 camt.052/053/054
(namespace or root element), QIF (``!Type:``, ``!Account``, ``!Option``, ``!Clear`` lines),
SWIFT MT940/MT942 (``:20:``/``:25:``/``:61:``... tags at line starts; ``:34F:`` or a
``{2:O942`` block means MT942), otherwise a delimited table. :func:`looks_binary` turns away
spreadsheets, PDFs and archives before any of that.
"""

from __future__ import annotations

import logging
import re

from core.importing.encoding import detect_encoding

log = logging.getLogger(__name__)

_OFX = re.compile(r"OFXHEADER\s*[:=]|<OFX>|<\?OFX\b", re.IGNORECASE)
_CAMT_NS = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.(05[234])")
_CAMT_ROOT = {
    "BkToCstmrAcctRpt": "camt.052",
    "BkToCstmrStmt": "camt.053",
    "BkToCstmrDbtCdtNtfctn": "camt.054",
}
_QIF = re.compile(r"^\s*!(?:Type|Account|Option|Clear)\b", re.IGNORECASE | re.MULTILINE)
_SWIFT_TAG = re.compile(r"^:(?:20|21|25P?|28C?|60[FM]|61|62[FM]|64|65|86|NS|13D?|34F|90[DC]):", re.MULTILINE)
_MT942 = re.compile(r"^:34F:|\{2:[IO]942", re.MULTILINE)


def detect_format(text: str, filename: str = "") -> str:
    """Return ``ofx``, ``camt.052``/``camt.053``/``camt.054``, ``qif``, ``mt940``,
    ``mt942``, ``xml`` (XML we do not read) or ``csv`` (anything else: try as a table)."""
    head = text[:20000]
    stripped = head.lstrip()
    if _OFX.search(head):
        return "ofx"
    ns = _CAMT_NS.search(head)
    if ns:
        return f"camt.{ns.group(1)}"
    if stripped.startswith("<"):
        for root, fmt in _CAMT_ROOT.items():
            if f"<{root}" in head:
                return fmt
        return "xml"
    if _QIF.search(head):
        return "qif"
    tags = _SWIFT_TAG.findall(head)
    if tags or stripped.startswith("{1:"):
        return "mt942" if _MT942.search(head) else "mt940"
    if filename.lower().endswith(".qif") and re.search(r"^\^\s*$", head, re.MULTILINE):
        return "qif"
    return "csv"


def looks_binary(data: bytes) -> bool:
    """True for content that is not text in any encoding we read (zip, PDF, OLE2 ...)."""
    if data.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")):
        return True
    head = data[:4096]
    if not head:
        return False
    encoding, _ = detect_encoding(head)
    if encoding.startswith(("utf-16", "utf-32")):
        return False
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > 0.05 * len(head)

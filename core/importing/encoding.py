"""Turn uploaded bytes into text: BOMs, UTF-16 without BOM, UTF-8, legacy code pages.

Order of decisions (first that applies wins):

1. a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32);
2. UTF-16 without a BOM, recognised by NUL bytes in every other position;
3. strict UTF-8;
4. ``charset-normalizer`` restricted to the code pages banks actually use (Windows and ISO
   Western/Central/Eastern European, DOS 850/852; Mac Roman is left out, it hijacks short
   cp1252 samples). When it reports that cp1252 decodes the bytes identically to its pick,
   cp1252 is used (the Western default);
5. latin-1, which never fails (documented fallback, with a warning).

Line endings are normalized to ``\\n`` (CR-only and CR CR LF files occur in real exports).
:class:`Source` carries the bytes and the decoded text to the format readers.
"""

from __future__ import annotations

import codecs
import logging
from dataclasses import dataclass

import charset_normalizer

log = logging.getLogger(__name__)

_LEGACY_CODEPAGES = [
    "cp1252",
    "cp1250",
    "iso8859_2",
    "iso8859_15",
    "cp850",
    "cp852",
    "cp1257",
    "cp1251",
    "koi8_r",
    "cp1254",
    "cp1253",
]
_SAMPLE_BYTES = 64_000

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


def detect_encoding(data: bytes) -> tuple[str, str | None]:
    """Return ``(encoding, warning)`` for ``data``; the warning is ``None`` when confident."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, None
    head = data[:400]
    if len(head) >= 4:
        even_nuls = head[0::2].count(0)
        odd_nuls = head[1::2].count(0)
        half = len(head) // 2
        if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
            return "utf-16-le", None
        if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
            return "utf-16-be", None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8", None
    sample = _sample(data)
    best = charset_normalizer.from_bytes(sample, cp_isolation=_LEGACY_CODEPAGES).best()
    if best is not None:
        encoding = best.encoding
        if "cp1252" in best.could_be_from_charset:
            encoding = "cp1252"
        return encoding, None
    return "latin-1", "character encoding could not be identified; read as latin-1"


def decode_bytes(data: bytes) -> tuple[str, str, str | None]:
    """Decode ``data``; return ``(text, encoding, warning)`` with ``\\n`` line endings.

    A leading BOM is removed. Bytes the chosen code page cannot map (a stray binary byte
    inside an otherwise readable file) become U+FFFD rather than failing the import.
    """
    encoding, warning = detect_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        text = data.decode(encoding, errors="replace")
        warning = f"bytes not valid in {encoding} were replaced (first at offset {exc.start})"
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    log.debug("decoded %d bytes as %s", len(data), encoding)
    return text, encoding, warning


def _sample(data: bytes) -> bytes:
    if len(data) <= _SAMPLE_BYTES:
        return data
    half = _SAMPLE_BYTES // 2
    return data[:half] + data[-half:]


@dataclass(frozen=True)
class Source:
    """``text`` is ``data`` decoded (see :mod:`core.importing.encoding`), ``\\n`` line ends."""

    filename: str
    data: bytes
    text: str
    encoding: str

    def line_of(self, offset: int) -> int:
        """1-based line number of a character offset in ``text``."""
        return self.text.count("\n", 0, offset) + 1

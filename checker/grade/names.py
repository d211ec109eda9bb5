"""Hostile names and text made safe: storage names, visible text, spreadsheet cells.

Student ids and file names come from folder names (any bytes: Python shows undecodable ones
as lone surrogates, ``os.fsdecode``'s ``surrogateescape``), from Gradescope's metadata (any
JSON string, lone surrogates included) and from what students type. Three rules:

* :func:`storage_name`: the name a student's folder or a record gets under RESULTS. It is
  *injective* and *always storable*: a plain name (lower-case ASCII letters, digits and
  ``._@+-``, at most 64 characters, not a reserved Windows device name) is kept as it is;
  every other name becomes a readable prefix plus ``~`` plus a hash of its exact bytes. A
  plain name never contains ``~``, so the two kinds cannot meet; two plain names differ as
  texts, and in lower case, so they differ on a case-insensitive file system too; two hashed
  names differ by their hash (a collision is refused when the jobs are built).
* :func:`visible`: text as shown to people (feedback, progress lines, the gradebook): control
  characters, terminal escapes, bidirectional overrides and lone surrogates become visible
  escapes (``\\x1b``, ``\\u202e``, ``\\udcff``), so a student's bytes never drive a terminal
  and every output can be written as UTF-8.
* :func:`csv_cell`: OWASP's rule against CSV injection: a cell that starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return gets a leading ``'`` so no spreadsheet runs it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

HASH_CHARS = 16  # 64 bits of SHA-256: a collision is refused, never silent
PREFIX_CHARS = 40
_PLAIN = re.compile(r"[a-z0-9_@+][a-z0-9._@+\-]{0,63}")
_RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?")
_PREFIX_UNSAFE = re.compile(r"[^A-Za-z0-9._@+\-]+")
# shown as escapes: C0 and C1 controls (category Cc: ESC starts every terminal escape), lone
# surrogates (Cs), bidirectional controls (they reorder what a reader sees), line separators
_HIDDEN = ((0x00, 0x1F), (0x7F, 0x9F), (0x200E, 0x200F), (0x202A, 0x202E), (0x2066, 0x2069),
           (0x2028, 0x2029), (0xFEFF, 0xFEFF), (0xD800, 0xDFFF))
_PATTERNS: dict[str, re.Pattern[str]] = {}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def id_bytes(text: str) -> bytes:
    """The exact bytes of a name: undecodable bytes of a file name back as they were, any
    other lone surrogate (from JSON) kept distinct."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")


def name_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_CHARS]


def is_plain(name: str) -> bool:
    return (_PLAIN.fullmatch(name) is not None and _RESERVED.fullmatch(name) is None
            and not name.endswith("."))


def storage_name(name: str) -> str:
    """``name`` as one path component under RESULTS (see the module docstring)."""
    if is_plain(name):
        return name
    prefix = _PREFIX_UNSAFE.sub("_", visible(name, keep=""))[:PREFIX_CHARS].strip("._-")
    return f"{prefix or '_'}~{name_hash(id_bytes(name))}"


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def _pattern(keep: str) -> re.Pattern[str]:
    found = _PATTERNS.get(keep)
    if found is None:
        kept = sorted(ord(ch) for ch in set(keep))
        parts = []
        for lo, hi in _HIDDEN:
            for k in kept:  # cut the kept characters out of the ranges
                if lo <= k <= hi:
                    if lo < k:
                        parts.append(f"\\U{lo:08x}-\\U{k - 1:08x}")
                    lo = k + 1
            if lo <= hi:
                parts.append(f"\\U{lo:08x}-\\U{hi:08x}")
        found = re.compile("[" + "".join(parts) + "]")
        _PATTERNS[keep] = found
    return found


def visible(text: str, keep: str = "\n\t") -> str:
    """``text`` with every control character (but those in ``keep``), terminal escape,
    bidirectional control and lone surrogate written as an escape."""
    if text.isascii() and text.isprintable():
        return text
    return _pattern(keep).sub(lambda m: _escape(m.group()), text)


def short(text: str, limit: int = 80) -> str:
    """A name inside a message or a progress line: visible, on one line, cut when long."""
    text = visible(text, keep="")
    return text if len(text) <= limit else text[:limit] + "..."


def visible_doc(doc: Any) -> Any:
    """A JSON-ready value with :func:`visible` applied to every string (keys too)."""
    if isinstance(doc, str):
        return visible(doc)
    if isinstance(doc, dict):
        return {visible(str(k)) if isinstance(k, str) else k: visible_doc(v)
                for k, v in doc.items()}
    if isinstance(doc, list | tuple):
        return [visible_doc(v) for v in doc]
    return doc


def csv_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text (OWASP's CSV-injection rule), on one line."""
    text = visible(text, keep="")
    return "'" + text if text.startswith(FORMULA_START) else text


def look_alike_key(name: str) -> str:
    """Ids that read the same: the same text after NFC normalisation."""
    return unicodedata.normalize("NFC", visible(name, keep=""))

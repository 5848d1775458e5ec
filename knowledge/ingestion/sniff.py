"""Decide what a file really is from its bytes, and what the uploader said it is.

The declared type (extension or MIME type) is never trusted on its own: a renamed binary or a
PDF uploaded as "notes.txt" is rejected instead of being parsed by the wrong reader.
"""

from __future__ import annotations

import codecs
import os
import zipfile
from pathlib import Path, PurePath

from .base import DocumentKind
from .errors import DocumentRejected, RejectCode

_EXTENSIONS = {
    ".pdf": DocumentKind.PDF,
    ".docx": DocumentKind.DOCX,
    ".md": DocumentKind.MARKDOWN,
    ".markdown": DocumentKind.MARKDOWN,
    ".txt": DocumentKind.TEXT,
    ".text": DocumentKind.TEXT,
}
_MIME_TYPES = {
    "application/pdf": DocumentKind.PDF,
    "application/x-pdf": DocumentKind.PDF,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": DocumentKind.DOCX,
    "text/markdown": DocumentKind.MARKDOWN,
    "text/x-markdown": DocumentKind.MARKDOWN,
    "text/plain": DocumentKind.TEXT,
}

# What sniffing can find besides the four supported kinds.
SNIFF_EMPTY = "empty"
SNIFF_ZIP = "zip"
SNIFF_OLE = "ole"  # legacy .doc/.xls, and password-protected Office files
SNIFF_BINARY = "binary"
SNIFF_NOT_UTF8 = "not_utf8"  # no NUL bytes but not UTF-8: text in a legacy encoding, or binary

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HEAD_BYTES = 8192


def declared_kind(declared: str) -> DocumentKind:
    """Kind named by a file name, an extension (".pdf", "pdf") or a MIME type ("application/pdf")."""
    value = declared.strip().lower()
    if "/" in value and not value.startswith((".", "/")) and value.split(";", 1)[0].strip() in _MIME_TYPES:
        return _MIME_TYPES[value.split(";", 1)[0].strip()]
    suffix = PurePath(value).suffix or (f".{value}" if value.isalnum() else "")
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    raise DocumentRejected(
        f"Unsupported document type {declared!r}: upload a PDF, DOCX, Markdown or plain-text file.",
        RejectCode.UNSUPPORTED_TYPE,
    )


def sniff_kind(path: str | os.PathLike[str]) -> str:
    """Return "pdf", "docx", "text" or one of the SNIFF_* values, from the content only."""
    with Path(path).open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    if not head:
        return SNIFF_EMPTY
    # The PDF header may legally be preceded by junk; readers accept it within the first KiB.
    if b"%PDF-" in head[:1024]:
        return DocumentKind.PDF.value
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return DocumentKind.DOCX.value if _is_docx(path) else SNIFF_ZIP
    if head.startswith(_OLE_MAGIC):
        return SNIFF_OLE
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return DocumentKind.TEXT.value
    if b"\x00" in head:
        return SNIFF_BINARY
    try:
        # final=False: the sample may end in the middle of a multi-byte character.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return SNIFF_NOT_UTF8
    return DocumentKind.TEXT.value


def _is_docx(path: str | os.PathLike[str]) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "word/document.xml" in names


def check_content_matches(path: str | os.PathLike[str], kind: DocumentKind) -> None:
    """Raise DocumentRejected unless the bytes of `path` are a `kind` document."""
    found = sniff_kind(path)
    if found == SNIFF_EMPTY:
        raise DocumentRejected("The file is empty.", RejectCode.EMPTY)
    text_kinds = {DocumentKind.TEXT, DocumentKind.MARKDOWN}
    if found == kind.value or (kind in text_kinds and found == DocumentKind.TEXT.value):
        return
    if found == SNIFF_NOT_UTF8 and kind in text_kinds:
        raise DocumentRejected(
            "The text file is not valid UTF-8; save it as UTF-8 and upload it again.", RejectCode.TYPE_MISMATCH
        )
    if found == SNIFF_OLE and kind == DocumentKind.DOCX:
        raise DocumentRejected(
            "The file is a password-protected or legacy Word (.doc) document; save it as an unprotected .docx.",
            RejectCode.ENCRYPTED,
        )
    described = {
        DocumentKind.PDF.value: "a PDF",
        DocumentKind.DOCX.value: "a Word (DOCX) document",
        DocumentKind.TEXT.value: "plain text",
        SNIFF_ZIP: "a zip archive",
        SNIFF_OLE: "a legacy Office file",
        SNIFF_BINARY: "binary data",
        SNIFF_NOT_UTF8: "binary data or text that is not UTF-8",
    }[found]
    raise DocumentRejected(
        f"The file was uploaded as {kind.value} but its content is {described}.", RejectCode.TYPE_MISMATCH
    )

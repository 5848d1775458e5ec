"""Extraction: page streams from PDF/DOCX/text, and every kind of bad input rejected with its code.

No database: these tests exercise the pure parsing layer only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pypdf
import pytest

from knowledge.ingestion import (
    DocumentKind,
    DocumentRejected,
    ExtractionLimits,
    RejectCode,
    declared_kind,
    inspect_document,
    iter_document_pages,
    iter_docx_pages,
    iter_pdf_pages,
    iter_text_pages,
    pdf_page_count,
)
from knowledge.tests.fixtures.ingestion_files import (
    DEV_EVAL,
    require_dev_eval,
    text_pdf_bytes,
    write_blank_pdf,
    write_encrypted_pdf,
    write_sample_docx,
    write_text_pdf,
    write_zip_bomb_docx,
)

REPO = Path(__file__).resolve().parents[2]
SIMPLE_PAGES = [["Pump manual", "", "Revision 2"], ["1. Safety", "", "Keep clear of the rotor."]]


def rejected(call, *args, **kwargs) -> DocumentRejected:
    """Run `call` (consuming it if it is a generator) and return the DocumentRejected it raises."""
    with pytest.raises(DocumentRejected) as info:
        result = call(*args, **kwargs)
        if hasattr(result, "__next__"):
            list(result)
    return info.value


# -- PDF ---------------------------------------------------------------------------------------


def test_pdf_pages_are_streamed_in_order_with_layout_text(tmp_path):
    path = write_text_pdf(tmp_path / "m.pdf", SIMPLE_PAGES)
    pages = iter_pdf_pages(path)
    first = next(pages)
    assert (first.number, first.layout) == (1, True)
    assert "Pump manual" in first.text and "Revision 2" in first.text
    second = next(pages)
    assert second.number == 2 and "Keep clear of the rotor." in second.text
    assert list(pages) == []
    assert pdf_page_count(path) == 2


def test_dev_eval_manual_extracts_every_page():
    path = require_dev_eval(DEV_EVAL / "manuals" / "pdf" / "autoboss-v50-operator-manual-en.pdf")
    pages = list(iter_pdf_pages(path))
    assert [p.number for p in pages] == list(range(1, 17))
    assert pages[6].text.startswith("6. Pressure fluctuation or loss")


def test_password_protected_pdf_is_rejected(tmp_path):
    path = write_encrypted_pdf(tmp_path / "locked.pdf", user_password="secret", owner_password="owner")
    error = rejected(pdf_page_count, path)
    assert error.code is RejectCode.ENCRYPTED
    assert "password" in error.reason


def test_pdf_secured_only_against_editing_is_read(tmp_path):
    # Vendor manuals are often AES-encrypted with an empty user password: they must still ingest.
    path = write_encrypted_pdf(tmp_path / "secured.pdf", user_password="", owner_password="owner", algorithm="AES-256")
    pages = list(iter_pdf_pages(path))
    assert "Secret section" in pages[0].text


def test_truncated_pdf_is_rejected_as_corrupt(tmp_path):
    data = text_pdf_bytes(SIMPLE_PAGES)
    path = tmp_path / "cut.pdf"
    path.write_bytes(data[: len(data) // 2])
    assert rejected(pdf_page_count, path).code is RejectCode.CORRUPT


def test_garbage_after_pdf_header_is_rejected_as_corrupt(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + os.urandom(4096))
    assert rejected(iter_pdf_pages, path).code is RejectCode.CORRUPT


def test_random_bytes_named_pdf_are_a_type_mismatch(tmp_path):
    path = tmp_path / "random.pdf"
    path.write_bytes(b"\x89\x00\xff" + os.urandom(2048))
    error = rejected(inspect_document, path, declared="random.pdf")
    assert error.code is RejectCode.TYPE_MISMATCH
    assert "binary data" in error.reason


def test_empty_file_is_rejected(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    assert rejected(inspect_document, path, declared="empty.pdf").code is RejectCode.EMPTY


def test_pdf_without_text_is_rejected_as_a_scan(tmp_path):
    path = write_blank_pdf(tmp_path / "scan.pdf", pages=2)
    error = rejected(iter_pdf_pages, path)
    assert error.code is RejectCode.NO_TEXT
    assert "OCR" in error.reason


def test_five_thousand_page_pdf_is_rejected_before_any_text_is_extracted(tmp_path, monkeypatch):
    path = write_blank_pdf(tmp_path / "huge.pdf", pages=5000)
    extracted: list[int] = []
    original = pypdf.PageObject.extract_text

    def counting_extract_text(self, *args, **kwargs):
        extracted.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pypdf.PageObject, "extract_text", counting_extract_text)
    error = rejected(iter_pdf_pages, path, limits=ExtractionLimits(max_pages=2000))
    assert error.code is RejectCode.TOO_MANY_PAGES
    assert "5000 pages" in error.reason
    assert extracted == []


def test_file_over_the_size_limit_is_rejected(tmp_path):
    path = write_text_pdf(tmp_path / "m.pdf", SIMPLE_PAGES)
    error = rejected(inspect_document, path, declared="application/pdf", limits=ExtractionLimits(max_bytes=100))
    assert error.code is RejectCode.TOO_LARGE


def test_extraction_time_budget_stops_between_pages(tmp_path):
    path = write_text_pdf(tmp_path / "m.pdf", SIMPLE_PAGES)
    assert rejected(iter_pdf_pages, path, limits=ExtractionLimits(max_seconds=0.0)).code is RejectCode.TIMEOUT


def test_pypdf_warnings_go_to_logging_not_stderr(tmp_path):
    data = text_pdf_bytes(SIMPLE_PAGES)
    # A wrong startxref offset: pypdf recovers by scanning the file and logs a warning about it.
    start = data.rindex(b"startxref\n") + len(b"startxref\n")
    damaged = data[:start] + b"999" + data[data.index(b"\n", start) :]
    path = tmp_path / "xref.pdf"
    path.write_bytes(damaged)
    script = "import sys; from pypdf import PdfReader; [p.extract_text() for p in PdfReader(sys.argv[1]).pages]"
    control = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True)
    assert control.stderr.strip(), "the damaged PDF no longer makes pypdf warn; the test proves nothing"
    ours = (
        "import sys; from knowledge.ingestion import iter_pdf_pages; "
        "pages = list(iter_pdf_pages(sys.argv[1])); print(len(pages))"
    )
    result = subprocess.run(
        [sys.executable, "-c", ours, str(path)], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert result.stdout.strip() == "2"
    assert result.stderr == ""


# -- declared type vs content ------------------------------------------------------------------


def test_pdf_uploaded_as_text_is_rejected(tmp_path):
    path = write_text_pdf(tmp_path / "notes.txt", SIMPLE_PAGES)
    error = rejected(inspect_document, path, declared="notes.txt")
    assert error.code is RejectCode.TYPE_MISMATCH
    assert "a PDF" in error.reason


def test_text_uploaded_as_pdf_is_rejected(tmp_path):
    path = tmp_path / "manual.pdf"
    path.write_text("1. Safety\n\nKeep clear.\n", encoding="utf-8")
    error = rejected(inspect_document, path, declared="manual.pdf")
    assert error.code is RejectCode.TYPE_MISMATCH
    assert "plain text" in error.reason


def test_unsupported_declared_type_is_rejected():
    assert rejected(declared_kind, "tool.exe").code is RejectCode.UNSUPPORTED_TYPE
    assert rejected(declared_kind, "application/octet-stream").code is RejectCode.UNSUPPORTED_TYPE


@pytest.mark.parametrize(
    ("declared", "kind"),
    [
        ("Manual.PDF", DocumentKind.PDF),
        ("application/pdf", DocumentKind.PDF),
        ("text/plain; charset=utf-8", DocumentKind.TEXT),
        ("guide.md", DocumentKind.MARKDOWN),
        ("uploads/2024/guide.docx", DocumentKind.DOCX),
        ("docx", DocumentKind.DOCX),
    ],
)
def test_declared_kind_reads_names_extensions_and_mime_types(declared, kind):
    assert declared_kind(declared) is kind


# -- DOCX --------------------------------------------------------------------------------------


def test_docx_becomes_markdown_like_pages(tmp_path):
    path = write_sample_docx(tmp_path / "guide.docx")
    info = inspect_document(path, declared="guide.docx")
    assert (info.kind, info.page_count) == (DocumentKind.DOCX, 2)
    first, second = list(iter_docx_pages(path))
    assert first.number == 1 and second.number == 2
    assert "# Pump unit service guide" in first.text
    assert "# Pressure loss" in first.text
    assert "1. Check the boost pressure (2 min).\n2. Clean the filter screen.\n3. Replace the nozzle set." in first.text
    assert "| Code | Meaning |\n| P-206 | Low pressure |\n| P-212 | Filter blocked |" in first.text
    assert second.text.startswith("# Storage")
    assert "- Flush with fresh water.\n- Fill with glycol." in second.text


def test_docx_zip_bomb_is_rejected_by_compression_ratio(tmp_path):
    path = write_zip_bomb_docx(tmp_path / "bomb.docx", member_bytes=20 * 1024 * 1024)
    error = rejected(iter_docx_pages, path)
    assert error.code is RejectCode.ZIP_BOMB
    assert "padding.bin" in error.reason


def test_docx_expanding_past_the_size_limit_is_rejected(tmp_path):
    path = write_zip_bomb_docx(tmp_path / "big.docx", member_bytes=3 * 1024 * 1024)
    limits = ExtractionLimits(max_uncompressed_bytes=2 * 1024 * 1024, max_compression_ratio=1e9)
    error = rejected(inspect_document, path, declared="big.docx", limits=limits)
    assert error.code is RejectCode.ZIP_BOMB
    assert "expands to 3 MiB" in error.reason


def test_zip_that_is_not_a_docx_is_a_type_mismatch(tmp_path):
    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    error = rejected(inspect_document, path, declared="archive.docx")
    assert error.code is RejectCode.TYPE_MISMATCH
    assert "zip archive" in error.reason


def test_password_protected_word_file_is_reported_as_encrypted(tmp_path):
    path = tmp_path / "locked.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    assert rejected(inspect_document, path, declared="locked.docx").code is RejectCode.ENCRYPTED


def test_damaged_docx_is_rejected_as_corrupt(tmp_path):
    path = tmp_path / "damaged.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<not xml")
        zf.writestr("word/document.xml", "<w:document")
    assert rejected(iter_docx_pages, path).code is RejectCode.CORRUPT


# -- text and Markdown -------------------------------------------------------------------------


def test_text_pages_split_on_form_feeds(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes("\ufeffFirst page\n\fSecond page ünïcode\n".encode())
    pages = list(iter_text_pages(path))
    assert [(p.number, p.text) for p in pages] == [(1, "First page"), (2, "Second page ünïcode")]


def test_utf16_text_with_bom_is_read(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes("Σελίδα ένα".encode("utf-16"))
    assert [p.text for p in iter_text_pages(path)] == ["Σελίδα ένα"]


def test_text_that_is_not_utf8_is_rejected(tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes(b"Cafe " * 3000 + b"Caf\xe9")  # invalid UTF-8 only after the sniffed head
    error = rejected(iter_document_pages, path, kind=DocumentKind.MARKDOWN)
    assert error.code is RejectCode.TYPE_MISMATCH
    assert "UTF-8" in error.reason


def test_legacy_encoded_text_is_rejected_at_upload(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes(b"Caf\xe9 cr\xe8me\n")
    error = rejected(inspect_document, path, declared="text/plain")
    assert error.code is RejectCode.TYPE_MISMATCH
    assert "UTF-8" in error.reason


def test_whitespace_only_text_is_rejected_as_empty(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text("   \n\n\f\n  ", encoding="utf-8")
    assert rejected(iter_text_pages, path).code is RejectCode.EMPTY


def test_every_lexicon_word_is_already_folded():
    """A list entry that fold() would change can never match folded text (e.g. a Greek final ς)."""
    from core.text import lexicon

    for name in ("WARNING_LABELS", "SYMPTOM_STEMS", "SYMPTOM_WORDS", "CODE_HEADERS"):
        for word in getattr(lexicon, name):
            assert lexicon.fold(word) == word, (name, word)
    for name in ("SAFETY_STARTS", "OUTCOME_CUES", "CONDITIONAL_STARTS"):
        for words in getattr(lexicon, name).values():
            for word in words:
                assert lexicon.fold(word) == word, (name, word)

"""Read operations of the knowledge app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from .ingestion import DocumentKind
from .ingestion.pdf import pdf_single_page
from .models import Document, DocumentStatus, Page


def documents_list() -> QuerySet[Document]:
    return Document.objects.annotate(chunk_count=Count("chunks")).order_by("-created_at")


def document_get(*, document_id: int) -> Document:
    return get_object_or_404(documents_list(), id=document_id)


@dataclass(frozen=True)
class PageContent:
    content: bytes
    content_type: str  # a MIME type with its charset where it has one
    file_name: str


def document_page_read(*, document_id: int, number: int) -> PageContent:
    """A page of a ready document as an operator reads it: a PDF's page as a one-page PDF, any
    other document's page as its extracted text.

    Only ready documents: a queued, failed or superseded upload (someone else's file, possibly not
    a manual at all) is a 404, indistinguishable from a document that does not exist.
    """
    page = get_object_or_404(
        Page.objects.select_related("document").only(
            "number", "text", "document__file", "document__file_name", "document__content_type"
        ),
        document_id=document_id,
        document__status=DocumentStatus.READY,
        number=number,
    )
    document = page.document
    stem = PurePath(document.file_name).stem or f"document-{document_id}"
    if document.content_type != DocumentKind.PDF:
        return PageContent(page.text.encode(), "text/plain; charset=utf-8", f"{stem}-p{number}.txt")
    # A file that was readable at ingestion and is not now is the server's fault: a logged 500.
    content = pdf_single_page(document.file.path, number)
    return PageContent(content, "application/pdf", f"{stem}-p{number}.pdf")

"""Knowledge API: search and document pages (any authenticated user), documents (staff; changes: knowledge editors)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import error_body

from .. import selectors, services
from ..metrics import SEARCH_ABSTENTIONS, SEARCH_SECONDS
from ..permissions import IsKnowledgeEditor, IsStaff
from ..search import chunks_hybrid_search
from .serializers import (
    DocumentOutputSerializer,
    DocumentUploadInputSerializer,
    SearchInputSerializer,
    SearchOutputSerializer,
)

# HTTP status for each upload rejection code.
_UPLOAD_STATUS = {"too_large": 413, "unsupported_type": 415, "type_mismatch": 415}
# A document's content never changes (a new revision is a new document), but whether it may be
# read does (superseded, deleted): an hour in the reader's own cache, never in a shared one.
PAGE_CACHE_CONTROL = "private, max-age=3600"


class KnowledgeSearchView(APIView):
    throttle_scope = "search"

    @extend_schema(request=SearchInputSerializer, responses=SearchOutputSerializer, operation_id="knowledge_search")
    def post(self, request):
        data = SearchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = chunks_hybrid_search(**data.validated_data)
        SEARCH_SECONDS.observe(result.took_ms / 1000)
        if result.abstained:
            SEARCH_ABSTENTIONS.inc()
        return Response(SearchOutputSerializer(result).data)


class DocumentListCreateView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    def get_permissions(self):
        return [IsKnowledgeEditor()] if self.request.method == "POST" else [IsStaff()]

    @extend_schema(responses=DocumentOutputSerializer(many=True), operation_id="knowledge_documents_list")
    def get(self, request):
        documents = selectors.documents_list()[:200]
        return Response(DocumentOutputSerializer(documents, many=True).data)

    @extend_schema(
        request={"multipart/form-data": DocumentUploadInputSerializer},
        responses={202: DocumentOutputSerializer, 200: DocumentOutputSerializer},
        operation_id="knowledge_documents_upload",
    )
    def post(self, request):
        data = DocumentUploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            outcome = services.document_upload(
                uploaded_file=values["file"],
                title=values.get("title", ""),
                doc_type=values["doc_type"],
                machine_models=values.get("machine_models") or [],
                language=values.get("language"),
                revision=values.get("revision", ""),
                uploaded_by=request.user,
            )
        except services.UploadRejected as exc:
            return Response(
                error_body(code=exc.code, message=exc.reason, request=request),
                status=_UPLOAD_STATUS.get(exc.code, status.HTTP_400_BAD_REQUEST),
            )
        document = selectors.document_get(document_id=outcome.document.id)
        # 202: accepted for ingestion; 200: identical content already known, nothing new queued.
        return Response(
            DocumentOutputSerializer(document).data,
            status=status.HTTP_202_ACCEPTED if outcome.created else status.HTTP_200_OK,
        )


class DocumentDetailView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(responses=DocumentOutputSerializer, operation_id="knowledge_documents_retrieve")
    def get(self, request, document_id: int):
        return Response(DocumentOutputSerializer(selectors.document_get(document_id=document_id)).data)


class _AnyAccept(DefaultContentNegotiation):
    """The page is not rendered by DRF; JSON renders the errors whatever the client accepts
    (a browser asking for application/pdf must get the 404 body, not a 406)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type


class DocumentPageView(APIView):
    content_negotiation_class = _AnyAccept

    @extend_schema(
        operation_id="knowledge_document_page",
        summary="A page of a ready document, for an operator to read (a cited page)",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="One PDF page"),
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="Another document's page, as text"),
            404: OpenApiResponse(description="No such ready document, or no such page (JSON error)"),
        },
    )
    def get(self, request, document_id: int, number: int):
        page = selectors.document_page_read(document_id=document_id, number=number)
        response = HttpResponse(page.content, content_type=page.content_type)
        response["Content-Disposition"] = content_disposition_header(False, page.file_name)
        response["Cache-Control"] = PAGE_CACHE_CONTROL
        return response

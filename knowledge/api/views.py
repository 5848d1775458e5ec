"""Knowledge API: search (any authenticated user), documents (staff; changes: knowledge editors)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
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

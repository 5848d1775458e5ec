"""The operator's data-subject rights (SPEC §4.1): export everything, erase everything."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors import erasure_request_get_for_user, user_export_json
from ..services import erasure_request_create
from .serializers import ErasureRequestOutputSerializer


class MyDataExportView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, operation_id="me_export")
    def get(self, request):
        # Streamed as it is read from the database: memory stays flat however much there is.
        response = StreamingHttpResponse(user_export_json(user=request.user), content_type="application/json")
        stamp = timezone.now().strftime("%Y%m%d")
        response["Content-Disposition"] = f'attachment; filename="autoboss-export-{stamp}.json"'
        response["Cache-Control"] = "no-store"
        return response


class MyDataEraseView(APIView):
    @extend_schema(request=None, responses={202: ErasureRequestOutputSerializer}, operation_id="me_erase")
    def post(self, request):
        # 202 either way: a new request is queued, or the one already under way is returned.
        erasure, _ = erasure_request_create(user=request.user, source="api")
        response = Response(ErasureRequestOutputSerializer(erasure).data, status=status.HTTP_202_ACCEPTED)
        response["Location"] = f"/api/v1/me/erase/{erasure.pk}/"
        return response


class MyErasureRequestView(APIView):
    @extend_schema(responses={200: ErasureRequestOutputSerializer}, operation_id="me_erase_status")
    def get(self, request, request_id):
        erasure = erasure_request_get_for_user(user=request.user, request_id=request_id)
        return Response(ErasureRequestOutputSerializer(erasure).data)

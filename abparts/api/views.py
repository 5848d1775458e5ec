"""Machine API: the machines the caller may see, and one machine's context (SPEC §3.5, §4.1).

Visibility follows ABParts (abparts/selectors.py): own organization, everything for super_admin,
nothing for a caller without an ABParts organization (a plain Django login, a demo token of a user
without an ABPartsAccount): an empty list and 404 on a context. When ABParts' database cannot be read
(unreachable, or not seeded in the embedded default) the answer is a 503 JSON error, not a 500.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import error_body
from core.identity import request_identity
from core.text.languages import normalize_language

from .. import selectors
from ..db import ABPartsUnavailable
from .serializers import MachineContextOutputSerializer, MachineListOutputSerializer

_UNAVAILABLE = OpenApiResponse(
    description="ABParts' machine data cannot be read right now (error code `abparts_unavailable`)."
)


def _unavailable(request, exc: ABPartsUnavailable) -> Response:
    if exc.reason == "missing":
        message = _("Machine data is not set up: ABParts' tables are missing (run `manage.py seed_demo`).")
    else:
        message = _("Machine data from ABParts is not available right now. Please try again later.")
    return Response(
        error_body(code="abparts_unavailable", message=message, request=request),
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
    )


class MachineListView(APIView):
    @extend_schema(
        responses={200: MachineListOutputSerializer(many=True), 503: _UNAVAILABLE}, operation_id="machines_list"
    )
    def get(self, request):
        try:
            machines = selectors.machines_list_for_identity(identity=request_identity(request))
        except ABPartsUnavailable as exc:
            return _unavailable(request, exc)
        return Response(MachineListOutputSerializer(machines, many=True).data)


class MachineContextView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "language",
                str,
                description="Language of the manuals' task texts in `suggestions` (en, el, ar, es, tr, nb; `no` = nb). "
                "Default: the caller's preferred language; English when no manual has that language.",
            )
        ],
        responses={200: MachineContextOutputSerializer, 503: _UNAVAILABLE},
        operation_id="machines_context",
    )
    def get(self, request, machine_id):
        identity = request_identity(request)
        language = normalize_language(request.query_params.get("language")) or getattr(
            identity, "preferred_language", None
        )
        try:
            machine = selectors.machine_get_for_identity(identity=identity, machine_id=machine_id)
            context = selectors.machine_context(machine=machine, language=language)
        except ABPartsUnavailable as exc:
            return _unavailable(request, exc)
        return Response(MachineContextOutputSerializer(context).data)

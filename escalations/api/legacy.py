"""The ABParts widget's escalation endpoint (SPEC §4.2): POST /api/ai/sessions/{session_id}/escalate.

Same service as the native endpoint, in the old service's shape, field for field. The widget treats
anything but 201 as a failure, so escalating a conversation again answers 201 with the ticket it
already has (the native endpoint says 200). Mounted at /api/ai/ and /ai/api/ai/
(escalations/api/legacy_urls.py); no token → 401 JSON, another operator's session → 404 JSON.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from assistant import selectors as chat_selectors
from core.api.errors import error_body
from core.text.phrases import phrase

from .. import services
from ..models import Priority, Reason
from .serializers import ExpertContactInfoSerializer, expert_contact_info, operator_message


@extend_schema_field(
    {"type": "string", "enum": [*Reason.values, "", None], "nullable": True, "description": "Default user_request."}
)
class _ReasonField(serializers.CharField):
    """The reasons as an inline enum: the schema said "any string" while anything else is a 400
    (found by the API fuzz)."""


class LegacyEscalateInput(serializers.Serializer):
    # Validated by hand, not a ChoiceField: the same choices as the native `reason` under another
    # name would make drf-spectacular name one enum twice (W001).
    escalation_reason = _ReasonField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=40,
        help_text="One of " + " | ".join(Reason.values) + "; default user_request.",
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_null=True)
    additional_notes = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=5000)

    def validate_escalation_reason(self, value: str | None) -> str:
        if not value:
            return Reason.USER_REQUEST
        if value not in Reason.values:
            raise serializers.ValidationError(f'"{value}" is not a valid choice.', code="invalid_choice")
        return value


class LegacyEscalateOutput(serializers.Serializer):
    ticket_id = serializers.CharField()
    ticket_number = serializers.CharField()
    status = serializers.CharField(help_text="open | in_progress | resolved | closed")
    message = serializers.CharField(help_text="For the operator, in the conversation's language.")
    expert_contact_info = ExpertContactInfoSerializer()


class LegacyEscalateView(APIView):
    @extend_schema(
        request=LegacyEscalateInput,
        responses={201: LegacyEscalateOutput},
        operation_id="legacy_ai_session_escalate",
    )
    def post(self, request, session_id):
        session = chat_selectors.session_get_for_user(user=request.user, session_id=session_id)
        data = LegacyEscalateInput(data=request.data)
        if not data.is_valid():
            body = error_body(
                code="invalid_request", message=phrase("invalid_request"), request=request, details=data.errors
            )
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        values = data.validated_data
        ticket, created = services.ticket_escalate(
            session=session,
            user=request.user,
            reason=values.get("escalation_reason") or Reason.USER_REQUEST,
            priority=values.get("priority") or None,
            operator_notes=values.get("additional_notes") or "",
        )
        info = expert_contact_info(ticket=ticket)
        body = {
            "ticket_id": str(ticket.id),
            "ticket_number": ticket.number,
            "status": ticket.status,
            "message": operator_message(ticket=ticket, created=created, contact_info=info),
            "expert_contact_info": info,
        }
        return Response(body, status=status.HTTP_201_CREATED)

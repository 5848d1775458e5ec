"""API views of the escalations app: one APIView per operation."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from assistant import selectors as chat_selectors

from .. import services
from ..models import Priority, Reason
from .serializers import (
    ExpertContactInfoSerializer,
    TicketSummarySerializer,
    expert_contact_info,
    operator_message,
)


class SessionEscalateView(APIView):
    """Hand the conversation to a human expert (SPEC §3.6): 201 with a new ticket, 200 with the existing one."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(choices=Reason.choices, default=Reason.USER_REQUEST)
        priority = serializers.ChoiceField(
            choices=Priority.choices,
            required=False,
            allow_null=True,
            help_text="Default medium; raised automatically (never lowered): safety concern, machine down.",
        )
        notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
        contact_preference = serializers.CharField(required=False, allow_blank=True, max_length=200)

    class OutputSerializer(serializers.Serializer):
        ticket = TicketSummarySerializer()
        created = serializers.BooleanField(help_text="False: the conversation already had this ticket.")
        expert_contact_info = ExpertContactInfoSerializer()
        message = serializers.CharField(help_text="For the operator, in the conversation's language.")

    @extend_schema(
        request=InputSerializer,
        responses={201: OutputSerializer, 200: OutputSerializer},
        operation_id="sessions_escalate",
    )
    def post(self, request, session_id):
        session = chat_selectors.session_get_for_user(user=request.user, session_id=session_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            ticket, created = services.ticket_escalate(
                session=session,
                user=request.user,
                reason=values["reason"],
                priority=values.get("priority") or None,
                operator_notes=values.get("notes", ""),
                contact_preference=values.get("contact_preference", ""),
            )
        except services.InvalidInput as exc:
            raise ValidationError({"reason": [str(exc)]}) from exc
        info = expert_contact_info(ticket=ticket)
        body = {
            "ticket": TicketSummarySerializer(ticket).data,
            "created": created,
            "expert_contact_info": info,
            "message": operator_message(ticket=ticket, created=created, contact_info=info),
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

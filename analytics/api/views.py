"""Analytics API: thumbs up/down on an assistant message (SPEC §4.1)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from assistant.selectors import message_get_for_user
from core.errors import InvalidInput

from ..services import message_feedback_record
from .serializers import FeedbackInputSerializer, FeedbackOutputSerializer


class MessageFeedbackView(APIView):
    @extend_schema(
        request=FeedbackInputSerializer, responses={201: FeedbackOutputSerializer}, operation_id="messages_feedback"
    )
    def post(self, request, message_id: int):
        message = message_get_for_user(user=request.user, message_id=message_id)
        data = FeedbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            feedback = message_feedback_record(user=request.user, message=message, **data.validated_data)
        except InvalidInput as exc:
            raise ValidationError({"message": [str(exc)]}) from exc
        return Response(FeedbackOutputSerializer(feedback).data, status=status.HTTP_201_CREATED)

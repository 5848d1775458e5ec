"""The endpoints the existing ABParts React widget calls (SPEC §4.2), served by the same chat engine.

They keep the old service's field names and shapes byte for byte, and fix what it got wrong: the
body's `user_id` is ignored (the bearer token says who is asking), a request without a token gets a
401 JSON error, and a failure is a `success: false` reply carrying a translated `response` — the
widget shows `response` and ignores `success`, so an error must still read well. Mounted at
/api/ai/... and at /ai/api/ai/... (the ABParts nginx prefix).
"""

from __future__ import annotations

import logging
import time
import uuid

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import error_body
from core.identity import request_identity
from core.text.languages import normalize_language
from core.text.phrases import phrase
from troubleshooting import selectors as run_selectors
from troubleshooting.models import Outcome, RunStatus

from .. import selectors, services
from ..engine.language import SUPPORTED
from ..engine.turn import TurnInput, TurnRejected, reply_language, run_turn_with_step
from ..models import ChatSession, Message
from .views import ChatTurnThrottleMixin

logger = logging.getLogger(__name__)


@extend_schema_field({"oneOf": [{"type": "number"}, {"type": "string", "maxLength": 64}], "nullable": True})
class LegacyScalar(serializers.Field):
    """A value the widget sends and we ignore (`user_id`, a history `timestamp`): a number or a short
    string, never an arbitrary JSON document (issue 11: every field is bounded)."""

    default_error_messages = {"invalid": "Expected a number or a string of at most {max_length} characters."}

    def __init__(self, *, max_length: int = 64, **kwargs):
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float | str) or len(str(data)) > self.max_length:
            self.fail("invalid", max_length=self.max_length)
        return data

    def to_representation(self, value):
        return value


# The widget's copy of the conversation is ignored (ours is on the server) but still parsed: bounded
# so that it cannot be made to cost more than a long conversation. A reply is at most a few thousand
# characters; 200 items is a hundred turns.
LEGACY_HISTORY_ITEMS = 200
LEGACY_HISTORY_ITEM_CHARS = 8000


class LegacyId(serializers.CharField):
    """An id the widget sends as a string (ABParts machine ids are UUIDs) or null. A number is
    refused rather than turned into the text of a float (found by the API fuzz: `-7.06e-108`)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class LegacyHistoryItem(serializers.Serializer):
    role = serializers.CharField(max_length=20)
    content = serializers.CharField(allow_blank=True, max_length=LEGACY_HISTORY_ITEM_CHARS)
    timestamp = LegacyScalar(required=False, allow_null=True)


class LegacyChatInput(serializers.Serializer):
    message = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=100_000)
    session_id = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=64)
    # Sent by the widget; never used as identity (SPEC §3.8).
    user_id = LegacyScalar(required=False, allow_null=True)
    machine_id = LegacyId(required=False, allow_null=True, allow_blank=True, max_length=64)
    language = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=10)
    # The widget's copy of the conversation. Ours is on the server (and survives a device change).
    conversation_history = LegacyHistoryItem(many=True, required=False, max_length=LEGACY_HISTORY_ITEMS)


class LegacyStepData(serializers.Serializer):
    step_id = serializers.CharField()
    step_number = serializers.IntegerField()
    estimated_duration = serializers.IntegerField(allow_null=True, help_text="Minutes; null when the manual says none.")
    confidence_score = serializers.FloatField(help_text="Observed success rate 0..1 on this model; 0 = untried.")
    requires_feedback = serializers.BooleanField()
    safety_warnings = serializers.ListField(child=serializers.CharField())
    expected_outcomes = serializers.ListField(child=serializers.CharField())


class LegacyChatOutput(serializers.Serializer):
    response = serializers.CharField()
    session_id = serializers.CharField(allow_null=True)
    model_used = serializers.CharField()
    tokens_used = serializers.IntegerField()
    response_time = serializers.FloatField(help_text="Seconds.")
    success = serializers.BooleanField()
    error_message = serializers.CharField(allow_null=True)
    message_type = serializers.ChoiceField(choices=["text", "diagnostic_step"])
    step_data = LegacyStepData(allow_null=True)


class LegacyStepFeedbackInput(serializers.Serializer):
    session_id = serializers.CharField(max_length=64)
    step_id = serializers.CharField(max_length=32)
    feedback = serializers.ChoiceField(choices=Outcome.values)
    language = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=10)
    user_id = LegacyScalar(required=False, allow_null=True)


class LegacyStepFeedbackOutput(serializers.Serializer):
    feedback_received = serializers.BooleanField()
    workflow_status = serializers.ChoiceField(choices=["in_progress", "completed", "escalated"])
    next_step = LegacyChatOutput(allow_null=True)
    completion_message = serializers.CharField(allow_null=True)


class LegacyThrottleMixin(ChatTurnThrottleMixin):
    def throttle_language(self, request) -> str:
        body = request.data if isinstance(request.data, dict) else {}
        return _language(body.get("language") if isinstance(body.get("language"), str) else None) or "en"

    def error_language(self, request) -> str | None:
        # A body refused unread (413) has no `language`: core/api/errors.py falls back further.
        body = request.data if isinstance(request.data, dict) else {}
        return _language(body.get("language") if isinstance(body.get("language"), str) else None)


class LegacyChatView(LegacyThrottleMixin, APIView):
    @extend_schema(request=LegacyChatInput, responses={200: LegacyChatOutput}, operation_id="legacy_ai_chat")
    def post(self, request):
        started = time.perf_counter()
        data = LegacyChatInput(data=request.data)
        if not data.is_valid():
            return _invalid(request, data.errors)
        values = data.validated_data
        language = _language(values.get("language"))
        session = _session_for(request, values)
        turn = TurnInput(
            session=session,
            text=values["message"],
            language=language,
            preferred_language=getattr(request_identity(request), "preferred_language", None),
        )
        try:
            message, shown = run_turn_with_step(turn)
        except TurnRejected as exc:
            return Response(_failure(exc.message, session, started))
        except Exception:
            logger.exception("legacy chat turn failed")
            return Response(_failure(phrase("error_generic", reply_language(turn)), session, started))
        return Response(chat_response(message, shown, session, started))


class LegacyStepFeedbackView(LegacyThrottleMixin, APIView):
    @extend_schema(
        request=LegacyStepFeedbackInput,
        responses={
            200: LegacyStepFeedbackOutput,
            404: OpenApiResponse(description="`session_id` or `step_id` is unknown or not the caller's."),
        },
        operation_id="legacy_ai_step_feedback",
    )
    def post(self, request):
        started = time.perf_counter()
        data = LegacyStepFeedbackInput(data=request.data)
        if not data.is_valid():
            return _invalid(request, data.errors)
        values = data.validated_data
        session = _own_session(request, values["session_id"])
        if session is None or not values["step_id"].isdigit():
            raise Http404
        step = run_selectors.run_step_get_for_session(session_id=session.pk, step_id=int(values["step_id"]))
        language = _language(values.get("language")) or session.language or step.run.language
        outcome = values["feedback"]
        turn = TurnInput(
            session=session,
            text=phrase(f"outcome_{outcome}", language),
            client_message_id=f"step-{step.id}-{outcome}",
            language=language,
            preferred_language=getattr(request_identity(request), "preferred_language", None),
            step_outcome=(step, outcome),
        )
        try:
            message, shown = run_turn_with_step(turn)
        except Exception:
            logger.exception("legacy step feedback failed")
            failure = _failure(phrase("error_generic", language), session, started)
            return Response(
                {"feedback_received": False, "workflow_status": "in_progress", "next_step": failure,
                 "completion_message": None}
            )  # fmt: skip
        run = run_selectors.run_latest(session_id=session.pk)
        if run is not None and run.status == RunStatus.ACTIVE:
            next_step = chat_response(message, shown, session, started)
            body = {"feedback_received": True, "workflow_status": "in_progress", "next_step": next_step,
                    "completion_message": None}  # fmt: skip
        else:
            ended = "completed" if run is not None and run.status == RunStatus.RESOLVED else "escalated"
            body = {"feedback_received": True, "workflow_status": ended, "next_step": None,
                    "completion_message": message.content}  # fmt: skip
        return Response(body)


def chat_response(message: Message, step: dict | None, session: ChatSession, started: float) -> dict:
    """The widget's reply body; `step` is the payload the turn built for the step it shows."""
    active = step is not None and step["requires_feedback"]
    return {
        "response": message.content,
        "session_id": str(session.id),
        "model_used": message.model_used,
        "tokens_used": message.prompt_tokens + message.completion_tokens,
        "response_time": round(time.perf_counter() - started, 3),
        "success": True,
        "error_message": None,
        "message_type": "diagnostic_step" if active else "text",
        "step_data": _step_data(step) if active else None,
    }


def _step_data(step: dict) -> dict:
    return {
        "step_id": str(step["id"]),
        "step_number": step["number"],
        "estimated_duration": step["estimated_minutes"],
        "confidence_score": step["success_rate"],
        "requires_feedback": step["requires_feedback"],
        "safety_warnings": step["safety_warnings"],
        "expected_outcomes": step["expected_outcomes"],
    }


def _failure(text: str, session: ChatSession | None, started: float) -> dict:
    return {
        "response": text,
        "session_id": str(session.id) if session is not None else None,
        "model_used": "",
        "tokens_used": 0,
        "response_time": round(time.perf_counter() - started, 3),
        "success": False,
        "error_message": text,
        "message_type": "text",
        "step_data": None,
    }


def _invalid(request, errors) -> Response:
    body = error_body(code="invalid_request", message=phrase("invalid_request"), request=request, details=errors)
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _language(code: str | None) -> str | None:
    normalized = normalize_language(code) if code else None
    return normalized if normalized in SUPPORTED else None


def _own_session(request, session_id: str | None) -> ChatSession | None:
    try:
        parsed = uuid.UUID(str(session_id))
    except ValueError:  # empty, null or not a UUID
        return None
    try:
        return selectors.session_get_for_user(user=request.user, session_id=parsed)
    except Http404:  # not theirs, or unknown
        return None


def _session_for(request, values: dict) -> ChatSession:
    """The conversation the widget continues, or a new one (first message, after a finished run, or
    an id that is not this user's — which is answered exactly like an unknown id)."""
    session = _own_session(request, values.get("session_id"))
    if session is not None:
        return session
    try:
        return services.session_start(
            user=request.user, machine_id=values.get("machine_id") or "", identity=request_identity(request)
        )
    except services.InvalidInput:
        # The widget's machine picker offered a machine this user may not see (or a stale one):
        # the conversation goes on without machine context rather than failing.
        return services.session_start(user=request.user)

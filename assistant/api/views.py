"""Chat API: sessions, messages (JSON or Server-Sent Events), step answers.

Each view validates, calls one service/selector or the engine, and serializes. The chat turn is
in assistant/engine/turn.py.
"""

from __future__ import annotations

import json
import logging

from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import error_body
from core.api.schema import sse_event_schema
from core.identity import request_identity
from core.text.languages import language_or_fallback
from core.text.phrases import phrase
from knowledge.validation import MachineModelsError
from troubleshooting import selectors as run_selectors

from .. import selectors, services
from ..engine.turn import TurnInput, TurnRejected, check_text, drain, run_turn_with_step, turn_events
from ..models import ChatSession
from .renderers import EventStreamRenderer
from .serializers import (
    MessageCreateInputSerializer,
    MessageOutputSerializer,
    SessionCreateInputSerializer,
    SessionDetailOutputSerializer,
    SessionOutputSerializer,
    SessionResolveInputSerializer,
    SessionResolveOutputSerializer,
    StepFeedbackInputSerializer,
)

logger = logging.getLogger(__name__)

_SSE_DESCRIPTION = (
    "With `Accept: text/event-stream`: events `token` {text}, `reset` (drop the text so far), `citations` "
    "{citations}, `step` {step}, `done` {message} and `error` {code, message}."
)


# The JSON reply, or (Accept: text/event-stream or ?format=sse) the stream; errors before a stream
# starts come as one SSE `error` event in the stream's type (core/api/schema.py documents them so).
_TURN_RESPONSES = {
    (201, "application/json"): MessageOutputSerializer,
    (200, "text/event-stream"): OpenApiResponse(
        sse_event_schema("token", "reset", "citations", "step", "done", "error"), description=_SSE_DESCRIPTION
    ),
}


class SessionListCreateView(APIView):
    @extend_schema(responses=SessionOutputSerializer(many=True), operation_id="sessions_list")
    def get(self, request):
        sessions = selectors.sessions_for_user(user=request.user)[:100]
        return Response(SessionOutputSerializer(sessions, many=True).data)

    @extend_schema(
        request=SessionCreateInputSerializer, responses={201: SessionOutputSerializer}, operation_id="sessions_create"
    )
    def post(self, request):
        data = SessionCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            session = services.session_start(
                user=request.user,
                machine_id=values.get("machine_id") or "",
                machine_model=values.get("machine_model") or "",
                language=values.get("language") or None,
                identity=request_identity(request),
            )
        except (services.InvalidInput, MachineModelsError) as exc:
            # Fixed words per field, in the caller's language: an exception's text is not an answer
            # (it quotes the input, and a ValueError from deeper down could say anything; issue 11).
            language = values.get("language") or getattr(request_identity(request), "preferred_language", None)
            message = str(exc)
            if isinstance(exc, MachineModelsError):
                field, key = "machine_model", "unknown_machine_model"
            elif message.startswith("Unknown machine"):
                field, key = "machine_id", "unknown_machine"
            else:
                field, key = "language", "unsupported_language"
            raise ValidationError({field: [phrase(key, language_or_fallback(language))]}) from exc
        return Response(SessionOutputSerializer(session).data, status=status.HTTP_201_CREATED)


class SessionDetailView(APIView):
    @extend_schema(responses=SessionDetailOutputSerializer, operation_id="sessions_retrieve")
    def get(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        session.messages_list = list(selectors.session_messages(session=session))
        data = SessionDetailOutputSerializer(session, context={"request": request})
        payload = data.data
        payload["messages"] = MessageOutputSerializer(session.messages_list, many=True).data
        return Response(payload)


class ChatTurnThrottleMixin:
    """The chat turn budget, with the 429 written in the conversation's language, not the browser's."""

    throttle_scope = "chat"

    def throttle_language(self, request) -> str:
        return _session_language(request, self.kwargs.get("session_id"))

    def error_language(self, request) -> str | None:
        """The language of an API error of this view (core/api/errors.py): the conversation's."""
        return _session_language(request, self.kwargs.get("session_id"))

    def throttled(self, request, wait):
        seconds = max(1, int(wait or 1))
        raise Throttled(wait=wait, detail=phrase("rate_limited", self.throttle_language(request), seconds=seconds))


class MessageCreateView(ChatTurnThrottleMixin, APIView):
    """Post an operator message; the reply comes back as JSON, or as SSE with Accept: text/event-stream."""

    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(
        request=MessageCreateInputSerializer,
        responses=_TURN_RESPONSES,
        operation_id="sessions_messages_create",
    )
    def post(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        data = MessageCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        identity = request_identity(request)
        turn = TurnInput(
            session=session,
            text=values["content"],
            client_message_id=values.get("client_message_id") or "",
            language=values.get("language") or None,
            preferred_language=getattr(identity, "preferred_language", None),
        )
        return turn_response(request, turn)


def turn_response(request, turn: TurnInput):
    """Run a chat turn and answer with the stored reply (201 JSON) or stream it (SSE)."""
    try:
        # Validated once, here: the engine takes the checked text instead of validating it again.
        checked = check_text(turn)
    except TurnRejected as exc:
        return Response(error_body(code=exc.code, message=exc.message, request=request), status=exc.status)
    language = checked.language
    # `?format=sse` selects the stream renderer as much as the Accept header does: answering it with
    # the JSON reply pushed a 201 body through that renderer, which cannot encode it (a 500 after
    # the turn was stored; found by the API fuzz).
    streamed = isinstance(getattr(request, "accepted_renderer", None), EventStreamRenderer)
    if streamed or "text/event-stream" in request.headers.get("Accept", ""):
        response = StreamingHttpResponse(
            _sse(turn_events(turn, checked=checked), language), content_type="text/event-stream"
        )
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"  # nginx: pass events through at once
        return response
    try:
        message, step = run_turn_with_step(turn, checked=checked)
    except TurnRejected as exc:
        return Response(error_body(code=exc.code, message=exc.message, request=request), status=exc.status)
    except Exception:
        # Never a stack trace, and never an English error in a Greek conversation.
        logger.exception("chat turn failed")
        body = error_body(code="server_error", message=phrase("error_generic", language), request=request)
        return Response(body, status=status.HTTP_500_INTERNAL_SERVER_ERROR)
    # The step as the turn built it (MessageOutputSerializer would build it again from the rows).
    data = MessageOutputSerializer(message, context={"steps": {message.id: step}}).data
    response = Response(data, status=status.HTTP_201_CREATED)
    # Lets clients and bench/chat_load.py separate our own time from the LLM's.
    response["Server-Timing"] = f"turn;dur={message.latency_ms}, llm;dur={message.llm_latency_ms}"
    return response


def _sse(events, language: str):
    """Serialize engine events as Server-Sent Events; store the turn even if the client leaves."""
    try:
        step = None
        for event in events:
            name = event["event"]
            if name == "step":
                step = event["step"]
            if name == "done":
                message = event["message"]
                # The `step` event's payload, not a second one built from the rows.
                payload = {"message": MessageOutputSerializer(message, context={"steps": {message.id: step}}).data}
            else:
                payload = {k: v for k, v in event.items() if k != "event"}
            yield f"event: {name}\ndata: {json.dumps(payload, ensure_ascii=False, cls=DjangoJSONEncoder)}\n\n"
    except Exception:
        logger.exception("chat stream failed")
        error = {"code": "server_error", "message": phrase("error_generic", language)}
        yield f"event: error\ndata: {json.dumps(error, ensure_ascii=False)}\n\n"
    finally:
        # Reached on normal end, on error, and when the client disconnects (GeneratorExit).
        try:
            drain(events)
        except Exception:
            logger.exception("could not finish a chat turn after the client left")


def _session_language(request, session_id) -> str:
    language = (
        ChatSession.objects.filter(pk=session_id, user=request.user).values_list("language", flat=True).first()
        if session_id and request.user.is_authenticated
        else None
    )
    return language or getattr(request_identity(request), "preferred_language", None) or "en"


class StepFeedbackView(ChatTurnThrottleMixin, APIView):
    """The operator's answer to a troubleshooting step; the reply shows the next step or ends the run."""

    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(
        request=StepFeedbackInputSerializer,
        responses=_TURN_RESPONSES,
        operation_id="sessions_steps_feedback",
    )
    def post(self, request, session_id, step_id: int):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        step = run_selectors.run_step_get_for_session(session_id=session.pk, step_id=step_id)
        data = StepFeedbackInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        identity = request_identity(request)
        language = session.language or step.run.language
        turn = TurnInput(
            session=session,
            # The transcript shows the operator's words, or the outcome in their language.
            text=values["note"].strip() or phrase(f"outcome_{values['outcome']}", language),
            # A retried request (same step, same outcome) replays the stored reply instead of a new turn.
            client_message_id=values.get("client_message_id") or f"step-{step.id}-{values['outcome']}",
            language=language,
            preferred_language=getattr(identity, "preferred_language", None),
            step_outcome=(step, values["outcome"]),
            note=values["note"].strip(),
        )
        return turn_response(request, turn)


class SessionResolveView(APIView):
    @extend_schema(
        request=SessionResolveInputSerializer,
        responses={200: SessionResolveOutputSerializer},
        operation_id="sessions_resolve",
    )
    def post(self, request, session_id):
        session = selectors.session_get_for_user(user=request.user, session_id=session_id)
        data = SessionResolveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            session, card = services.session_resolve(session=session, user=request.user, **data.validated_data)
        except services.InvalidInput as exc:
            raise ValidationError({"save_fix": [str(exc)]}) from exc
        return Response({"session": SessionOutputSerializer(session).data, "fix_card_id": card.id if card else None})

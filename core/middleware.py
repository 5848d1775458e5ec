"""One structured log line per request, with a request id echoed as X-Request-ID, and the whole
request's time in `Server-Timing: request;dur=…` (issue 11: the figure clients and benchmarks read).

It is the first middleware, so the time runs from the first middleware to the response. A streamed
response (the chat's Server-Sent Events) sends its headers before its body exists: its header
carries the time to the headers, and the log line waits for the last byte of the stream.

RequestBodyLimitMiddleware refuses a body over REQUEST_MAX_BODY_BYTES before anything reads it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.conf import settings
from django.http import FileResponse, JsonResponse
from django.utils import translation

from .api.errors import error_body
from .api.parsers import content_length
from .logging import log_context_reset, log_context_set, pseudonymize
from .text.languages import language_or_fallback
from .text.phrases import phrase

logger = logging.getLogger("autoboss.request")

# A caller (nginx, ABParts) may pass its own id; accept only a short, harmless token.
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = log_context_set(request_id=request_id)
        started = time.perf_counter()
        try:
            try:
                response = self.get_response(request)
            except BaseException:  # escaped every handler: the server answers 500
                _log_request(request, 500, round((time.perf_counter() - started) * 1000, 2))
                raise
            elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
            response["X-Request-ID"] = request_id
            timing = f"request;dur={elapsed_ms}"
            earlier = response.get("Server-Timing")
            response["Server-Timing"] = f"{earlier}, {timing}" if earlier else timing
            if response.streaming and not isinstance(response, FileResponse):
                response.streaming_content = _logged_when_done(response.streaming_content, request, response, started)
            else:
                _log_request(request, response.status_code, elapsed_ms)
            return response
        finally:
            log_context_reset(token)


def _logged_when_done(chunks, request, response, started: float):
    """The stream, passed through; the request is logged once its last chunk went out (or the
    client left), with the request id of the request, not of whatever the thread serves next."""
    try:
        yield from chunks
    finally:
        token = log_context_set(request_id=request.request_id)
        try:
            _log_request(request, response.status_code, round((time.perf_counter() - started) * 1000, 2))
        finally:
            log_context_reset(token)


def _log_request(request, status: int, duration_ms: float) -> None:
    if request.path_info in _QUIET_PATHS:
        return
    user = getattr(request, "user", None)
    extra = {
        "event": "http_request",
        "method": request.method,
        "path": request.path,
        "status": status,
        "duration_ms": duration_ms,
        "user": pseudonymize(user.pk) if user is not None and user.is_authenticated else None,
    }
    level = logging.ERROR if status >= 500 else logging.INFO
    logger.log(level, "%s %s %s %.1fms", request.method, request.path, status, duration_ms, extra=extra)


# Probes hit these every few seconds; logging each one drowns the useful lines.
_QUIET_PATHS = frozenset({"/health/live", "/metrics"})


class RequestBodyLimitMiddleware:
    """413 for a body over REQUEST_MAX_BODY_BYTES, whatever its content type, before it is read.

    The API's parsers have tighter caps per content type and answer in the conversation's language
    (core/api/parsers.py); this is the backstop for everything else (types no parser reads, the
    admin), so it can only go by the request's Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if content_length(request.META) > settings.REQUEST_MAX_BODY_BYTES:
            language = language_or_fallback(translation.get_language_from_request(request))
            body = error_body(code="request_too_large", message=phrase("request_too_large", language), request=request)
            return JsonResponse(body, status=413)
        return self.get_response(request)

"""One structured log line per request, with a request id echoed as X-Request-ID; the body cap."""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.conf import settings
from django.http import JsonResponse
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
        response = None
        try:
            response = self.get_response(request)
            return response
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 2)
            status = response.status_code if response is not None else 500
            if response is not None:
                response["X-Request-ID"] = request_id
            user = getattr(request, "user", None)
            user_id = pseudonymize(user.pk) if user is not None and user.is_authenticated else None
            extra = {
                "event": "http_request",
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": duration_ms,
                "user": user_id,
            }
            if request.path_info not in _QUIET_PATHS:
                level = logging.ERROR if status >= 500 else logging.INFO
                logger.log(level, "%s %s %s %.1fms", request.method, request.path, status, duration_ms, extra=extra)
            log_context_reset(token)


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

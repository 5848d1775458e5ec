"""One JSON error shape for every API response that is not a success.

    {"error": {"code": "not_found", "message": "...", "details": {...}}, "request_id": "..."}

No exception text ever reaches the client; unexpected errors are logged with the request id and
answered with a generic 500 body.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..identity import request_identity
from ..text.languages import language_or_fallback
from ..text.phrases import phrase
from .parsers import RequestTooLarge

logger = logging.getLogger(__name__)


def error_body(*, code: str, message: str, request: HttpRequest | None, details: object = None) -> dict:
    body: dict = {"error": {"code": code, "message": str(message)}}
    if details:
        body["error"]["details"] = details
    body["request_id"] = getattr(request, "request_id", None)
    return body


def api_exception_handler(exc: Exception, context: dict) -> Response:
    request = context.get("request")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled API error", extra={"event": "api_error"})
        return Response(
            error_body(code="server_error", message=_("Something went wrong on our side."), request=request),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.ParseError | RequestTooLarge):
        # Fixed words in the conversation's language: a parser's message quotes the body and the
        # decoder's internals ("Expecting value: line 1 column 17").
        key = "request_too_large" if isinstance(exc, RequestTooLarge) else "invalid_request"
        code = "request_too_large" if isinstance(exc, RequestTooLarge) else "parse_error"
        response.data = error_body(code=code, message=phrase(key, _error_language(context)), request=request)
    elif isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            code="invalid", message=_("The request is not valid."), request=request, details=response.data
        )
    else:
        detail = getattr(exc, "detail", "")
        code = detail.code if hasattr(detail, "code") else getattr(exc, "default_code", "error")
        details = None
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            details = {"retry_after_seconds": int(exc.wait)}
        response.data = error_body(code=str(code), message=str(detail), request=request, details=details)
    return response


def _error_language(context: dict) -> str:
    """The language of an error: the view's conversation (`error_language(request)`, chat views),
    else the caller's preferred language, else their Accept-Language, else English."""
    request = context.get("request")
    if request is None:
        return language_or_fallback(None)
    hook = getattr(context.get("view"), "error_language", None)
    language = hook(request) if hook is not None else None
    language = language or getattr(request_identity(request), "preferred_language", None)
    return language_or_fallback(language or translation.get_language_from_request(request))


def api_not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    return JsonResponse(error_body(code="not_found", message=_("Not found."), request=request), status=404)


def handler404(request: HttpRequest, exception: Exception | None = None):
    if _wants_json(request):
        return api_not_found(request)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler500(request: HttpRequest):
    if _wants_json(request):
        return JsonResponse(
            error_body(code="server_error", message=_("Something went wrong on our side."), request=request),
            status=500,
        )
    from django.views.defaults import server_error

    return server_error(request)


def _wants_json(request: HttpRequest) -> bool:
    path = request.path_info
    # /ai/api/ is the legacy widget's URL space behind ABParts' nginx prefix (config/urls.py).
    return path.startswith(("/api/", "/ai/api/", "/health/")) or "application/json" in request.headers.get("Accept", "")

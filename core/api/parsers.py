"""DRF parsers that refuse a body over the cap before reading it (issue 11, hole 3).

DRF parses JSON (and urlencoded forms) straight from the request stream, so Django's
DATA_UPLOAD_MAX_MEMORY_SIZE never applies: without a cap a client could make a worker read and
decode any amount. The length is the request's Content-Length (Django reads no further than it, and
nothing without it). The cap is API_MAX_BODY_BYTES. Multipart (document uploads) streams files to
disk and is bounded by core.middleware.RequestBodyLimitMiddleware, which refuses anything over
REQUEST_MAX_BODY_BYTES whatever its type, before any view runs.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions, parsers


class RequestTooLarge(exceptions.APIException):
    """413. core.api.errors words it in the conversation's language."""

    status_code = 413
    default_code = "request_too_large"
    default_detail = "The request is too large."


def content_length(meta) -> int:
    try:
        return max(0, int(meta.get("CONTENT_LENGTH") or 0))
    except (TypeError, ValueError):
        return 0


class _Bounded:
    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        if request is not None and content_length(request.META) > settings.API_MAX_BODY_BYTES:
            raise RequestTooLarge()
        return super().parse(stream, media_type, parser_context)


class BoundedJSONParser(_Bounded, parsers.JSONParser):
    pass


class BoundedFormParser(_Bounded, parsers.FormParser):
    pass

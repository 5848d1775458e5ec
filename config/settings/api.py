"""Django REST framework and the OpenAPI schema."""

from __future__ import annotations

from .environment import env

# Largest JSON or urlencoded API body (bytes); larger is a 413 before it is read (core/api/parsers.py).
# A chat turn is a few KB; the legacy widget's whole history (200 items of 8 000 characters) fits.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=4 * 1024 * 1024)

REST_FRAMEWORK = {
    # Bearer first: its WWW-Authenticate header makes a missing token a 401 (not a 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "assistant.auth.drf.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only, bounded; the one upload view declares its multipart parser itself (bounded by
    # REQUEST_MAX_BODY_BYTES). Forms cannot say null or carry a list of objects, so a form-encoded
    # chat body could not mean what the schema promised (found by the API fuzz); DRF reads JSON from
    # the stream, where DATA_UPLOAD_MAX_MEMORY_SIZE does not apply (issue 11).
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.BoundedJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        # Views that set `throttle_scope` get their own, tighter per-user budget.
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    # Per-user defaults; individual views (chat turns, uploads) declare tighter scopes.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/min"),
        "user": env.str("THROTTLE_USER", default="600/min"),
        "search": env.str("THROTTLE_SEARCH", default="120/min"),
        # Chat turns per operator: generous for a person typing, tight for a runaway client.
        "chat": env.str("THROTTLE_CHAT", default="30/min"),
    },
    "EXCEPTION_HANDLER": "core.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "AutoBoss Assistant API",
    "DESCRIPTION": (
        "Troubleshooting assistant for AutoBoss net-cleaning machines. "
        'Errors share one JSON shape: {"error": {"code", "message", "details"}, "request_id"}.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "status"; name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "DocumentStatusEnum": "knowledge.models.DocumentStatus",
        "SessionStatusEnum": "assistant.models.SessionStatus",
        "LanguageTagEnum": "core.api.schema.LANGUAGE_TAGS",
    },
    # Swagger UI assets are served by us (drf-spectacular-sidecar): no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The legacy widget endpoints are also mounted under /ai/ (ABParts' nginx prefix); document them once.
    "PREPROCESSING_HOOKS": ["core.api.schema.drop_prefixed_duplicates"],
    # The error responses every operation can give (drf-spectacular documents successes only).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.document_error_responses",
    ],
}

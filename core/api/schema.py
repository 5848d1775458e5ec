"""OpenAPI schema hooks and shared schema pieces (drf-spectacular)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.text.languages import LANGUAGES

# A language the server checks: the six codes (and `no`), null or empty for "not chosen". Regional
# tags and aliases (`nb-NO`, `en_GB`, `norwegian`) are accepted too but not listed: a schema that
# said "any string" was a lie for the fields that refuse `fr` (found by the API fuzz).
LANGUAGE_TAGS = [*LANGUAGES, "no"]
# (Null is allowed where the field allows it: drf-spectacular adds it from allow_null.)
LANGUAGE_TAG_SCHEMA = {
    "type": "string",
    "enum": [*LANGUAGE_TAGS, ""],
    "description": "en, el, ar, es, tr, nb (`no` = nb); regional tags such as nb-NO are read as their language.",
}


@extend_schema_field(LANGUAGE_TAG_SCHEMA)
class LanguageTagField(serializers.CharField):
    """A language tag field whose schema lists the languages; the value is checked where it is read."""


def sse_event_schema(*events: str) -> dict:
    """One Server-Sent Event as schemathesis and OpenAPI 3.2 (`itemSchema`) read a stream: its name, its JSON."""
    return {
        "type": "object",
        "properties": {"event": {"type": "string", "enum": list(events)}, "data": {"type": "string"}},
        "required": ["event", "data"],
    }


# Mount points that repeat other URLs under a reverse-proxy prefix (config/urls.py).
DUPLICATE_PREFIXES = ("/ai/",)


def drop_prefixed_duplicates(endpoints, **kwargs):
    """Leave out the /ai/... copies of the legacy endpoints: same views, same operation ids."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith(DUPLICATE_PREFIXES)]


# The error shape of core.api.errors, for every status an operation can answer with an error.
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error (core/api/errors.py). `message` is for people; `code` is for programs.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"description": "Per-field errors of a 400, `retry_after_seconds` of a 429."},
            },
            "required": ["code", "message"],
        },
        "request_id": {"type": "string", "nullable": True, "description": "Also the X-Request-ID header."},
    },
    "required": ["error", "request_id"],
}

_ERRORS = {
    400: "The request is not valid (malformed JSON, a missing or wrong field).",
    401: "No bearer token, or one that is unknown, revoked or expired (with `WWW-Authenticate: Bearer`).",
    403: "Authenticated but not allowed (staff-only operation, or a session login without its CSRF token).",
    404: "No such object, or one that belongs to someone else (never told apart).",
    413: "The request or one of its fields is too large.",
    415: "The request body's content type is not accepted here.",
    429: "Too many requests; `details.retry_after_seconds` says when to try again.",
    503: "A service the request needs (token store, ABParts' data) is unreachable for now.",
}


# A character Python's str.strip() keeps (as JSON Schema regexes read \s, which differs on a few).
NON_BLANK_PATTERN = r"[^\s\x1c-\x1f\x85]|\ufeff"


def _require_non_blank_text(request_body: dict, result: dict) -> None:
    """A text field that may not be blank must hold more than spaces: DRF trims it first (and then
    refuses "  " as blank), so `minLength: 1` alone promised that "  " was fine (found by the API fuzz)."""
    schemas = result["components"]["schemas"]
    seen: set[str] = set()

    def visit(schema: dict) -> None:
        if not isinstance(schema, dict):
            return
        ref = schema.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                visit(schemas.get(name, {}))
            return
        if schema.get("type") == "string" and schema.get("minLength") == 1 and "pattern" not in schema:
            schema["pattern"] = NON_BLANK_PATTERN
        for key in ("properties",):
            for child in schema.get(key, {}).values():
                visit(child)
        for key in ("items", "additionalProperties"):
            visit(schema.get(key))
        for key in ("allOf", "anyOf", "oneOf"):
            for child in schema.get(key, []):
                visit(child)

    for media in request_body.get("content", {}).values():
        visit(media.get("schema", {}))


def document_error_responses(result, generator, request, public):
    """Document the errors every operation can answer with, which drf-spectacular leaves out.

    Without them the schema says a session call can only answer 200, and a client generated from it
    (or schemathesis, config/tests/test_api_fuzz.py) is right to call every 401/404/429 a lie. Which
    errors apply follows from the operation: a body can be invalid, too large or of the wrong type;
    a path id can name nothing; an authenticated operation can be refused; anything is throttled.
    """
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            parameters = operation.get("parameters", [])
            statuses = {429}
            if any(operation.get("security", [])):  # [{}] (or none): anonymous allowed
                statuses |= {401, 403, 503}
            if any(p.get("in") == "path" for p in parameters):
                statuses.add(404)
            if "requestBody" in operation or any(p.get("in") == "query" for p in parameters):
                statuses.add(400)
            if "requestBody" in operation:
                statuses |= {413, 415}
                _require_non_blank_text(operation["requestBody"], result)
            responses = operation.setdefault("responses", {})
            content = dict(reference)
            if any("text/event-stream" in r.get("content", {}) for r in responses.values()):
                # A streaming operation answers its errors as one SSE `error` event when asked to stream.
                content["text/event-stream"] = {"schema": sse_event_schema("error")}
            for code in sorted(statuses):
                existing = responses.get(str(code))
                if existing is None:
                    responses[str(code)] = {"description": _ERRORS[code], "content": content}
                elif "content" not in existing:  # described by the view, without the body
                    existing["content"] = content
    return result

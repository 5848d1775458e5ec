"""Lets DRF content negotiation accept `Accept: text/event-stream` on the messages endpoint.

Successful streams bypass DRF (StreamingHttpResponse); this renderer only has to render the
error responses (400/404/429...) that happen before a stream starts — as one SSE `error` event.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework.renderers import BaseRenderer


class EventStreamRenderer(BaseRenderer):
    media_type = "text/event-stream"
    format = "sse"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        payload = data.get("error", data) if isinstance(data, dict) else data
        # DjangoJSONEncoder: whatever reaches a renderer (ids, times) is encoded, never a 500.
        return f"event: error\ndata: {json.dumps(payload, ensure_ascii=False, cls=DjangoJSONEncoder)}\n\n".encode()

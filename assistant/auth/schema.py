"""OpenAPI description of the bearer token (drf-spectacular finds it through this extension)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "assistant.auth.drf.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An ABParts session token, or a demo token from `manage.py demo_token <user>`.",
        }

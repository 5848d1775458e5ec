"""Browser-facing security: the Content-Security-Policy of every page and the cross-origin rules
for the widget's host pages (SPEC §3.8, §3.9; docs/operations.md "Headers and origins").
"""

from __future__ import annotations

from csp.constants import NONE, SELF

from .environment import env

# One policy for every response (django-csp 4): everything from this origin and nothing inline, so
# an injected <script> or inline handler cannot run. The admin, the demo page and the widget work
# under it (their styles and scripts are files); a view that needs more says so with
# csp.decorators.csp_update (only the API docs page: Swagger UI's template has an inline <style>).
# blob: lets the widget show a cited PDF page it fetched with the bearer header; data: covers the
# small inline icons of the admin and Swagger UI.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "frame-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# The widget is embedded in other origins' pages (ABParts): those origins, and only those, may call
# the API from a browser. Bearer tokens travel in a header, never in cookies, so credentials stay
# off (a cross-origin page can never ride on an admin's session cookie).
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/(?:ai/)?api/.*$"
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_HEADERS = ["accept", "accept-language", "authorization", "content-type", "x-request-id"]
CORS_EXPOSE_HEADERS = ["retry-after", "server-timing", "x-request-id"]
CORS_PREFLIGHT_MAX_AGE = 3600

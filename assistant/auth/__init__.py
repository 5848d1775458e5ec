"""API authentication: pluggable bearer-token backends chosen by settings.API_TOKEN_BACKENDS.

* `drf.BearerTokenAuthentication` parses `Authorization: Bearer <token>` and asks the backends.
* `demo.DemoTokenBackend` accepts tokens printed by `manage.py demo_token` (hashed ApiToken rows).
* The ABParts session-store backend (issue 5) subclasses `TokenBackend` and uses its `cached()` hook.

Model-importing modules (demo, services, selectors) are not imported here, so importing this
package is safe before the app registry is ready.
"""

from __future__ import annotations

from .backends import authenticate_token, get_token_backends, reset_token_backends
from .base import AuthenticatedIdentity, TokenBackend, TokenBackendUnavailable, token_digest

__all__ = [
    "AuthenticatedIdentity",
    "TokenBackend",
    "TokenBackendUnavailable",
    "authenticate_token",
    "get_token_backends",
    "reset_token_backends",
    "token_digest",
]

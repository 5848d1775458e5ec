"""DRF authentication with `Authorization: Bearer <token>`, resolved by the configured token backends.

REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] lists this class FIRST: DRF takes the
WWW-Authenticate header of a 401 from the first class, and without one it answers 403 instead.
"""

from __future__ import annotations

import logging
import re

from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication

from core.text.phrases import phrase

from .backends import authenticate_token
from .base import AuthenticatedIdentity, TokenBackendUnavailable

logger = logging.getLogger(__name__)

# RFC 6750 b64token. Anything else (spaces, quotes, non-ASCII) cannot be a token of ours or ABParts'.
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
# Ours are 43 characters and ABParts' similar; a bound keeps junk out of hashing and cache keys.
MAX_TOKEN_LENGTH = 512


class AuthenticationUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "authentication_unavailable"

    def __init__(self):
        super().__init__(detail=phrase("service_unavailable"))


def _rejected(reason: str) -> exceptions.AuthenticationFailed:
    """Operators read one translated sentence; the precise reason is for the log."""
    logger.info("bearer authentication rejected: %s", reason, extra={"event": "auth_rejected"})
    return exceptions.AuthenticationFailed(phrase("not_authenticated"))


class BearerTokenAuthentication(BaseAuthentication):
    """Sets request.user to the local user and request.auth to the AuthenticatedIdentity."""

    realm = "api"

    def authenticate(self, request) -> tuple[object, AuthenticatedIdentity] | None:
        parts = request.META.get("HTTP_AUTHORIZATION", "").split()
        # No header, or another scheme (e.g. Basic added by a proxy): not ours; the next class decides.
        if not parts or parts[0].lower() != "bearer":
            return None
        if len(parts) == 1:
            raise _rejected("no token after 'Bearer'")
        if len(parts) > 2:
            raise _rejected("the token contains spaces")
        token = parts[1]
        if len(token) > MAX_TOKEN_LENGTH or not _TOKEN.fullmatch(token):
            raise _rejected("not a bearer token (length or characters)")
        try:
            identity = authenticate_token(token)
        except TokenBackendUnavailable:
            # Never log the token (not even a prefix): it is a credential.
            logger.warning("token backend unavailable", extra={"event": "auth_backend_unavailable"})
            raise AuthenticationUnavailable() from None
        if identity is None:
            raise _rejected("unknown, revoked or expired token, or inactive user")
        return identity.user, identity

    def authenticate_header(self, request) -> str:
        return f'Bearer realm="{self.realm}"'

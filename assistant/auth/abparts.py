"""ABParts session tokens: the opaque bearer tokens ABParts issues, resolved in ABParts' Redis.

ABParts keeps one JSON record per login under `session:<token>` (shared/reference/abparts.md,
"Authentication"). This backend reads it, rejects inactive or expired sessions, and maps the ABParts
user to a local Django user "mirror" keyed by the ABParts user id:

    API_TOKEN_BACKENDS = {
        "abparts": {
            "BACKEND": "assistant.auth.abparts.ABPartsSessionBackend",
            "URL": "redis://abparts-redis:6379/0",
            "CACHE_SECONDS": 30,
        },
    }

The token is a credential: it is never logged, and cache keys use its SHA-256 (TokenBackend.cache_key).

Each authenticated user also gets an abparts.ABPartsAccount (organization, role, preferred language),
which the machine selectors and the demo token backend read. The preferred language comes from
ABParts' `users` table through the read-only `abparts` database alias, looked up together with the
session record and cached with it; when that table cannot be read (or has no row for the user) the
language stored on the account from an earlier login is used, and authentication goes on.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import redis
from django.utils import timezone
from redis.backoff import NoBackoff
from redis.retry import Retry

from abparts.db import ABPartsUnavailable
from abparts.selectors import abparts_user_preferred_language
from abparts.services import UNCHANGED, abparts_account_sync, abparts_user_mirror

from .base import AuthenticatedIdentity, TokenBackend, TokenBackendUnavailable

logger = logging.getLogger(__name__)

ROLES = frozenset({"user", "admin", "super_admin"})
REQUIRED_FIELDS = ("user_id", "username", "organization_id", "role", "expires_at", "is_active")


class ABPartsSessionBackend(TokenBackend):
    """Bearer tokens of ABParts sessions, looked up as `GET <key_prefix><token>` in ABParts' Redis."""

    source = "abparts"

    def __init__(
        self,
        url: str = "",
        *,
        alias: str = "abparts",
        cache_seconds: float = 30,
        socket_timeout: float = 1.0,
        key_prefix: str = "session:",
    ) -> None:
        super().__init__(alias=alias, cache_seconds=cache_seconds)
        if not url:
            raise ValueError("URL (ABParts' session Redis) is required")
        if self.cache_seconds < 0:
            raise ValueError("CACHE_SECONDS must not be negative")
        if float(socket_timeout) <= 0:
            raise ValueError("SOCKET_TIMEOUT must be positive")
        self.key_prefix = key_prefix
        # A bounded wait on every call (connect and read), and no silent retries that would multiply
        # it: an unreachable store must turn into a quick 503, not a hung request. The client holds a
        # thread-safe connection pool; nothing connects until the first lookup.
        self.redis = redis.Redis.from_url(
            url,
            socket_timeout=float(socket_timeout),
            socket_connect_timeout=float(socket_timeout),
            retry=Retry(NoBackoff(), 0),
        )

    def authenticate_token(self, token: str) -> AuthenticatedIdentity | None:
        # The cached value is the validated session record (primitives only), never the user: the
        # local user is re-read below on every request, so a local deactivation is immediate.
        session = self.cached(token, lambda: self._load_session(token))
        if session is None:
            return None
        # A cached record is only as good as its expires_at (CACHE_SECONDS may outlast it): check it
        # on every use and drop the cached copy once the session has ended.
        if _parse_time(session["expires_at"]) <= timezone.now():
            self.forget(token)
            logger.info("abparts session expired", extra={"event": "auth_abparts_expired"})
            return None
        user = self._mirror_user(session)
        if user is None:
            return None
        abparts_user_id = uuid.UUID(session["user_id"])
        organization_id = uuid.UUID(session["organization_id"])
        account = abparts_account_sync(
            user=user,
            abparts_user_id=abparts_user_id,
            organization_id=organization_id,
            role=session["role"],
            # Not in the session record: ABParts' users table (read with the session, cached with it).
            preferred_language=session.get("preferred_language") or UNCHANGED,
        )
        return AuthenticatedIdentity(
            user=user,
            source=self.source,
            abparts_user_id=abparts_user_id,
            organization_id=organization_id,
            role=session["role"],
            preferred_language=account.preferred_language or None,
        )

    # --- the session store ----------------------------------------------------------------------
    def _load_session(self, token: str) -> dict[str, Any] | None:
        """The validated session record of the token, or None. Raises TokenBackendUnavailable."""
        try:
            raw = self.redis.get(f"{self.key_prefix}{token}")
        except redis.RedisError as exc:
            # The exception text names host and port only; the key (and so the token) is not in it.
            raise TokenBackendUnavailable(f"ABParts session store unavailable: {exc.__class__.__name__}") from None
        if raw is None:
            return None
        session = _validated(raw)
        if session is not None:
            session["preferred_language"] = _preferred_language(session["user_id"])
        return session

    # --- the local mirror -----------------------------------------------------------------------
    def _mirror_user(self, session: dict[str, Any]):
        user = abparts_user_mirror(abparts_user_id=uuid.UUID(session["user_id"]), username=session["username"])
        if not user.is_active:
            # Local deactivation wins over a valid ABParts session.
            logger.info("abparts user deactivated locally", extra={"event": "auth_abparts_inactive_local"})
            return None
        return user


def _preferred_language(user_id: str) -> str | None:
    """The user's preferred_language in ABParts' users table (ABParts' code), or None when unknown.

    None when the row or the value is missing, or ABParts' database cannot be read: the caller then
    keeps the language stored from an earlier login. Never fails authentication.
    """
    try:
        return abparts_user_preferred_language(abparts_user_id=uuid.UUID(user_id))
    except ABPartsUnavailable:
        logger.info("abparts preferred_language unavailable", extra={"event": "auth_abparts_language_unavailable"})
        return None


def _validated(raw: bytes | str) -> dict[str, Any] | None:
    """The record reduced to what we use, or None when it is not a usable, current session."""
    try:
        record = json.loads(raw)
    except ValueError:  # includes invalid UTF-8
        return _reject("session record is not JSON")
    if not isinstance(record, dict):
        return _reject("session record is not a JSON object")
    missing = [name for name in REQUIRED_FIELDS if name not in record]
    if missing:
        return _reject(f"session record lacks {', '.join(missing)}")
    if record["is_active"] is not True:
        return _reject("session is not active")
    username, role = record["username"], record["role"]
    if not isinstance(username, str) or not username:
        return _reject("session username is not a non-empty string")
    if role not in ROLES:
        return _reject("session role is unknown")
    try:
        user_id = uuid.UUID(record["user_id"])
        organization_id = uuid.UUID(record["organization_id"])
        expires_at = _parse_time(record["expires_at"])
    except (TypeError, ValueError, AttributeError):
        return _reject("session user_id, organization_id or expires_at is malformed")
    if expires_at <= timezone.now():
        return _reject("session expired")
    return {
        "user_id": str(user_id),
        "username": username,
        "organization_id": str(organization_id),
        "role": role,
        "expires_at": expires_at.isoformat(),
    }


def _parse_time(value: str) -> datetime:
    """ISO 8601 with `Z`, an offset, or naive (ABParts writes UTC)."""
    if not isinstance(value, str):
        raise TypeError("not a string")
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _reject(reason: str) -> None:
    logger.info("abparts session rejected: %s", reason, extra={"event": "auth_abparts_rejected"})
    return None

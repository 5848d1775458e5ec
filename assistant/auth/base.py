"""The token-backend interface: a bearer token in, an AuthenticatedIdentity (or None) out."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar, TypeVar

from django.core.cache import cache

from core.identity import AuthenticatedIdentity

if TYPE_CHECKING:
    pass

T = TypeVar("T")


class TokenBackendUnavailable(Exception):
    """The backend cannot decide right now (its store is down). Not the same as "unknown token"."""


def token_digest(token: str) -> str:
    """SHA-256 hex of a token: what is stored and what cache keys are built from, never the token.

    A plain (unsalted, fast) hash is enough: the tokens are 256-bit random values, so there is nothing
    to brute-force, and a fast hash keeps the lookup a single indexed equality match.
    """
    return hashlib.sha256(token.encode()).hexdigest()


class TokenBackend:
    """Base class of the backends listed in settings.API_TOKEN_BACKENDS.

    API_TOKEN_BACKENDS = {"demo": {"BACKEND": "assistant.auth.demo.DemoTokenBackend", "CACHE_SECONDS": 0}}

    The keys besides BACKEND are passed lower-cased as keyword arguments; `alias` is the dict key.
    Backends are process-wide singletons shared by all threads: keep no per-request state on them.
    """

    source: ClassVar[str] = ""

    def __init__(self, *, alias: str, cache_seconds: float = 0) -> None:
        self.alias = alias
        self.cache_seconds = float(cache_seconds)

    def authenticate_token(self, token: str) -> AuthenticatedIdentity | None:
        """The identity the token belongs to, or None when this backend does not accept it.

        Raise TokenBackendUnavailable when the backend's store cannot be reached. Never log the token.
        """
        raise NotImplementedError

    # --- caching hook -------------------------------------------------------------------------
    # A backend that asks a remote store (ABParts' Redis session store) wraps that lookup in
    # `cached()`. Only positive answers are kept, and only briefly (CACHE_SECONDS): a freshly issued
    # token works at once, and a logout or revocation takes effect within CACHE_SECONDS. Cache the
    # store's answer (picklable primitives), not the identity: the local user is re-read per request
    # so that deactivating a user is immediate.

    def cache_key(self, token: str) -> str:
        return f"auth:token:{self.alias}:{token_digest(token)}"

    def cached(self, token: str, load: Callable[[], T | None]) -> T | None:
        """`load()`, with a positive result remembered for cache_seconds under a hash of the token."""
        if self.cache_seconds <= 0:
            return load()
        key = self.cache_key(token)
        value = cache.get(key)
        if value is None:
            value = load()
            if value is not None:
                cache.set(key, value, timeout=self.cache_seconds)
        return value

    def forget(self, token: str) -> None:
        """Drop a cached answer (after a logout or revocation seen by this process)."""
        cache.delete(self.cache_key(token))

"""The production cache: Django's RedisCache, answering like an empty cache while Redis is down.

Redis holds nothing the product cannot do without: DRF's throttle counters, cached token lookups,
the worker heartbeat. SPEC §7 says the chat keeps answering from the database when Redis is down,
but a plain RedisCache raises on every call, and DRF throttles and the token cache run on every API
request: every call would be a 500 (issue 11). So a failed call fails open: a read misses (a
throttle allows, a token is looked up again), a write is dropped. Each failure counts in
`autoboss_cache_errors_total`; one warning is logged when Redis goes away and one when it is back,
not one per request. `/health/ready` still reports the cache as failing (core/health.py).

After a failure Redis is left alone for RETRY_SECONDS (a setting of the cache, default 5): with
Redis hung rather than refused, every call would otherwise wait for the socket timeout, several
times per request.

    CACHES = {"default": {"BACKEND": "core.cache.FailOpenRedisCache", "LOCATION": "redis://...",
                          "RETRY_SECONDS": 5, "OPTIONS": {...}}}
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

from .metrics import CACHE_ERRORS

logger = logging.getLogger(__name__)

T = TypeVar("T")


class FailOpenRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self.retry_seconds = float(params.get("RETRY_SECONDS", 5))
        self._down_until = 0.0  # monotonic time before which Redis is not asked
        self._down = False
        self._lock = threading.Lock()

    @property
    def failing_open(self) -> bool:
        """Whether the last call to Redis failed (the cache is answering as if empty)."""
        return self._down

    def _try(self, operation: str, fallback: T, call: Callable[[], T]) -> T:
        if self._down and time.monotonic() < self._down_until:
            CACHE_ERRORS.labels(operation=operation).inc()
            return fallback
        try:
            result = call()
        except redis.RedisError as exc:
            CACHE_ERRORS.labels(operation=operation).inc()
            with self._lock:
                self._down_until = time.monotonic() + self.retry_seconds
                if not self._down:
                    self._down = True
                    # The class only: redis' message can carry the server's address.
                    logger.warning(
                        "cache unavailable (%s): serving without it (throttles allow, lookups repeat)",
                        type(exc).__name__,
                        extra={"event": "cache_unavailable"},
                    )
            return fallback
        if self._down:
            with self._lock:
                if self._down:
                    self._down = False
                    logger.warning("cache available again", extra={"event": "cache_available"})
        return result

    def get(self, key, default=None, version=None):
        return self._try("get", default, lambda: super(FailOpenRedisCache, self).get(key, default, version))

    def get_many(self, keys, version=None):
        return self._try("get_many", {}, lambda: super(FailOpenRedisCache, self).get_many(keys, version))

    def has_key(self, key, version=None):
        return self._try("has_key", False, lambda: super(FailOpenRedisCache, self).has_key(key, version))

    def set(self, key, value, timeout: Any = DEFAULT_TIMEOUT, version=None):
        self._try("set", None, lambda: super(FailOpenRedisCache, self).set(key, value, timeout, version))

    def add(self, key, value, timeout: Any = DEFAULT_TIMEOUT, version=None):
        # False = "not stored": what a caller using add() as a lock must hear when nothing was stored.
        return self._try("add", False, lambda: super(FailOpenRedisCache, self).add(key, value, timeout, version))

    def set_many(self, data, timeout: Any = DEFAULT_TIMEOUT, version=None):
        # Django's contract: the keys that were not stored.
        return self._try(
            "set_many", list(data), lambda: super(FailOpenRedisCache, self).set_many(data, timeout, version)
        )

    def touch(self, key, timeout: Any = DEFAULT_TIMEOUT, version=None):
        return self._try("touch", False, lambda: super(FailOpenRedisCache, self).touch(key, timeout, version))

    def delete(self, key, version=None):
        return self._try("delete", False, lambda: super(FailOpenRedisCache, self).delete(key, version))

    def delete_many(self, keys, version=None):
        self._try("delete_many", None, lambda: super(FailOpenRedisCache, self).delete_many(keys, version))

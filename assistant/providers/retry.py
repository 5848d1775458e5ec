"""Retry timing shared by network providers: exponential backoff with full jitter, Retry-After."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime

# Starting an attempt with less time than this left only produces a guaranteed timeout.
MIN_ATTEMPT_SECONDS = 0.1


def backoff_delay(retry: int, *, base: float, cap: float, retry_after: float | None, rng: random.Random) -> float:
    """Seconds to wait before retry number `retry` (1 = the first retry).

    Full jitter (uniform between 0 and the exponential step) rather than a fixed schedule: many web
    workers hitting the same rate limit must not retry in lock-step. A server's Retry-After wins,
    but only up to `cap` — an operator is waiting, and the fallback model is a better use of the
    time than a long sleep.
    """
    if retry_after is not None:
        return min(max(retry_after, 0.0), cap)
    return rng.uniform(0.0, min(cap, base * 2 ** (retry - 1)))


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from `retry-after-ms` (OpenAI) or `Retry-After` (seconds or an HTTP date)."""
    if not headers:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            return float(raw_ms) / 1000.0
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(raw).timestamp() - time.time()
    except (TypeError, ValueError, IndexError):
        return None


def seconds_left(deadline: float) -> float:
    return deadline - time.monotonic()

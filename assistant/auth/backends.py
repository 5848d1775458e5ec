"""Token backends chosen by settings path (settings.API_TOKEN_BACKENDS, like CACHES).

API_TOKEN_BACKENDS = {
    "abparts": {"BACKEND": "assistant.auth.abparts.ABPartsSessionBackend", "CACHE_SECONDS": 30},
    "demo": {"BACKEND": "assistant.auth.demo.DemoTokenBackend"},
}

Backends are asked in the dict's order; the first identity wins. core.E003 validates the paths once
"API_TOKEN_BACKENDS" is listed in PROVIDER_SETTINGS.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

from core.backends import backend_from_settings

from .base import AuthenticatedIdentity, TokenBackend, TokenBackendUnavailable

_backends: list[list[TokenBackend]] = []  # empty = not built yet
_lock = threading.Lock()


def get_token_backends() -> list[TokenBackend]:
    """The configured backends, in order, built once per process."""
    if _backends:
        return _backends[0]
    with _lock:
        if not _backends:
            configured = getattr(settings, "API_TOKEN_BACKENDS", None) or {}
            _backends.append([_build(alias, conf) for alias, conf in configured.items()])
        return _backends[0]


def reset_token_backends() -> None:
    """Forget built backends (tests; any change of API_TOKEN_BACKENDS)."""
    with _lock:
        _backends.clear()


def authenticate_token(token: str) -> AuthenticatedIdentity | None:
    """Ask each backend in order; the first identity wins.

    Raises TokenBackendUnavailable when no backend accepted the token and at least one could not be
    asked: the caller must not tell that client "invalid token" when the truth is "try again".
    """
    unavailable: TokenBackendUnavailable | None = None
    for backend in get_token_backends():
        try:
            identity = backend.authenticate_token(token)
        except TokenBackendUnavailable as exc:
            unavailable = exc
            continue
        if identity is not None:
            return identity
    if unavailable is not None:
        raise unavailable
    return None


def _build(alias: str, conf: dict[str, Any]) -> TokenBackend:
    return backend_from_settings("API_TOKEN_BACKENDS", alias, conf, alias=alias)


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    # override_settings / pytest-django's `settings` fixture: never use backends of the old settings.
    if setting == "API_TOKEN_BACKENDS":
        reset_token_backends()


setting_changed.connect(_on_setting_changed)

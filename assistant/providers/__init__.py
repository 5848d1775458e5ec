"""LLM chat providers, chosen by settings path (settings.LLM_PROVIDERS, like CACHES).

LLM_PROVIDERS = {
    "default": {"BACKEND": "assistant.providers.openai_chat.OpenAIChatProvider", "MODEL": "...",
                "BASE_URL": "...", "API_KEY": "...", "TIMEOUT": 20.0},
    "fallback": {...},
}
LLM_FALLBACK_ORDER = ["default", "fallback"]   # aliases that are not configured are skipped
LLM_CHAIN_TIMEOUT = 45.0                       # one budget for the whole chain, in seconds

Each alias's remaining keys are passed lower-cased as keyword arguments to BACKEND; NAME defaults to
the alias (the `provider` label of the metrics). No LLM configured is a normal state (the embedded
default): `get_llm_provider()` and `get_llm_chain()` then return None and the engine answers with
the offline responder.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from core.backends import backend_from_settings

from .base import (
    ChatMessage,
    ChatProvider,
    ChatRequest,
    ChatResult,
    ProviderError,
    StreamDone,
    StreamEvent,
    StreamRestart,
    TokenDelta,
)
from .chain import AllProvidersFailed, FallbackChain

__all__ = [
    "AllProvidersFailed",
    "ChatMessage",
    "ChatProvider",
    "ChatRequest",
    "ChatResult",
    "FallbackChain",
    "ProviderError",
    "StreamDone",
    "StreamEvent",
    "StreamRestart",
    "TokenDelta",
    "get_llm_chain",
    "get_llm_provider",
    "llm_configuration_status",
    "reset_llm_providers",
]

DEFAULT_FALLBACK_ORDER = ("default", "fallback")
_SETTINGS = frozenset(("LLM_PROVIDERS", "LLM_FALLBACK_ORDER", "LLM_CHAIN_TIMEOUT"))

# Providers hold an HTTP connection pool: one per alias and process, shared by all threads.
_providers: dict[str, ChatProvider] = {}
_chain: list[FallbackChain | None] = []  # empty = not built yet; [None] = no LLM configured
_lock = threading.RLock()


def get_llm_provider(alias: str = "default") -> ChatProvider | None:
    """The process-wide provider configured under `alias`, or None when there is none."""
    provider = _providers.get(alias)
    if provider is not None:
        return provider
    with _lock:
        if alias not in _providers:
            conf = _configured().get(alias)
            if conf is None:
                return None
            _providers[alias] = _build(alias, conf)
        return _providers[alias]


def get_llm_chain() -> FallbackChain | None:
    """The configured providers in LLM_FALLBACK_ORDER as one chain, or None when no LLM is configured."""
    if _chain:
        return _chain[0]
    with _lock:
        if not _chain:
            providers = [get_llm_provider(alias) for alias in _chain_aliases()]
            chain = None
            if providers:
                chain = FallbackChain(
                    [provider for provider in providers if provider is not None],
                    total_timeout=getattr(settings, "LLM_CHAIN_TIMEOUT", None),
                )
            _chain.append(chain)
        return _chain[0]


def reset_llm_providers() -> None:
    """Forget built providers and the chain (tests; any change of the LLM settings)."""
    with _lock:
        _providers.clear()
        _chain.clear()


def llm_configuration_status() -> dict[str, Any]:
    """What is configured, for health checks: reads settings only — no network call, no tokens."""
    configured = _configured()
    order = _fallback_order()
    providers = []
    for alias, conf in configured.items():
        backend = (conf or {}).get("BACKEND", "")
        try:
            import_string(backend)
            importable = True
        except ImportError:
            importable = False
        providers.append(
            {
                "alias": alias,
                "backend": backend,
                "backend_importable": importable,
                "model": conf.get("MODEL", ""),
                "base_url": _without_credentials(conf.get("BASE_URL")),
                # Only whether a key is set: its value must never reach a health page or a log.
                "api_key_set": bool(conf.get("API_KEY")),
                "in_chain": alias in order,
            }
        )
    chain = _chain_aliases()
    return {
        "configured": bool(chain),
        "mode": "llm" if chain else "offline",
        "chain": chain,
        "unknown_aliases_in_order": [alias for alias in order if alias not in configured],
        "chain_timeout": getattr(settings, "LLM_CHAIN_TIMEOUT", None),
        "providers": providers,
        # The offline grounded responder always answers when the chain is empty or exhausted.
        "last_resort": "offline_responder",
    }


def _configured() -> dict[str, dict[str, Any]]:
    return dict(getattr(settings, "LLM_PROVIDERS", None) or {})


def _fallback_order() -> list[str]:
    order = getattr(settings, "LLM_FALLBACK_ORDER", None)
    return list(dict.fromkeys(DEFAULT_FALLBACK_ORDER if order is None else order))


def _chain_aliases() -> list[str]:
    configured = _configured()
    return [alias for alias in _fallback_order() if alias in configured]


def _build(alias: str, conf: dict[str, Any]) -> ChatProvider:
    return backend_from_settings("LLM_PROVIDERS", alias, conf, name=alias)


def _without_credentials(url: str | None) -> str | None:
    if not url:
        return url
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    # override_settings / pytest-django's `settings` fixture: never serve a provider built from
    # the previous configuration.
    if setting in _SETTINGS:
        reset_llm_providers()


setting_changed.connect(_on_setting_changed)

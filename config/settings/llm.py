"""LLM chat providers (assistant/providers). Nothing set here = no LLM: the offline responder answers.

Any OpenAI-compatible server works: OpenAI (no LLM_BASE_URL), Azure OpenAI's v1 API
(https://<resource>.openai.azure.com/openai/v1/), vLLM (http://host:8000/v1), Ollama
(http://host:11434/v1), llama.cpp's server (http://host:8080/v1).
"""

from __future__ import annotations

from typing import Any

from .environment import env

_OPENAI_CHAT = "assistant.providers.openai_chat.OpenAIChatProvider"

# The primary endpoint; unset = api.openai.com.
_BASE_URL = env.str("LLM_BASE_URL", default="")
# Bearer key of that endpoint; local servers (vLLM, Ollama, llama.cpp) usually need none.
_API_KEY = env.str("LLM_API_KEY", default="")
# Model (Azure: deployment) name. vLLM and Ollama need the served name; llama.cpp ignores it.
_MODEL = env.str("LLM_MODEL", default="")
# Optional second model tried when the first one fails (timeout, 429, 5xx, malformed output);
# its endpoint and key default to the primary's, so a cheaper model of the same vendor is one line.
_FALLBACK_MODEL = env.str("LLM_FALLBACK_MODEL", default="")
_FALLBACK_BASE_URL = env.str("LLM_FALLBACK_BASE_URL", default=_BASE_URL)
_FALLBACK_API_KEY = env.str("LLM_FALLBACK_API_KEY", default=_API_KEY)
# Seconds one HTTP attempt may take (when streaming: the longest silence between two tokens).
_TIMEOUT = env.float("LLM_TIMEOUT", default=20.0)
# Retries per provider after a transient failure (429, 5xx, timeout, connection error, bad body).
_MAX_RETRIES = env.int("LLM_MAX_RETRIES", default=2)
# Seconds one provider may spend on a reply, retries and backoff included.
_TOTAL_TIMEOUT = env.float("LLM_TOTAL_TIMEOUT", default=30.0)
# Azure's classic deployment API only (e.g. 2024-10-21); then LLM_BASE_URL is the resource endpoint.
_AZURE_API_VERSION = env.str("LLM_AZURE_API_VERSION", default="") or None


def _provider(*, model: str, base_url: str, api_key: str) -> dict[str, Any]:
    return {
        "BACKEND": _OPENAI_CHAT,
        "MODEL": model,
        "BASE_URL": base_url or None,
        "API_KEY": api_key,
        "TIMEOUT": _TIMEOUT,
        "MAX_RETRIES": _MAX_RETRIES,
        "TOTAL_TIMEOUT": _TOTAL_TIMEOUT,
        "AZURE_API_VERSION": _AZURE_API_VERSION,
    }


LLM_PROVIDERS: dict[str, dict[str, Any]] = {}
if _MODEL or _BASE_URL:
    # With only a base URL (a llama.cpp server serves one model whatever the name) a placeholder
    # model name is enough.
    LLM_PROVIDERS["default"] = _provider(model=_MODEL or "default", base_url=_BASE_URL, api_key=_API_KEY)
if _FALLBACK_MODEL:
    LLM_PROVIDERS["fallback"] = _provider(model=_FALLBACK_MODEL, base_url=_FALLBACK_BASE_URL, api_key=_FALLBACK_API_KEY)

# Aliases tried in this order; aliases missing from LLM_PROVIDERS are skipped. The offline
# responder always comes after the last one (it is not an alias).
LLM_FALLBACK_ORDER = env.list("LLM_FALLBACK_ORDER", default=["default", "fallback"])
# Seconds the whole chain may take before the offline responder answers: the operator's worst
# wait. Larger than LLM_TOTAL_TIMEOUT so the fallback model still gets a turn after a slow primary.
LLM_CHAIN_TIMEOUT = env.float("LLM_CHAIN_TIMEOUT", default=45.0)
# Upper bound on the length of one generated reply, in tokens (ChatRequest.max_tokens).
LLM_MAX_TOKENS = env.int("LLM_MAX_TOKENS", default=600)

# core.E003 checks that every BACKEND above can be imported (PROVIDER_SETTINGS in providers.py).

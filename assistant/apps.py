from __future__ import annotations

from django.apps import AppConfig


class AssistantConfig(AppConfig):
    """Chat sessions and messages, the conversation engine, LLM providers, API authentication and the
    chat APIs (native and the legacy widget's)."""

    name = "assistant"
    verbose_name = "Assistant"

    def ready(self) -> None:
        from core.health import register_readiness_check

        from . import receivers  # noqa: F401  (connects the signal receivers)
        from .auth import schema  # noqa: F401  (registers the OpenAPI security scheme)
        from .providers.health import check_llm_configuration

        register_readiness_check("llm", check_llm_configuration)

from __future__ import annotations

from django.apps import AppConfig


class AssistantConfig(AppConfig):
    """Chat sessions, messages, the conversation engine, troubleshooting runs, LLM providers, languages,
    ABParts integration, the widget and the chat APIs."""

    name = "assistant"
    verbose_name = "Assistant"

    def ready(self) -> None:
        from .auth import schema  # noqa: F401  (registers the OpenAPI security scheme)

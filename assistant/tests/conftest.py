"""Chat test fixtures: an operator with a token, a small ingested manual, an LLM stub."""

from __future__ import annotations

import pytest

from core.testing.openai_stub import OpenAIStub
from troubleshooting.tests.fixtures import troubleshooting_manual  # noqa: F401  (a manual with procedures)


@pytest.fixture
def manual(db, settings, tmp_path):
    from knowledge.tests.conftest import V40_PAGES, ingest_file
    from knowledge.tests.fixtures.ingestion_files import write_text_pdf

    settings.MEDIA_ROOT = tmp_path / "media"
    return ingest_file(write_text_pdf(tmp_path / "v40-manual.pdf", V40_PAGES), machine_models=["V4.0"], language="en")


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_user("operator", password="pw-operator-123")


@pytest.fixture
def api(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def llm_stub(settings):
    from assistant.providers import reset_llm_providers

    with OpenAIStub() as stub:
        settings.LLM_PROVIDERS = {
            "default": {
                "BACKEND": "assistant.providers.openai_chat.OpenAIChatProvider",
                "MODEL": "stub-primary",
                "BASE_URL": stub.base_url,
                "API_KEY": "test",
                "TIMEOUT": 2.0,
                "MAX_RETRIES": 1,
                "BACKOFF_BASE": 0.01,
                "BACKOFF_MAX": 0.05,
            },
            "fallback": {
                "BACKEND": "assistant.providers.openai_chat.OpenAIChatProvider",
                "MODEL": "stub-fallback",
                "BASE_URL": stub.base_url,
                "API_KEY": "test",
                "TIMEOUT": 2.0,
                "MAX_RETRIES": 0,
            },
        }
        settings.LLM_FALLBACK_ORDER = ["default", "fallback"]
        reset_llm_providers()
        yield stub
    reset_llm_providers()

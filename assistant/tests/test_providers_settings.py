"""Choosing LLM providers from settings, their configuration status, and config/settings/llm.py."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured

from assistant.providers import (
    FallbackChain,
    get_llm_chain,
    get_llm_provider,
    llm_configuration_status,
    reset_llm_providers,
)
from assistant.providers.openai_chat import OpenAIChatProvider
from core.testing.openai_stub import OpenAIStub

BACKEND = "assistant.providers.openai_chat.OpenAIChatProvider"


@pytest.fixture(autouse=True)
def fresh_providers() -> Iterator[None]:
    reset_llm_providers()
    yield
    reset_llm_providers()


@pytest.fixture(scope="module")
def _server() -> Iterator[OpenAIStub]:
    with OpenAIStub() as server:
        yield server


@pytest.fixture
def stub(_server) -> OpenAIStub:
    _server.requests.clear()
    return _server


def two_providers(base_url: str) -> dict:
    return {
        "default": {"BACKEND": BACKEND, "MODEL": "big", "BASE_URL": base_url, "API_KEY": "sk-primary", "TIMEOUT": 2},
        "fallback": {"BACKEND": BACKEND, "MODEL": "small", "BASE_URL": base_url, "MAX_RETRIES": 0},
    }


def test_no_llm_configured_means_no_provider_and_no_chain(settings):
    settings.LLM_PROVIDERS = {}
    assert get_llm_provider() is None
    assert get_llm_chain() is None
    status = llm_configuration_status()
    assert (status["configured"], status["mode"], status["chain"]) == (False, "offline", [])


def test_chain_is_built_from_settings_in_fallback_order(settings, stub):
    settings.LLM_PROVIDERS = two_providers(stub.base_url)
    settings.LLM_FALLBACK_ORDER = ["fallback", "default", "missing"]
    settings.LLM_CHAIN_TIMEOUT = 12.0
    chain = get_llm_chain()
    assert isinstance(chain, FallbackChain)
    assert [(p.name, p.model) for p in chain.providers] == [("fallback", "small"), ("default", "big")]
    assert chain.total_timeout == 12.0
    primary = get_llm_provider("default")
    assert isinstance(primary, OpenAIChatProvider)
    assert (primary.timeout, primary.max_retries) == (2.0, 2)
    assert get_llm_provider("fallback").max_retries == 0
    assert get_llm_provider("missing") is None
    # It really talks to the configured endpoint.
    assert chain.complete(_request()).provider == "fallback"
    assert stub.requests[-1]["json"]["model"] == "small"


def test_default_order_skips_unconfigured_aliases(settings, stub):
    settings.LLM_PROVIDERS = {"default": two_providers(stub.base_url)["default"]}
    del settings.LLM_FALLBACK_ORDER  # not set at all: ["default", "fallback"]
    assert [p.name for p in get_llm_chain().providers] == ["default"]


def test_instances_are_cached_and_rebuilt_when_settings_change(settings, stub):
    settings.LLM_PROVIDERS = two_providers(stub.base_url)
    first = get_llm_provider()
    assert get_llm_provider() is first
    assert get_llm_chain() is get_llm_chain()
    settings.LLM_PROVIDERS = {"default": {**two_providers(stub.base_url)["default"], "MODEL": "bigger"}}
    assert get_llm_provider().model == "bigger"
    assert [p.model for p in get_llm_chain().providers] == ["bigger"]


def test_bad_backend_or_option_is_improperly_configured(settings):
    settings.LLM_PROVIDERS = {"default": {"BACKEND": "assistant.providers.nope.Missing", "MODEL": "m"}}
    with pytest.raises(ImproperlyConfigured, match="BACKEND"):
        get_llm_provider()
    settings.LLM_PROVIDERS = {"default": {"BACKEND": BACKEND, "MODEL": "m", "TEMPRATURE": 1}}
    with pytest.raises(ImproperlyConfigured, match="temprature"):
        get_llm_provider()


def test_bad_backend_fails_the_provider_path_check(settings):
    from core.checks import check_provider_paths

    settings.PROVIDER_SETTINGS = ["LLM_PROVIDERS"]
    settings.LLM_PROVIDERS = {"default": {"BACKEND": "assistant.providers.nope.Missing"}}
    assert [m.id for m in check_provider_paths()] == ["core.E003"]
    settings.LLM_PROVIDERS = {"default": {"BACKEND": BACKEND, "MODEL": "m"}}
    assert check_provider_paths() == []


def test_configuration_status_makes_no_request_and_hides_secrets(settings, stub):
    stub_url = stub.base_url.replace("http://", "http://user:pw-secret@")
    settings.LLM_PROVIDERS = two_providers(stub_url)
    settings.LLM_FALLBACK_ORDER = ["default", "fallback", "typo"]
    get_llm_chain()  # even with built providers around, status must not call them
    status = llm_configuration_status()
    assert stub.requests == []
    assert status["configured"] is True
    assert status["chain"] == ["default", "fallback"]
    assert status["unknown_aliases_in_order"] == ["typo"]
    by_alias = {p["alias"]: p for p in status["providers"]}
    assert by_alias["default"]["model"] == "big"
    assert by_alias["default"]["api_key_set"] is True
    assert by_alias["fallback"]["api_key_set"] is False
    assert by_alias["default"]["backend_importable"] is True
    text = json.dumps(status)
    assert "sk-primary" not in text
    assert "pw-secret" not in text
    assert by_alias["default"]["base_url"].startswith("http://127.0.0.1:")


# --- config/settings/llm.py ----------------------------------------------------------------------

LLM_ENV = [
    "LLM_BASE_URL",
    "LLM_API_KEY",
    "LLM_MODEL",
    "LLM_FALLBACK_MODEL",
    "LLM_FALLBACK_BASE_URL",
    "LLM_FALLBACK_API_KEY",
    "LLM_TIMEOUT",
    "LLM_MAX_RETRIES",
    "LLM_TOTAL_TIMEOUT",
    "LLM_MAX_TOKENS",
    "LLM_FALLBACK_ORDER",
    "LLM_CHAIN_TIMEOUT",
    "LLM_AZURE_API_VERSION",
]


@pytest.fixture
def llm_settings(monkeypatch):
    """Re-evaluates config/settings/llm.py under a controlled environment."""
    for name in LLM_ENV:
        monkeypatch.delenv(name, raising=False)

    def load(**environ: str):
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        import config.settings.llm as module

        return importlib.reload(module)

    yield load
    for name in LLM_ENV:
        monkeypatch.delenv(name, raising=False)


def test_settings_without_environment_configure_no_llm(llm_settings):
    module = llm_settings()
    assert module.LLM_PROVIDERS == {}
    from django.conf import settings

    assert {"LLM_PROVIDERS", "EMBEDDING_BACKENDS"} <= set(settings.PROVIDER_SETTINGS)


def test_settings_from_environment(llm_settings):
    module = llm_settings(
        LLM_BASE_URL="http://vllm:8000/v1",
        LLM_API_KEY="k1",
        LLM_MODEL="qwen",
        LLM_FALLBACK_MODEL="qwen-small",
        LLM_TIMEOUT="7.5",
        LLM_MAX_RETRIES="1",
        LLM_TOTAL_TIMEOUT="12",
        LLM_MAX_TOKENS="300",
    )
    default, fallback = module.LLM_PROVIDERS["default"], module.LLM_PROVIDERS["fallback"]
    assert (default["MODEL"], default["BASE_URL"], default["API_KEY"]) == ("qwen", "http://vllm:8000/v1", "k1")
    assert (default["TIMEOUT"], default["MAX_RETRIES"], default["TOTAL_TIMEOUT"]) == (7.5, 1, 12.0)
    # The fallback inherits the primary's endpoint and key unless told otherwise.
    assert (fallback["MODEL"], fallback["BASE_URL"], fallback["API_KEY"]) == ("qwen-small", "http://vllm:8000/v1", "k1")
    assert module.LLM_MAX_TOKENS == 300
    # Every alias builds a working provider.
    for alias, conf in module.LLM_PROVIDERS.items():
        conf = dict(conf)
        conf.pop("BACKEND")
        assert OpenAIChatProvider(**{k.lower(): v for k, v in conf.items()}, name=alias).model == conf["MODEL"]


def test_settings_base_url_alone_is_enough(llm_settings):
    module = llm_settings(LLM_BASE_URL="http://llama:8080/v1", LLM_FALLBACK_BASE_URL="http://other/v1")
    assert set(module.LLM_PROVIDERS) == {"default"}  # no fallback model, no fallback
    assert module.LLM_PROVIDERS["default"]["MODEL"]


def _request():
    from assistant.providers import ChatMessage, ChatRequest

    return ChatRequest(messages=(ChatMessage("user", "hello"),))

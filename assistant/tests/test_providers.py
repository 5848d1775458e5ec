"""LLM providers and the fallback chain, with the real `openai` client against the local stub server."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from assistant.providers import (
    AllProvidersFailed,
    ChatMessage,
    ChatProvider,
    ChatRequest,
    FallbackChain,
    ProviderError,
    StreamDone,
    StreamRestart,
    TokenDelta,
)
from assistant.providers.openai_chat import OpenAIChatProvider, estimate_tokens
from assistant.providers.retry import backoff_delay, parse_retry_after
from core.testing.openai_stub import OpenAIStub

REFUSED = "http://127.0.0.1:9/v1"  # discard port: nothing listens, the connection is refused at once
REPLY = "Clean the nozzle filter, then check the pump pressure again."
_WORD = re.compile(r"\w+")


class FlakyStub(OpenAIStub):
    """OpenAIStub plus what these tests need and the shared stub does not offer.

    * `cut_stream_after(n)`: the next streamed reply sends n content chunks, then the connection
      dies in the middle of the body (an announced chunk never arrives), like a crashed upstream;
      with `clean=True` the body ends properly instead, but without a finish_reason or [DONE]
      (a proxy that gave up).
    * `retry_after`: the Retry-After value sent with injected 429s (the stub always sends 0).
    * `omit_usage`: plain completions come without `usage` (some local servers do that).
    * `seen`: (path, query, headers) of every request (the stub records only path and JSON, and
      cannot route paths that carry a query string, as Azure's do).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.retry_after: str | None = None
        self.omit_usage = False
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self._cuts: list[tuple[int, bool]] = []

    def cut_stream_after(self, chunks: int, *, clean: bool = False) -> None:
        self._cuts.append((chunks, clean))

    def reset(self, reply: str) -> None:
        """Forget the previous test: one server per module, because stopping one costs ~0.5 s."""
        with self._lock:
            self._faults.clear()
            self.requests.clear()
            self.first_token_sent_at.clear()
        self.seen.clear()
        self._cuts.clear()
        self.latency = self.token_delay = 0.0
        self.reply = reply
        self.retry_after = None
        self.omit_usage = False

    def start(self) -> FlakyStub:
        super().start()
        stub = self
        base = self._server.RequestHandlerClass

        class Handler(base):
            def do_POST(self):
                path, _, query = self.path.partition("?")
                stub.seen.append((path, query, {k.lower(): v for k, v in self.headers.items()}))
                self.path = path
                return super().do_POST()

            def _json(self, status, payload, headers=None):
                if status == 429 and stub.retry_after is not None:
                    headers = {"Retry-After": stub.retry_after}
                if stub.omit_usage:
                    payload = {k: v for k, v in payload.items() if k != "usage"}
                return super()._json(status, payload, headers)

            def _chat(self, body, *, malformed):
                if not (body.get("stream") and stub._cuts):
                    return super()._chat(body, malformed=malformed)
                keep, clean = stub._cuts.pop(0)
                text = stub.reply(body) if callable(stub.reply) else stub.reply
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for piece in re.findall(r"\S+\s*", text)[:keep]:
                    chunk = {
                        "id": "chatcmpl-cut",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": body.get("model"),
                        "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
                    }
                    data = f"data: {json.dumps(chunk)}\n\n".encode()
                    self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                # Either a proper end of the body, or 1024 bytes announced, a few sent, then gone.
                self.wfile.write(b"0\r\n\r\n" if clean else b"400\r\ndata: {")
                self.wfile.flush()
                self.close_connection = True

        self._server.RequestHandlerClass = Handler
        return self


@pytest.fixture(scope="module")
def _servers() -> Iterator[tuple[FlakyStub, FlakyStub]]:
    with FlakyStub() as first, FlakyStub() as second:
        yield first, second


@pytest.fixture
def stub(_servers) -> FlakyStub:
    _servers[0].reset(REPLY)
    return _servers[0]


@pytest.fixture
def stub2(_servers) -> FlakyStub:
    _servers[1].reset("Fallback answer: replace the seal.")
    return _servers[1]


def provider(base_url: str, *, name: str = "default", model: str = "primary-model", **kwargs) -> OpenAIChatProvider:
    # Tiny timeouts and backoff keep the suite fast; every bound asserted below scales with them.
    options = {"timeout": 0.5, "connect_timeout": 0.5, "backoff_base": 0.01, "backoff_max": 0.05, "total_timeout": 3.0}
    options.update(kwargs)
    return OpenAIChatProvider(model=model, name=name, base_url=base_url, **options)


def request(text: str = "The pump makes a noise", **kwargs) -> ChatRequest:
    return ChatRequest(
        messages=(ChatMessage("system", "You answer from the manuals."), ChatMessage("user", text)), **kwargs
    )


def words(text: str) -> int:
    return len(_WORD.findall(text))


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def chat_posts(server: OpenAIStub) -> list[dict]:
    return [r for r in server.requests if r["path"].endswith("/chat/completions")]


# --- the contract every ChatProvider passes ---------------------------------------------------------


@pytest.fixture(params=["openai", "chain", "chain-after-failure"])
def contract(request, stub) -> tuple[ChatProvider, FlakyStub]:
    """(provider under test, the stub that answers for it)."""
    if request.param == "openai":
        return provider(stub.base_url), stub
    if request.param == "chain":
        return FallbackChain([provider(stub.base_url), provider(REFUSED, name="fallback")]), stub
    # The answering provider is the second one: the contract must hold across a fallback too.
    return FallbackChain([provider(REFUSED, max_retries=0), provider(stub.base_url, name="fallback")]), stub


class TestChatProviderContract:
    def test_complete_returns_text_tokens_and_latency(self, contract):
        chat, server = contract
        server.latency = 0.05
        result = chat.complete(request())
        assert result.text == REPLY
        assert result.model == "primary-model"
        assert result.provider in {"default", "fallback"}
        assert result.prompt_tokens == words("You answer from the manuals.") + words("The pump makes a noise")
        assert result.completion_tokens == words(REPLY)
        assert 50 <= result.latency_ms < 2000
        assert result.attempts >= 1

    def test_request_is_sent_as_given(self, contract):
        chat, server = contract
        chat.complete(request("Greek please", max_tokens=123, temperature=0.7, language="el"))
        sent = chat_posts(server)[-1]["json"]
        assert sent["messages"] == [
            {"role": "system", "content": "You answer from the manuals."},
            {"role": "user", "content": "Greek please"},
        ]
        assert sent["max_tokens"] == 123
        assert sent["temperature"] == 0.7
        assert sent["model"] == "primary-model"

    def test_stream_yields_ordered_deltas_then_one_done(self, contract):
        chat, server = contract
        events = list(chat.stream(request()))
        assert isinstance(events[-1], StreamDone)
        deltas = events[:-1]
        assert all(isinstance(event, TokenDelta) for event in deltas)
        assert len(deltas) == words(REPLY)  # the stub sends one word per chunk
        assert "".join(delta.text for delta in deltas) == REPLY == events[-1].result.text
        assert events[-1].result.completion_tokens == words(REPLY)
        assert chat_posts(server)[-1]["json"]["stream_options"] == {"include_usage": True}

    def test_stream_can_be_abandoned_and_the_provider_reused(self, contract):
        chat, server = contract
        server.token_delay = 0.05
        events = chat.stream(request())
        assert isinstance(next(events), TokenDelta)
        events.close()  # the client went away
        server.token_delay = 0
        assert chat.complete(request()).text == REPLY

    def test_failure_is_a_provider_error(self, contract):
        chat, server = contract
        server.fail_next(401, times=5)
        with pytest.raises(ProviderError) as excinfo:  # never a vendor exception
            chat.complete(request())
        assert "HTTP 401" in str(excinfo.value)

    def test_empty_reply_is_an_error_not_an_answer(self, contract):
        chat, server = contract
        server.reply = "   "
        with pytest.raises(ProviderError, match="empty reply"):
            chat.complete(request())
        with pytest.raises(ProviderError, match="empty reply"):
            list(chat.stream(request()))


# --- OpenAIChatProvider: retries, timeouts, errors ----------------------------------------------


class TestRetries:
    def test_429_is_retried_then_succeeds(self, stub):
        before_rl = sample("autoboss_llm_requests_total", provider="default", model="m429", outcome="rate_limited")
        before_ok = sample("autoboss_llm_requests_total", provider="default", model="m429", outcome="ok")
        stub.fail_next(429, times=2)
        started = time.monotonic()
        result = provider(stub.base_url, model="m429").complete(request())
        assert time.monotonic() - started < 1.0
        assert result.text == REPLY
        assert result.attempts == 3
        assert len(chat_posts(stub)) == 3
        after_rl = sample("autoboss_llm_requests_total", provider="default", model="m429", outcome="rate_limited")
        after_ok = sample("autoboss_llm_requests_total", provider="default", model="m429", outcome="ok")
        assert after_rl - before_rl == 2
        assert after_ok - before_ok == 1
        assert sample("autoboss_llm_retries_total", provider="default", model="m429", reason="rate_limited") >= 2

    def test_server_errors_give_up_after_max_retries_plus_one_attempts(self, stub):
        stub.fail_next(500, times=10)
        with pytest.raises(ProviderError) as excinfo:
            provider(stub.base_url, max_retries=2).complete(request())
        error = excinfo.value
        assert (error.permanent, error.kind, error.attempts) == (False, "server_error", 3)
        assert len(chat_posts(stub)) == 3

    def test_no_retries_when_max_retries_is_zero(self, stub):
        stub.fail_next(503, times=10)
        with pytest.raises(ProviderError):
            provider(stub.base_url, max_retries=0).complete(request())
        assert len(chat_posts(stub)) == 1

    def test_401_is_permanent_and_not_retried(self, stub):
        before = sample("autoboss_llm_retries_total", provider="default", model="m401", reason="permanent_error")
        stub.fail_next(401, times=5)
        with pytest.raises(ProviderError) as excinfo:
            provider(stub.base_url, model="m401", max_retries=3).complete(request())
        assert excinfo.value.permanent is True
        assert excinfo.value.kind == "permanent_error"
        assert len(chat_posts(stub)) == 1
        assert sample("autoboss_llm_requests_total", provider="default", model="m401", outcome="permanent_error") >= 1
        assert (
            sample("autoboss_llm_retries_total", provider="default", model="m401", reason="permanent_error") == before
        )

    @pytest.mark.parametrize("status", [408, 409])
    def test_408_and_409_are_transient(self, stub, status):
        stub.fail_next(status)
        assert provider(stub.base_url).complete(request()).attempts == 2

    def test_malformed_response_is_retried(self, stub):
        stub.fail_next("malformed")
        result = provider(stub.base_url, model="mbad").complete(request())
        assert (result.text, result.attempts) == (REPLY, 2)
        assert sample("autoboss_llm_requests_total", provider="default", model="mbad", outcome="malformed") >= 1

    def test_malformed_stream_is_retried_before_the_first_token(self, stub):
        stub.fail_next("malformed")
        events = list(provider(stub.base_url).stream(request()))
        assert not any(isinstance(event, StreamRestart) for event in events)
        assert events[-1].result.text == REPLY
        assert events[-1].result.attempts == 2

    def test_stream_error_before_first_token_is_retried(self, stub):
        stub.fail_next(500)
        events = list(provider(stub.base_url).stream(request()))
        assert "".join(e.text for e in events if isinstance(e, TokenDelta)) == REPLY
        assert len(chat_posts(stub)) == 2

    def test_retry_after_is_honoured(self, stub):
        stub.retry_after = "0.3"
        stub.fail_next(429)
        provider(stub.base_url, backoff_base=0.0, backoff_max=2.0).complete(request())
        first, second = chat_posts(stub)
        assert 0.3 <= second["at"] - first["at"] < 1.0

    def test_retry_after_is_capped_by_backoff_max(self, stub):
        stub.retry_after = "60"
        stub.fail_next(429)
        started = time.monotonic()
        result = provider(stub.base_url, backoff_max=0.2).complete(request())
        assert result.attempts == 2
        assert time.monotonic() - started < 1.5

    @pytest.mark.parametrize(("clean", "kind"), [(False, "connection_error"), (True, "malformed")])
    def test_mid_stream_failure_is_not_retried(self, stub, clean, kind):
        stub.cut_stream_after(2, clean=clean)
        received = []
        with pytest.raises(ProviderError) as excinfo:
            for event in provider(stub.base_url).stream(request()):
                received.append(event)
        assert [e.text for e in received] == ["Clean ", "the "]
        assert excinfo.value.kind == kind
        assert len(chat_posts(stub)) == 1  # a retry would repeat text the consumer already has

    def test_missing_usage_is_estimated(self, stub):
        stub.omit_usage = True
        result = provider(stub.base_url).complete(request())
        assert result.completion_tokens == estimate_tokens(REPLY) > 0
        assert result.prompt_tokens == estimate_tokens("You answer from the manuals.") + estimate_tokens(
            "The pump makes a noise"
        )


class TestTimeBudget:
    def test_attempt_timeout(self, stub):
        stub.latency = 1.0
        started = time.monotonic()
        with pytest.raises(ProviderError) as excinfo:
            provider(stub.base_url, timeout=0.3, max_retries=0).complete(request())
        assert excinfo.value.kind == "timeout"
        assert time.monotonic() - started < 0.9

    def test_total_timeout_bounds_retries_of_a_slow_provider(self, stub):
        stub.latency = 0.6
        started = time.monotonic()
        with pytest.raises(ProviderError) as excinfo:
            provider(stub.base_url, timeout=0.4, max_retries=50, total_timeout=1.0).complete(request())
        elapsed = time.monotonic() - started
        assert excinfo.value.kind == "timeout"
        assert elapsed < 1.4
        assert 2 <= len(chat_posts(stub)) <= 3  # retried, but only within the budget

    def test_total_timeout_bounds_a_trickling_stream(self, stub):
        stub.token_delay = 0.2  # each token is in time, the whole reply is not
        started = time.monotonic()
        tokens = []
        with pytest.raises(ProviderError) as excinfo:
            for event in provider(stub.base_url, timeout=1.0, total_timeout=0.7).stream(request()):
                tokens.append(event)
        assert excinfo.value.kind == "timeout"
        assert 1 <= len(tokens) < words(REPLY)
        assert time.monotonic() - started < 1.2

    def test_an_expired_deadline_makes_no_request(self, stub):
        with pytest.raises(ProviderError) as excinfo:
            provider(stub.base_url).complete(request(), deadline=time.monotonic() - 1)
        assert excinfo.value.kind == "timeout"
        assert stub.requests == []


# --- FallbackChain -------------------------------------------------------------------------------


class TestFallbackChain:
    def test_primary_timeout_falls_back_to_the_fallback_model(self, stub):
        # One server, two models: the primary model is too slow for its timeout.
        def reply(body):
            if body["model"] == "slow-model":
                time.sleep(1.0)
            return f"answer from {body['model']}"

        stub.reply = reply
        chain = FallbackChain(
            [
                provider(stub.base_url, model="slow-model", timeout=0.3, max_retries=0),
                provider(stub.base_url, name="fallback", model="fast-model"),
            ]
        )
        before = sample("autoboss_llm_fallbacks_total", provider="default", model="slow-model", reason="timeout")
        started = time.monotonic()
        result = chain.complete(request())
        assert time.monotonic() - started < 0.9
        assert (result.text, result.provider, result.model) == ("answer from fast-model", "fallback", "fast-model")
        assert result.attempts == 2
        assert [r["json"]["model"] for r in chat_posts(stub)] == ["slow-model", "fast-model"]
        assert sample("autoboss_llm_requests_total", provider="default", model="slow-model", outcome="timeout") >= 1
        after = sample("autoboss_llm_fallbacks_total", provider="default", model="slow-model", reason="timeout")
        assert after - before == 1

    @pytest.mark.parametrize("mode", ["complete", "stream"])
    @pytest.mark.parametrize("fault", [429, 500, "malformed", "refused"])
    def test_all_failing_raises_all_providers_failed_quickly(self, stub, stub2, fault, mode):
        if fault == "refused":
            providers = [provider(REFUSED, model="p1"), provider(REFUSED, name="fallback", model="p2")]
        else:
            stub.fail_next(fault, times=20)
            stub2.fail_next(fault, times=20)
            providers = [provider(stub.base_url, model="p1"), provider(stub2.base_url, name="fallback", model="p2")]
        exhausted_before = sample("autoboss_llm_chain_exhausted_total")
        chain = FallbackChain(providers)
        started = time.monotonic()
        with pytest.raises(AllProvidersFailed) as excinfo:
            if mode == "complete":
                chain.complete(request())
            else:
                events = list(chain.stream(request()))
                pytest.fail(f"stream ended normally: {events}")
        assert time.monotonic() - started < 2.0
        expected = {429: "rate_limited", 500: "server_error", "malformed": "malformed", "refused": "connection_error"}
        assert [error.kind for error in excinfo.value.errors] == [expected[fault]] * 2
        assert excinfo.value.attempts == 6  # (max_retries + 1) per provider, no more
        if fault != "refused":
            assert len(chat_posts(stub)) == len(chat_posts(stub2)) == 3
        assert sample("autoboss_llm_chain_exhausted_total") - exhausted_before == 1

    def test_mid_stream_failure_restarts_on_the_fallback(self, stub, stub2):
        stub.cut_stream_after(3)
        chain = FallbackChain([provider(stub.base_url), provider(stub2.base_url, name="fallback", model="fb")])
        events = list(chain.stream(request()))
        kinds = [type(event).__name__ for event in events]
        restart = kinds.index("StreamRestart")
        assert kinds[:restart] == ["TokenDelta"] * 3
        assert "".join(e.text for e in events[:restart]) == "Clean the nozzle "
        assert set(kinds[restart + 1 : -1]) == {"TokenDelta"}
        assert kinds[-1] == "StreamDone"
        after_restart = "".join(e.text for e in events[restart + 1 : -1])
        assert after_restart == "Fallback answer: replace the seal." == events[-1].result.text
        assert events[-1].result.provider == "fallback"
        assert "could not be reached" in events[restart].reason
        assert len(chat_posts(stub)) == 1

    def test_last_provider_failing_mid_stream_restarts_before_giving_up(self, stub):
        stub.cut_stream_after(2)
        events = []
        with pytest.raises(AllProvidersFailed):
            for event in FallbackChain([provider(stub.base_url)]).stream(request()):
                events.append(event)
        # The consumer must be told to drop the fragment before it falls back to the offline responder.
        assert [type(e).__name__ for e in events] == ["TokenDelta", "TokenDelta", "StreamRestart"]

    def test_failure_before_first_token_falls_back_without_restart(self, stub, stub2):
        stub.fail_next(401)
        chain = FallbackChain([provider(stub.base_url), provider(stub2.base_url, name="fallback")])
        events = list(chain.stream(request()))
        assert not any(isinstance(event, StreamRestart) for event in events)
        assert events[-1].result.provider == "fallback"

    def test_permanent_error_on_primary_still_falls_back(self, stub, stub2):
        stub.fail_next(401)
        chain = FallbackChain([provider(stub.base_url), provider(stub2.base_url, name="fallback")])
        assert chain.complete(request()).provider == "fallback"
        assert len(chat_posts(stub)) == 1

    def test_chain_budget_is_shared_by_its_providers(self, stub, stub2):
        stub.latency = 2.0
        chain = FallbackChain(
            [provider(stub.base_url, timeout=5.0, total_timeout=5.0), provider(stub2.base_url, name="fallback")],
            total_timeout=0.8,
        )
        started = time.monotonic()
        with pytest.raises(AllProvidersFailed) as excinfo:
            chain.complete(request())
        assert time.monotonic() - started < 1.2
        assert [error.kind for error in excinfo.value.errors] == ["timeout", "timeout"]
        assert stub2.requests == []  # no time was left for the fallback

    def test_metrics_per_attempt_with_labels(self, stub, stub2):
        def value(name, **labels):
            return sample(name, **labels)

        labels_primary = {"provider": "default", "model": "metrics-primary"}
        labels_fallback = {"provider": "fallback", "model": "metrics-fallback"}
        before = {
            "p_err": value("autoboss_llm_requests_total", **labels_primary, outcome="server_error"),
            "f_ok": value("autoboss_llm_requests_total", **labels_fallback, outcome="ok"),
            "p_lat": value("autoboss_llm_latency_seconds_count", **labels_primary),
            "f_prompt": value("autoboss_llm_tokens_total", **labels_fallback, kind="prompt"),
            "f_completion": value("autoboss_llm_tokens_total", **labels_fallback, kind="completion"),
        }
        stub.fail_next(500, times=3)
        chain = FallbackChain(
            [
                provider(stub.base_url, model="metrics-primary"),
                provider(stub2.base_url, name="fallback", model="metrics-fallback"),
            ]
        )
        result = chain.complete(request())
        assert value("autoboss_llm_requests_total", **labels_primary, outcome="server_error") - before["p_err"] == 3
        assert value("autoboss_llm_requests_total", **labels_fallback, outcome="ok") - before["f_ok"] == 1
        assert value("autoboss_llm_latency_seconds_count", **labels_primary) - before["p_lat"] == 3
        assert value("autoboss_llm_tokens_total", **labels_fallback, kind="prompt") - before["f_prompt"] == (
            result.prompt_tokens
        )
        assert value("autoboss_llm_tokens_total", **labels_fallback, kind="completion") - before["f_completion"] == (
            result.completion_tokens
        )
        assert result.attempts == 4


class TestVendorOptions:
    def test_extra_headers_and_bearer_key_are_sent(self, stub):
        provider(stub.base_url, api_key="sk-test", extra_headers={"X-Tenant": "autoboss"}).complete(request())
        _, _, headers = stub.seen[-1]
        assert headers["authorization"] == "Bearer sk-test"
        assert headers["x-tenant"] == "autoboss"

    def test_azure_deployment_api(self, stub):
        root = stub.base_url.removesuffix("/v1")
        chat = OpenAIChatProvider(model="gpt4o-deploy", base_url=root, api_key="az-key", azure_api_version="2024-10-21")
        assert chat.complete(request()).text == REPLY
        path, query, headers = stub.seen[-1]
        assert path == "/openai/deployments/gpt4o-deploy/chat/completions"
        assert query == "api-version=2024-10-21"
        assert headers["api-key"] == "az-key"

    def test_stream_usage_can_be_disabled_for_servers_that_reject_it(self, stub):
        events = list(provider(stub.base_url, stream_usage=False).stream(request()))
        assert "stream_options" not in chat_posts(stub)[-1]["json"]
        assert events[-1].result.text == REPLY

    def test_repr_does_not_leak_the_key(self, stub):
        assert "sk-secret" not in repr(provider(stub.base_url, api_key="sk-secret"))


# --- small pieces --------------------------------------------------------------------------------


class TestBackoff:
    def test_full_jitter_stays_within_the_exponential_step(self):
        import random

        rng = random.Random(7)
        delays = [backoff_delay(3, base=0.5, cap=10, retry_after=None, rng=rng) for _ in range(200)]
        assert min(delays) >= 0 and max(delays) <= 2.0  # 0.5 * 2**2
        assert max(delays) - min(delays) > 1.0  # jittered, not a fixed schedule

    def test_cap_and_retry_after(self):
        import random

        rng = random.Random(1)
        assert max(backoff_delay(10, base=0.5, cap=4, retry_after=None, rng=rng) for _ in range(100)) <= 4
        assert backoff_delay(1, base=0.5, cap=4, retry_after=2.5, rng=rng) == 2.5
        assert backoff_delay(1, base=0.5, cap=4, retry_after=30, rng=rng) == 4

    @pytest.mark.parametrize(
        ("headers", "expected"),
        [
            ({"retry-after": "3"}, 3.0),
            ({"retry-after-ms": "250", "retry-after": "3"}, 0.25),
            ({"retry-after": "soon"}, None),
            ({}, None),
        ],
    )
    def test_parse_retry_after(self, headers, expected):
        assert parse_retry_after(headers) == expected

    def test_parse_retry_after_http_date(self):
        from email.utils import formatdate

        seconds = parse_retry_after({"retry-after": formatdate(time.time() + 30, usegmt=True)})
        assert 25 < seconds <= 31


class TestValueTypes:
    def test_unknown_role_is_rejected(self):
        with pytest.raises(ValueError, match="role"):
            ChatMessage("tool", "x")  # type: ignore[arg-type]

    def test_request_messages_become_a_tuple_and_must_not_be_empty(self):
        assert isinstance(ChatRequest(messages=[ChatMessage("user", "hi")]).messages, tuple)  # type: ignore[arg-type]
        with pytest.raises(ValueError):
            ChatRequest(messages=())

    def test_chain_needs_providers(self):
        with pytest.raises(ValueError):
            FallbackChain([])

"""Chat through any OpenAI-compatible endpoint: OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp.

The client's own retries are disabled: its schedule ignores our time budget, and we must count
every HTTP attempt for metrics and decide per error whether retrying or failing over is better.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import openai

from assistant import metrics

from .base import ChatProvider, ChatRequest, ChatResult, ProviderError, StreamDone, StreamEvent, TokenDelta
from .retry import MIN_ATTEMPT_SECONDS, backoff_delay, parse_retry_after, seconds_left

T = TypeVar("T")

# What the client raises while parsing a body that is not what the API promises. pydantic's
# ValidationError and json's JSONDecodeError are ValueErrors.
_MALFORMED = (AttributeError, TypeError, ValueError, KeyError, IndexError)


def estimate_tokens(text: str) -> int:
    """About four characters per token: good enough for accounting when a server omits `usage`."""
    return (len(text) + 3) // 4


class OpenAIChatProvider(ChatProvider):
    """OpenAI chat completions with bounded retries, a per-call time budget and metrics.

    `timeout` bounds one HTTP attempt (each read, when streaming), `total_timeout` one call
    including retries and backoff. Set `azure_api_version` for Azure's classic deployment API
    (`base_url` is then the resource endpoint and `model` the deployment); Azure's v1 API and every
    other server just need `base_url`. `stream_usage=False` is for servers that reject
    `stream_options` (token counts are then estimated).
    """

    def __init__(
        self,
        *,
        model: str,
        name: str = "openai",
        base_url: str | None = None,
        api_key: str = "",
        timeout: float = 20.0,
        connect_timeout: float = 3.0,
        max_retries: int = 2,
        backoff_base: float = 0.5,
        backoff_max: float = 4.0,
        total_timeout: float = 30.0,
        extra_headers: Mapping[str, str] | None = None,
        azure_api_version: str | None = None,
        stream_usage: bool = True,
    ):
        if not model:
            raise ValueError("OpenAIChatProvider needs a model name")
        self.name = name
        self.model = model
        self.timeout = float(timeout)
        self.connect_timeout = float(connect_timeout)
        self.max_retries = max(0, int(max_retries))
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self.total_timeout = float(total_timeout)
        self.stream_usage = stream_usage
        self._rng = random.Random()
        common: dict[str, Any] = {
            # Local servers (vLLM, Ollama, llama.cpp) need no key, but the client insists on one.
            "api_key": api_key or "not-needed",
            "max_retries": 0,
            "timeout": openai.Timeout(self.timeout, connect=self.connect_timeout),
            "default_headers": dict(extra_headers or {}) or None,
        }
        if azure_api_version:
            self._client: openai.OpenAI = openai.AzureOpenAI(
                azure_endpoint=base_url or "", api_version=azure_api_version, **common
            )
        else:
            self._client = openai.OpenAI(base_url=base_url or None, **common)

    def __repr__(self) -> str:  # never the key
        return f"<{self.__class__.__name__} {self.name} model={self.model!r}>"

    # --- public interface ---------------------------------------------------------------------------
    def complete(self, request: ChatRequest, *, deadline: float | None = None) -> ChatResult:
        started = time.monotonic()
        deadline = self._deadline(started, deadline)
        response, attempts = self._with_retries(deadline, lambda timeout: self._create(request, timeout, stream=False))
        # `_create` already proved choices[0].message.content is a non-empty string.
        text = response.choices[0].message.content
        prompt_tokens, completion_tokens = self._usage(response.usage, request, text)
        return self._succeeded(text, prompt_tokens, completion_tokens, started, attempts)

    def stream(self, request: ChatRequest, *, deadline: float | None = None) -> Iterator[StreamEvent]:
        started = time.monotonic()
        deadline = self._deadline(started, deadline)
        attempts = 0
        while True:
            attempts += 1
            attempt_started = time.monotonic()
            parts: list[str] = []
            usage = None
            try:
                try:
                    response = self._create(request, self._attempt_timeout(deadline), stream=True)
                    finished = False
                    with response:  # closes the connection when the consumer stops early
                        for chunk in response:
                            if seconds_left(deadline) <= 0:
                                raise ProviderError(self._msg("ran past its time budget"), kind="timeout")
                            if chunk.usage is not None:
                                usage = chunk.usage
                            if not chunk.choices:  # the usage-only last chunk
                                continue
                            choice = chunk.choices[0]
                            delta = choice.delta.content if choice.delta is not None else None
                            if choice.finish_reason is not None:
                                finished = True
                            if delta:
                                parts.append(delta)
                                yield TokenDelta(delta)
                except (openai.OpenAIError, *_MALFORMED) as exc:
                    raise self._translate(exc) from exc
                # A stream that just stops (proxy cut, crashed worker) ends cleanly for the client:
                # without a finish_reason the text is a fragment, not an answer.
                if not finished:
                    raise ProviderError(self._msg("stream ended before the reply was complete"), kind="malformed")
                if not "".join(parts).strip():
                    raise ProviderError(self._msg("returned an empty reply"), kind="malformed")
            except ProviderError as error:
                error.attempts = attempts
                self._record_attempt(error.kind, attempt_started)
                if parts:
                    # Text already reached the consumer; a retry here would duplicate it. The
                    # chain decides (it can restart the stream on another provider).
                    raise
                self._sleep_before_retry(error, attempts, deadline)
                continue
            self._record_attempt("ok", attempt_started)
            text = "".join(parts)
            prompt_tokens, completion_tokens = self._usage(usage, request, text)
            yield StreamDone(self._succeeded(text, prompt_tokens, completion_tokens, started, attempts))
            return

    # --- one HTTP attempt -------------------------------------------------------------------------
    def _create(self, request: ChatRequest, timeout: float, *, stream: bool) -> Any:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "timeout": openai.Timeout(timeout, connect=min(self.connect_timeout, timeout)),
        }
        if stream:
            kwargs["stream"] = True
            if self.stream_usage:
                kwargs["stream_options"] = {"include_usage": True}
            return self._client.chat.completions.create(**kwargs)
        try:
            response = self._client.chat.completions.create(**kwargs)
            content = response.choices[0].message.content
        except (openai.OpenAIError, *_MALFORMED) as exc:
            raise self._translate(exc) from exc
        if not isinstance(content, str) or not content.strip():
            # Also what a content filter or a confused local model produces: no answer at all.
            raise ProviderError(self._msg("returned an empty reply"), kind="malformed")
        return response

    def _translate(self, exc: BaseException) -> ProviderError:
        """Map a client or parsing exception to a ProviderError with its metrics outcome."""
        if isinstance(exc, ProviderError):
            return exc
        if isinstance(exc, openai.APITimeoutError):
            return ProviderError(self._msg("timed out"), kind="timeout")
        if isinstance(exc, openai.APIConnectionError):
            return ProviderError(self._msg("could not be reached"), kind="connection_error")
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            if status == 429:
                return ProviderError(
                    self._msg("rate limited us (HTTP 429)"),
                    kind="rate_limited",
                    retry_after=parse_retry_after(exc.response.headers),
                )
            if status == 408:
                return ProviderError(self._msg("timed out (HTTP 408)"), kind="timeout")
            if status == 409 or status >= 500:
                return ProviderError(self._msg(f"failed (HTTP {status})"), kind="server_error")
            # 400/401/403/404/422…: the same request will be refused again.
            return ProviderError(self._msg(f"refused the request (HTTP {status})"), permanent=True)
        if isinstance(exc, (openai.APIResponseValidationError, *_MALFORMED)):
            return ProviderError(self._msg("returned a malformed response"), kind="malformed")
        # An error event inside a stream, or another client-side failure: worth another try.
        return ProviderError(self._msg(f"failed ({exc.__class__.__name__})"), kind="server_error")

    # --- retries, time, accounting ------------------------------------------------------------------
    def _with_retries(self, deadline: float, call: Callable[[float], T]) -> tuple[T, int]:
        attempts = 0
        while True:
            attempts += 1
            attempt_started = time.monotonic()
            try:
                result = call(self._attempt_timeout(deadline))
            except ProviderError as error:
                error.attempts = attempts
                self._record_attempt(error.kind, attempt_started)
                self._sleep_before_retry(error, attempts, deadline)
                continue
            self._record_attempt("ok", attempt_started)
            return result, attempts

    def _sleep_before_retry(self, error: ProviderError, attempts: int, deadline: float) -> None:
        """Sleep before the next attempt, or re-raise `error` when retrying is pointless or too late."""
        if error.permanent or attempts > self.max_retries:
            raise error
        delay = backoff_delay(
            attempts,
            base=self.backoff_base,
            cap=self.backoff_max,
            retry_after=error.retry_after,
            rng=self._rng,
        )
        if seconds_left(deadline) - delay < MIN_ATTEMPT_SECONDS:
            raise error
        metrics.LLM_RETRIES.labels(self.name, self.model, error.kind).inc()
        time.sleep(delay)

    def _deadline(self, started: float, deadline: float | None) -> float:
        own = started + self.total_timeout
        deadline = own if deadline is None else min(own, deadline)
        if deadline - started < MIN_ATTEMPT_SECONDS:
            raise ProviderError(self._msg("had no time left to try"), kind="timeout")
        return deadline

    def _attempt_timeout(self, deadline: float) -> float:
        left = seconds_left(deadline)
        if left < MIN_ATTEMPT_SECONDS:
            raise ProviderError(self._msg("had no time left to try"), kind="timeout")
        return min(self.timeout, left)

    def _usage(self, usage: Any, request: ChatRequest, text: str) -> tuple[int, int]:
        prompt = getattr(usage, "prompt_tokens", None)
        completion = getattr(usage, "completion_tokens", None)
        if not isinstance(prompt, int):
            prompt = sum(estimate_tokens(m.content) for m in request.messages)
        if not isinstance(completion, int):
            completion = estimate_tokens(text)
        return prompt, completion

    def _succeeded(self, text: str, prompt_tokens: int, completion_tokens: int, started: float, attempts: int):
        metrics.LLM_TOKENS.labels(self.name, self.model, "prompt").inc(prompt_tokens)
        metrics.LLM_TOKENS.labels(self.name, self.model, "completion").inc(completion_tokens)
        return ChatResult(
            text=text,
            provider=self.name,
            model=self.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            latency_ms=round((time.monotonic() - started) * 1000),
            attempts=attempts,
        )

    def _record_attempt(self, outcome: str, attempt_started: float) -> None:
        metrics.LLM_REQUESTS.labels(self.name, self.model, outcome).inc()
        metrics.LLM_LATENCY.labels(self.name, self.model).observe(time.monotonic() - attempt_started)

    def _msg(self, what: str) -> str:
        return f"LLM provider {self.name!r} ({self.model}) {what}"

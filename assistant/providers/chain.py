"""Try LLM providers in order until one answers.

Contract with the conversation engine:

* `complete` returns the first provider's success. Failures of earlier providers are recorded
  (metrics) and swallowed; `ChatResult.attempts` and `latency_ms` cover the whole chain.
* `stream` passes the first provider's tokens through. When a provider fails after it has streamed
  text, the chain yields `StreamRestart` — the consumer must discard everything it received since
  the last restart — and the next provider starts over. A provider that fails before its first
  token is replaced silently (there is nothing to discard).
* When every provider has failed, `AllProvidersFailed` is raised (a `ProviderError`). It is never
  raised while streamed text is still pending: a `StreamRestart` comes first. The engine then
  answers with the offline grounded responder (SPEC §3.4). That responder is deliberately *not* a
  link of this chain: it needs the retrieval results and step state rather than a prompt, it
  cannot fail the way a network service does, and keeping it out lets the engine tell "the LLM
  answered" from "we answered without one" (stored model, metrics, wording).
* The chain's `total_timeout` (and any caller `deadline`) is one budget shared by all providers,
  so the worst-case wait before the offline responder takes over is a single, configured number.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import replace

from assistant import metrics

from .base import ChatProvider, ChatRequest, ChatResult, ProviderError, StreamDone, StreamEvent, StreamRestart


class AllProvidersFailed(ProviderError):
    """Every provider of a fallback chain failed; `errors` holds each one's ProviderError in order."""

    def __init__(self, errors: Sequence[ProviderError]):
        errors = tuple(errors)
        summary = "; ".join(str(error) for error in errors) or "no provider was tried"
        super().__init__(
            f"every LLM provider failed: {summary}",
            permanent=bool(errors) and all(error.permanent for error in errors),
            kind=errors[-1].kind if errors else "permanent_error",
            attempts=sum(error.attempts for error in errors),
        )
        self.errors = errors


class FallbackChain(ChatProvider):
    def __init__(self, providers: Sequence[ChatProvider], *, total_timeout: float | None = None):
        if not providers:
            raise ValueError("a fallback chain needs at least one provider")
        self.providers = tuple(providers)
        self.name = "chain"
        self.model = self.providers[0].model
        self.total_timeout = total_timeout

    def __repr__(self) -> str:
        return f"<FallbackChain {[provider.name for provider in self.providers]}>"

    def complete(self, request: ChatRequest, *, deadline: float | None = None) -> ChatResult:
        started = time.monotonic()
        deadline = self._deadline(started, deadline)
        errors: list[ProviderError] = []
        for provider in self.providers:
            try:
                result = provider.complete(request, deadline=deadline)
            except ProviderError as error:
                errors.append(self._gave_up_on(provider, error))
                continue
            return self._whole_chain(result, started, errors)
        raise self._exhausted(errors)

    def stream(self, request: ChatRequest, *, deadline: float | None = None) -> Iterator[StreamEvent]:
        started = time.monotonic()
        deadline = self._deadline(started, deadline)
        errors: list[ProviderError] = []
        for provider in self.providers:
            pending_text = False
            try:
                with closing(provider.stream(request, deadline=deadline)) as events:
                    for event in events:
                        if isinstance(event, StreamDone):
                            yield StreamDone(self._whole_chain(event.result, started, errors))
                            return
                        # A nested chain may restart too; the consumer has already dropped the text.
                        pending_text = not isinstance(event, StreamRestart)
                        yield event
                raise ProviderError(f"LLM provider {provider.name!r} ended its stream without a result")
            except ProviderError as error:
                errors.append(self._gave_up_on(provider, error))
                if pending_text:
                    yield StreamRestart(reason=str(error))
        raise self._exhausted(errors)

    def _deadline(self, started: float, deadline: float | None) -> float | None:
        if self.total_timeout is None:
            return deadline
        own = started + self.total_timeout
        return own if deadline is None else min(own, deadline)

    def _gave_up_on(self, provider: ChatProvider, error: ProviderError) -> ProviderError:
        metrics.LLM_FALLBACKS.labels(provider.name, provider.model, error.kind).inc()
        return error

    def _exhausted(self, errors: list[ProviderError]) -> AllProvidersFailed:
        metrics.LLM_CHAIN_EXHAUSTED.inc()
        return AllProvidersFailed(errors)

    @staticmethod
    def _whole_chain(result: ChatResult, started: float, errors: list[ProviderError]) -> ChatResult:
        return replace(
            result,
            latency_ms=round((time.monotonic() - started) * 1000),
            attempts=result.attempts + sum(error.attempts for error in errors),
        )

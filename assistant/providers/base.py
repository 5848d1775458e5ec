"""The chat-provider interface: frozen value types in, frozen value types out, one error type.

A provider turns a `ChatRequest` into text, either at once (`complete`) or as a stream of events
(`stream`). Vendor errors never leave a provider: they become `ProviderError`, whose `permanent`
flag says whether asking again (the same provider) can help, and whose `kind` is the metrics
outcome that describes it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Role = Literal["system", "user", "assistant"]
_ROLES = frozenset(("system", "user", "assistant"))


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str

    def __post_init__(self) -> None:
        # A typo'd role would be sent to the vendor and rejected as a 400 there, far from the bug.
        if self.role not in _ROLES:
            raise ValueError(f"unknown chat role {self.role!r}")


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[ChatMessage, ...]
    max_tokens: int = 600
    temperature: float = 0.2
    # The reply language (ISO 639-1). LLM providers get it through the prompt; the offline
    # responder needs it to pick its translated phrases.
    language: str = "en"
    # Opaque to the LLM layer: what the offline responder composes its answer from.
    grounding: object | None = None

    def __post_init__(self) -> None:
        # Callers naturally build lists; a tuple keeps the request hashable and truly immutable.
        object.__setattr__(self, "messages", tuple(self.messages))
        if not self.messages:
            raise ValueError("a chat request needs at least one message")


@dataclass(frozen=True)
class ChatResult:
    text: str
    provider: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    #: wall time of the whole call as the caller saw it (retries and backoff included)
    latency_ms: int
    #: HTTP attempts it took (across providers, for a fallback chain)
    attempts: int


@dataclass(frozen=True)
class TokenDelta:
    text: str


@dataclass(frozen=True)
class StreamRestart:
    """The text streamed so far is void: drop it, another provider starts over."""

    reason: str


@dataclass(frozen=True)
class StreamDone:
    result: ChatResult


StreamEvent = TokenDelta | StreamRestart | StreamDone


class ProviderError(Exception):
    """Any failure of a chat provider. The message is safe to log (no secrets, no response bodies).

    `permanent`: retrying the same provider cannot help (bad key, unknown model, rejected input).
    `kind`: the metrics outcome (rate_limited, timeout, server_error, malformed, connection_error,
    permanent_error). `attempts`: HTTP attempts made before giving up. `retry_after`: seconds the
    server asked us to wait (429), if it said.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        kind: str | None = None,
        attempts: int = 0,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.permanent = permanent
        self.kind = kind or ("permanent_error" if permanent else "server_error")
        self.attempts = attempts
        self.retry_after = retry_after


class ChatProvider(ABC):
    """Generates assistant text for a conversation.

    `deadline` is an absolute `time.monotonic()` value: the call gives up (ProviderError, kind
    "timeout") rather than run past it, retries included. A fallback chain uses it to share one
    time budget between its providers.
    """

    #: stable, low-cardinality label for metrics and stored messages (the settings alias)
    name: str
    model: str = ""

    @abstractmethod
    def complete(self, request: ChatRequest, *, deadline: float | None = None) -> ChatResult:
        """Return the whole reply, or raise ProviderError."""

    @abstractmethod
    def stream(self, request: ChatRequest, *, deadline: float | None = None) -> Iterator[StreamEvent]:
        """Yield TokenDelta events in order, then exactly one StreamDone; or raise ProviderError.

        The concatenated deltas equal `StreamDone.result.text`. A single provider never yields
        StreamRestart; a fallback chain does, whenever the text streamed so far is void.
        Closing the iterator early (client gone) releases the connection.
        """

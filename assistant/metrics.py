"""Prometheus metrics of the assistant (LLM calls; conversation metrics join them here).

Label values stay low-cardinality: `provider` is the settings alias (default, fallback), `model`
the configured model name.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# One sample per HTTP attempt, so a retried 429 still counts as rate_limited (the LLMRateLimited
# alert in monitoring/alerts.yml depends on that).
# outcome: ok | rate_limited | timeout | server_error | malformed | connection_error | permanent_error
LLM_REQUESTS = Counter(
    "autoboss_llm_requests_total",
    "LLM HTTP attempts, by provider alias, model and outcome.",
    ["provider", "model", "outcome"],
)
LLM_LATENCY = Histogram(
    "autoboss_llm_latency_seconds",
    "Duration of LLM HTTP attempts (whole stream when streaming), failed ones included.",
    ["provider", "model"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 45, 60),
)
LLM_TOKENS = Counter(
    "autoboss_llm_tokens_total",
    "Tokens of successful LLM calls (reported by the server, estimated when it does not), by kind.",
    ["provider", "model", "kind"],
)
LLM_RETRIES = Counter(
    "autoboss_llm_retries_total",
    "Retries scheduled after a failed LLM attempt, by the reason (the failed attempt's outcome).",
    ["provider", "model", "reason"],
)
LLM_FALLBACKS = Counter(
    "autoboss_llm_fallbacks_total",
    "Times a fallback chain gave up on a provider and moved on, by the reason.",
    ["provider", "model", "reason"],
)
LLM_CHAIN_EXHAUSTED = Counter(
    "autoboss_llm_chain_exhausted_total",
    "Calls on which every LLM provider failed (the offline responder answered instead).",
)

CHAT_TURNS = Counter(
    "autoboss_chat_turns_total",
    "Chat turns answered, by reply language and by who wrote the reply (llm or the offline responder).",
    ["language", "responder"],
)

"""The conversation engine (assistant/engine)."""

from __future__ import annotations

from .environment import env

# Longest operator message accepted, in characters (longer: HTTP 413 with a translated message).
CHAT_MAX_MESSAGE_CHARS = env.int("CHAT_MAX_MESSAGE_CHARS", default=2000)
# Recent turns sent to the LLM verbatim: at most this many messages and about this many tokens.
CHAT_MEMORY_MAX_MESSAGES = env.int("CHAT_MEMORY_MAX_MESSAGES", default=12)
CHAT_MEMORY_TOKENS = env.int("CHAT_MEMORY_TOKENS", default=1500)
# Older turns are kept as a running summary of at most this many characters.
CHAT_SUMMARY_CHARS = env.int("CHAT_SUMMARY_CHARS", default=2000)

# Troubleshooting runs (troubleshooting/): after this many failed steps the assistant offers an expert.
TROUBLESHOOTING = {"MAX_FAILED_STEPS": env.int("TROUBLESHOOTING_MAX_FAILED_STEPS", default=5)}

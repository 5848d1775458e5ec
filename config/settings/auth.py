"""API bearer-token authentication (assistant/auth): which token backends are asked, in order.

API_TOKEN_BACKENDS is a dict like CACHES ({alias: {"BACKEND": dotted path, OPTION: value}}); the
backends are asked in the dict's order and the first one that knows the token wins. Core.E003
validates the BACKEND paths (PROVIDER_SETTINGS in providers.py).
"""

from __future__ import annotations

from typing import Any

from .environment import env

DEMO_TOKEN_BACKEND = "assistant.auth.demo.DemoTokenBackend"
ABPARTS_SESSION_BACKEND = "assistant.auth.abparts.ABPartsSessionBackend"

# ABParts' Redis session store (its db 0: `session:<token>`); unset = ABParts tokens are not accepted.
ABPARTS_SESSION_REDIS_URL = env.str("ABPARTS_SESSION_REDIS_URL", default="")
# How long a resolved ABParts session is reused before asking its Redis again (0 = every request).
ABPARTS_SESSION_CACHE_SECONDS = env.float("ABPARTS_SESSION_CACHE_SECONDS", default=30)


def api_token_backends(
    *,
    demo_tokens: bool,
    abparts_url: str = ABPARTS_SESSION_REDIS_URL,
    abparts_cache_seconds: float = ABPARTS_SESSION_CACHE_SECONDS,
) -> dict[str, dict[str, Any]]:
    """The backend dict; production.py rebuilds it with its own DEMO_TOKENS_ENABLED default."""
    backends: dict[str, dict[str, Any]] = {}
    if abparts_url:  # asked first: in production nearly every token is an ABParts one
        backends["abparts"] = {
            "BACKEND": ABPARTS_SESSION_BACKEND,
            "URL": abparts_url,
            "CACHE_SECONDS": abparts_cache_seconds,
        }
    if demo_tokens:
        backends["demo"] = {"BACKEND": DEMO_TOKEN_BACKEND}
    return backends


# Tokens printed by `manage.py demo_token` log in to the API: on in the embedded default, off in
# production unless explicitly wanted (a demo or staging instance).
DEMO_TOKENS_ENABLED = env.bool("DEMO_TOKENS_ENABLED", default=True)
API_TOKEN_BACKENDS = api_token_backends(demo_tokens=DEMO_TOKENS_ENABLED)

# The demo page at / lets a visitor pick a seed_demo operator and issues a demo token for them
# (assistant/views.py). Only where demo tokens work; never on by default in production.
DEMO_PAGE_ENABLED = env.bool("DEMO_PAGE_ENABLED", default=DEMO_TOKENS_ENABLED)

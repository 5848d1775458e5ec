"""API bearer-token authentication (assistant/auth): which token backends are asked, in order.

API_TOKEN_BACKENDS is a dict like CACHES ({alias: {"BACKEND": dotted path, OPTION: value}}); the
backends are asked in the dict's order and the first one that knows the token wins. Core.E003
validates the BACKEND paths (PROVIDER_SETTINGS in providers.py).
"""

from __future__ import annotations

from typing import Any

from .environment import env

DEMO_TOKEN_BACKEND = "assistant.auth.demo.DemoTokenBackend"


def api_token_backends(*, demo_tokens: bool) -> dict[str, dict[str, Any]]:
    """The backend dict; production.py rebuilds it with its own DEMO_TOKENS_ENABLED default."""
    backends: dict[str, dict[str, Any]] = {}
    if demo_tokens:
        backends["demo"] = {"BACKEND": DEMO_TOKEN_BACKEND}
    return backends


# Tokens printed by `manage.py demo_token` log in to the API: on in the embedded default, off in
# production unless explicitly wanted (a demo or staging instance).
DEMO_TOKENS_ENABLED = env.bool("DEMO_TOKENS_ENABLED", default=True)
API_TOKEN_BACKENDS = api_token_backends(demo_tokens=DEMO_TOKENS_ENABLED)

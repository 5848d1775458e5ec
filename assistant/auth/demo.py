"""Demo bearer tokens issued by `manage.py demo_token` (the embedded default's API login).

Enabled unless DEMO_TOKENS_ENABLED is false (the production default; config/settings/auth.py).
"""

from __future__ import annotations

from django.utils import timezone

from .base import AuthenticatedIdentity, TokenBackend, token_digest
from .selectors import api_token_get_usable
from .services import api_token_mark_used


class DemoTokenBackend(TokenBackend):
    """Tokens from the ApiToken table (stored as SHA-256). One indexed lookup; no cache needed."""

    source = "demo"

    def authenticate_token(self, token: str) -> AuthenticatedIdentity | None:
        now = timezone.now()
        api_token = api_token_get_usable(token_hash=token_digest(token), now=now)
        if api_token is None or not api_token.user.is_active:
            return None
        api_token_mark_used(api_token=api_token, now=now)
        return AuthenticatedIdentity(user=api_token.user, source=self.source)

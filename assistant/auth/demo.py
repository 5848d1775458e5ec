"""Demo bearer tokens issued by `manage.py demo_token` (the embedded default's API login).

Enabled unless DEMO_TOKENS_ENABLED is false (the production default; config/settings/auth.py).

When the token's user has an abparts.ABPartsAccount (the demo ABParts users `manage.py seed_demo`
creates), the identity carries that account's ABParts user id, organization, role and preferred
language, so the embedded default scopes machines the way an ABParts login does.
"""

from __future__ import annotations

from django.utils import timezone

from abparts.models import ABPartsAccount

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
        user = api_token.user
        try:
            account = user.abparts_account  # joined by the lookup: no query
        except ABPartsAccount.DoesNotExist:
            return AuthenticatedIdentity(user=user, source=self.source)
        return AuthenticatedIdentity(
            user=user,
            source=self.source,
            abparts_user_id=account.abparts_user_id,
            organization_id=account.organization_id,
            role=account.role,
            preferred_language=account.preferred_language or None,
        )

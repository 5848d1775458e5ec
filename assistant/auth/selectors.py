"""Reads of demo API tokens."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from assistant.models import ApiToken


def api_token_get_usable(*, token_hash: str, now: datetime) -> ApiToken | None:
    """The token with this hash if it is neither revoked nor expired, with its user; else None.

    The user's `is_active` is left to the caller, which must reject inactive users. The user's
    ABParts account (if any) comes in the same query: the demo backend puts it in the identity.
    """
    return (
        ApiToken.objects.select_related("user", "user__abparts_account")
        .filter(token_hash=token_hash, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )

"""Who made a request: the identity every app's API reads (machine visibility, preferred language).

The token backends that produce it live in assistant/auth; this plain record lives in core so that
apps below assistant (abparts) can read it without importing the chat app.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


@dataclass(frozen=True)
class AuthenticatedIdentity:
    """Who made a request, as a token backend resolved it. DRF's `request.auth` carries it.

    `user` is always the local Django user; the ABParts fields are None when the source does not know
    them (the demo backend knows none of them).
    """

    user: AbstractBaseUser
    source: str  # "demo", "abparts", ...
    abparts_user_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    role: str | None = None  # ABParts role: "user" | "admin" | "super_admin"
    preferred_language: str | None = None


def request_identity(request) -> AuthenticatedIdentity | None:
    """The identity of a DRF request: the token backend's, or a "session" one for a Django login."""
    if isinstance(request.auth, AuthenticatedIdentity):
        return request.auth
    if request.user.is_authenticated:
        return AuthenticatedIdentity(user=request.user, source="session")
    return None

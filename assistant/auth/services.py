"""Writes of demo API tokens: issue, revoke, record use."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from assistant.models import ApiToken

from .base import token_digest

# last_used_at is informative only; writing it on every request would turn each API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)
NAME_MAX_LENGTH = ApiToken._meta.get_field("name").max_length


class DemoTokenError(Exception):
    """A demo token cannot be issued as asked (unknown user, bad option); the message says why."""


def api_token_create(
    *, user: AbstractBaseUser, name: str = "", expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a token for `user`. The raw token is returned once here and stored only as its SHA-256."""
    token = secrets.token_urlsafe(32)
    api_token = ApiToken.objects.create(user=user, name=name, token_hash=token_digest(token), expires_at=expires_at)
    return api_token, token


def api_token_revoke_all(*, user: AbstractBaseUser) -> int:
    """Revoke every live token of `user`; returns how many were revoked."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def api_token_mark_used(*, api_token: ApiToken, now: datetime) -> bool:
    """Record a use, at most once per LAST_USED_RESOLUTION; True when the row was written.

    The freshness test on the loaded row saves the query in the common case; the filtered UPDATE
    (instead of save()) makes concurrent requests with the same token write at most once and never
    overwrite other columns (a revocation that happened meanwhile).
    """
    stale_before = now - LAST_USED_RESOLUTION
    if api_token.last_used_at is not None and api_token.last_used_at > stale_before:
        return False
    updated = (
        ApiToken.objects.filter(pk=api_token.pk)
        .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale_before))
        .update(last_used_at=now)
    )
    return updated == 1


@transaction.atomic
def demo_token_issue(
    *,
    username: str,
    create: bool = False,
    staff: bool = False,
    name: str = "",
    expires_days: int | None = None,
    revoke_all: bool = False,
) -> str:
    """Issue a demo token for `username` and return it (`manage.py demo_token`).

    create: create the user (unusable password) when missing; staff: set is_staff on the user;
    revoke_all: revoke the user's earlier tokens first (rotation). Raises DemoTokenError.
    """
    if expires_days is not None and expires_days < 1:
        raise DemoTokenError("--expires-days must be at least 1.")
    if len(name) > NAME_MAX_LENGTH:
        raise DemoTokenError(f"--name must be at most {NAME_MAX_LENGTH} characters.")
    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None:
        if not create:
            raise DemoTokenError(f"User {username!r} does not exist (use --create to create it).")
        user = _user_create(user_model, username=username, staff=staff)
    elif staff and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if revoke_all:
        api_token_revoke_all(user=user)
    expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
    _, token = api_token_create(user=user, name=name, expires_at=expires_at)
    return token


def _user_create(user_model, *, username: str, staff: bool) -> AbstractBaseUser:
    field = user_model._meta.get_field(user_model.USERNAME_FIELD)
    try:
        field.run_validators(username)
    except ValidationError as exc:
        raise DemoTokenError(f"Invalid username {username!r}: {' '.join(exc.messages)}") from exc
    if not username or (field.max_length and len(username) > field.max_length):
        raise DemoTokenError(f"Invalid username {username!r}.")
    # No password: these users sign in with tokens only (and never through the admin login form).
    return user_model._default_manager.create_user(username, password=None, is_staff=staff)

"""Writes of the abparts app: the local ABPartsAccount rows, and the embedded demo (seed_demo).

Nothing here writes to ABParts' database. The demo tables are written only in the default
database's own `abparts` schema, through the default (writable) connection.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files import File
from django.db import connection, transaction
from django.utils import timezone

from core.text.languages import normalize_language
from knowledge import services as knowledge_services
from knowledge.models import DocumentStatus

from . import demo
from .models import ABPartsAccount, ABPartsRole

logger = logging.getLogger(__name__)

# Local usernames of ABParts users: stable (the ABParts id), while the ABParts username may change.
USERNAME_PREFIX = "abparts:"
# How stale synced_at may get before an unchanged account is written again.
SYNC_REFRESH = timedelta(hours=1)


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()


def abparts_user_mirror(*, abparts_user_id: uuid.UUID, username: str):
    """The local user standing for an ABParts user (created without a usable password), with its account.

    The returned user has `abparts_account` loaded (select_related), so reading it costs no query.
    Its ABParts username is kept in first_name (renames follow).
    """
    User = get_user_model()
    first_name = username[: User._meta.get_field("first_name").max_length]
    user, created = User.objects.select_related("abparts_account").get_or_create(
        username=f"{USERNAME_PREFIX}{abparts_user_id}",
        defaults={"first_name": first_name, "is_staff": False, "password": make_password(None)},
    )
    if not created and user.first_name != first_name:
        user.first_name = first_name  # renamed in ABParts
        user.save(update_fields=["first_name"])
    return user


def abparts_language(code: str | None) -> str:
    """ABParts' preferred_language as one of our codes (`no` → `nb`); "" when unsupported or empty."""
    return normalize_language(code) or ""


def abparts_account_sync(
    *,
    user,
    abparts_user_id: uuid.UUID,
    organization_id: uuid.UUID | None,
    role: str,
    preferred_language: str | None = UNCHANGED,
    now: datetime | None = None,
) -> ABPartsAccount:
    """Create or update the user's ABPartsAccount; writes only when something changed (or hourly).

    preferred_language: ABParts' code (`no` is normalized to `nb`; unsupported → ""), or UNCHANGED to
    keep the stored one (ABParts' users table could not be read).
    """
    if role not in ABPartsRole.values:
        raise ValueError(f"unknown ABParts role {role!r}")
    now = now or timezone.now()
    values: dict[str, Any] = {"abparts_user_id": abparts_user_id, "organization_id": organization_id, "role": role}
    if preferred_language is not UNCHANGED:
        values["preferred_language"] = abparts_language(preferred_language)
    try:
        account = user.abparts_account  # loaded by abparts_user_mirror's select_related
    except ABPartsAccount.DoesNotExist:
        account = None
    if account is None:
        account, created = ABPartsAccount.objects.get_or_create(user=user, defaults={**values, "synced_at": now})
        if created:
            return account
    changed = {name: value for name, value in values.items() if getattr(account, name) != value}
    if not changed and account.synced_at > now - SYNC_REFRESH:
        return account
    changed["synced_at"] = now
    # A filtered UPDATE of the changed columns only: concurrent requests of the same user cannot
    # overwrite each other's other columns.
    ABPartsAccount.objects.filter(pk=account.pk).update(**changed)
    for name, value in changed.items():
        setattr(account, name, value)
    return account


# --- the embedded demo (manage.py seed_demo) ---------------------------------------------------------
class DemoSeedRefused(Exception):
    """seed_demo must not run here (ABPARTS_DATABASE_URL points at a real ABParts database)."""


@dataclass(frozen=True)
class DemoAccount:
    user: Any  # the local user
    demo_user: demo.DemoUser
    organization_name: str
    language: str  # our code


def demo_abparts_seed(*, today=None) -> demo.DemoSummary:
    """Create the `abparts` schema in the default database and upsert the demo data (idempotent).

    Raises DemoSeedRefused when the `abparts` alias reads a separate ABParts database: that one is
    never written, and demo rows in our own schema would not be read by anything.
    """
    if getattr(settings, "ABPARTS_DATABASE_URL", ""):
        raise DemoSeedRefused(
            "ABPARTS_DATABASE_URL is set: machine data comes from a real ABParts database, which "
            "seed_demo never writes to. Unset ABPARTS_DATABASE_URL to use the embedded demo schema."
        )
    schema = settings.ABPARTS_SCHEMA
    with transaction.atomic():
        demo.schema_create(connection, schema)
        return demo.demo_data_load(connection, schema, today=today)


def demo_account_sync(*, demo_user: demo.DemoUser):
    """The local user and ABPartsAccount of one demo ABParts user, as an ABParts login would make them."""
    user = abparts_user_mirror(abparts_user_id=demo_user.id, username=demo_user.username)
    account = abparts_account_sync(
        user=user,
        abparts_user_id=demo_user.id,
        organization_id=demo_user.organization_id,
        role=demo_user.role,
        preferred_language=demo_user.preferred_language,
    )
    return user, account


@transaction.atomic
def demo_accounts_sync() -> list[DemoAccount]:
    """Local users + ABPartsAccount rows for the demo ABParts users (the same mirror ABParts tokens use)."""
    organizations = {oid: name for oid, name, *_ in demo.DEMO_ORGANIZATIONS}
    accounts = []
    for demo_user in demo.DEMO_USERS:
        user, account = demo_account_sync(demo_user=demo_user)
        accounts.append(
            DemoAccount(
                user=user,
                demo_user=demo_user,
                organization_name=organizations[demo_user.organization_id],
                language=account.preferred_language,
            )
        )
    return accounts


class ManifestError(Exception):
    """demo/manuals/manifest.json is not what seed_demo expects; the message says what is wrong."""


@dataclass(frozen=True)
class ManualEntry:
    path: Path
    title: str
    machine_models: list[str]
    language: str | None
    document_type: str


@dataclass(frozen=True)
class ManualOutcome:
    entry: ManualEntry
    document_id: int | None
    status: str  # the document's status, or "rejected"
    action: str  # "ingested" | "unchanged" | "rejected" | "failed" | "pending"
    detail: str
    seconds: float


def demo_manifest_read(*, manuals_dir: Path) -> list[ManualEntry]:
    """The manuals listed in `<manuals_dir>/manifest.json`: [{file, title, machine_models, language, document_type}]."""
    manifest = manuals_dir / "manifest.json"
    try:
        raw = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{manifest} does not exist") from None
    except ValueError as exc:
        raise ManifestError(f"{manifest} is not valid JSON: {exc}") from None
    items = raw.get("manuals") if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise ManifestError(f"{manifest} must hold a JSON list of manuals")
    root = manuals_dir.resolve()
    entries = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("file"), str) or not item["file"]:
            raise ManifestError(f"{manifest} entry {index}: needs a 'file'")
        path = (manuals_dir / item["file"]).resolve()
        if not path.is_relative_to(root):
            raise ManifestError(f"{manifest} entry {index}: {item['file']!r} is outside {manuals_dir}")
        if not path.is_file():
            raise ManifestError(f"{manifest} entry {index}: {item['file']!r} does not exist")
        models = item.get("machine_models") or []
        if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
            raise ManifestError(f"{manifest} entry {index}: machine_models must be a list of strings")
        entries.append(
            ManualEntry(
                path=path,
                title=str(item.get("title") or ""),
                machine_models=models,
                language=item.get("language") or None,
                document_type=str(item.get("document_type") or "manual"),
            )
        )
    return entries


def demo_manual_ingest(*, entry: ManualEntry) -> ManualOutcome:
    """Upload one manual and ingest it in this process (no worker needed); a known file is a no-op.

    The knowledge base keys documents by content hash, so an unchanged file returns the existing
    document without any work; a changed file becomes a new revision that replaces the old one.
    """
    started = time.perf_counter()
    with open(entry.path, "rb") as fh:
        try:
            outcome = knowledge_services.document_upload(
                uploaded_file=File(fh, name=entry.path.name),
                title=entry.title,
                doc_type=entry.document_type,
                machine_models=entry.machine_models,
                language=entry.language,
                enqueue=False,
            )
        except knowledge_services.UploadRejected as exc:
            return ManualOutcome(entry, None, "rejected", "rejected", exc.reason, time.perf_counter() - started)
    document = outcome.document
    action = "unchanged"
    if document.status == DocumentStatus.QUEUED:
        knowledge_services.document_ingest(document_id=document.id)
        document.refresh_from_db()
        action = "ingested"
    if document.status == DocumentStatus.FAILED:
        action = "failed"
    elif document.status != DocumentStatus.READY:
        action = "pending"  # being ingested elsewhere (a worker, an interrupted earlier run: the sweep retries)
    return ManualOutcome(
        entry, document.id, document.status, action, document.error or "", time.perf_counter() - started
    )

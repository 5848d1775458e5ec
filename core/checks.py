"""System checks with stable ids (docs/operations.md lists them)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .startup import CONFIG_TAG

_INSECURE_KEY_MARKERS = ("insecure", "change-me", "changeme")


@checks.register(checks.Tags.database)
def check_vector_extension(app_configs=None, databases=None, **kwargs):
    """core.E001: the database lacks the pgvector extension; core.E007: the installed one is older
    than 0.5 (no HNSW); core.W001: older than 0.8 (search runs without iterative index scans).
    Run only with --database."""
    from django.db import connections

    from .pgvector import ITERATIVE_SCAN_VERSION, MINIMUM_VERSION, pgvector_version

    messages = []
    for alias in databases or []:
        if alias != "default":
            continue
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
            if cursor.fetchone() is None:
                messages.append(
                    checks.Error(
                        "pgvector extension missing: the 'vector' extension is not available in this PostgreSQL.",
                        hint="Use PostgreSQL with pgvector >= 0.5, 0.8 recommended (the pgvector/pgvector image) "
                        "or unset DATABASE_URL to use the embedded database.",
                        id="core.E001",
                    )
                )
                continue
        version = pgvector_version(alias)  # None before the migration that creates the extension
        shown = ".".join(map(str, version or ()))
        if version is not None and version < MINIMUM_VERSION:
            messages.append(
                checks.Error(
                    f"pgvector {shown} is too old: HNSW indexes need 0.5.",
                    hint="ALTER EXTENSION vector UPDATE after installing pgvector >= 0.5 (0.8 recommended).",
                    id="core.E007",
                )
            )
        elif version is not None and version < ITERATIVE_SCAN_VERSION:
            messages.append(
                checks.Warning(
                    f"pgvector {shown}: search runs without iterative index scans, so a machine-model filter "
                    "can leave it fewer candidates.",
                    hint="ALTER EXTENSION vector UPDATE after installing pgvector >= 0.8.",
                    id="core.W001",
                )
            )
    return messages


@checks.register(CONFIG_TAG)
def check_secret_key(app_configs=None, **kwargs):
    """core.E002: production without a real SECRET_KEY."""
    if settings.DEBUG or not _is_production():
        return []
    try:
        key = settings.SECRET_KEY or ""
    except ImproperlyConfigured:  # Django refuses to even read an empty key
        key = ""
    if not key:
        return [checks.Error("SECRET_KEY is not set.", hint="Set SECRET_KEY in the environment.", id="core.E002")]
    if len(key) < 50 or len(set(key)) < 5 or any(m in key.lower() for m in _INSECURE_KEY_MARKERS):
        return [
            checks.Error(
                "SECRET_KEY is too short or a placeholder.",
                hint="Use 50+ random characters, e.g. python -c 'import secrets; print(secrets.token_urlsafe(64))'.",
                id="core.E002",
            )
        ]
    return []


@checks.register(CONFIG_TAG)
def check_provider_paths(app_configs=None, **kwargs):
    """core.E003: a provider/backend setting names a class that cannot be imported."""
    messages = []
    for setting_name in getattr(settings, "PROVIDER_SETTINGS", []):
        for alias, conf in (getattr(settings, setting_name, None) or {}).items():
            path = (conf or {}).get("BACKEND")
            try:
                if not path:
                    raise ImportError("no BACKEND")
                import_string(path)
            except ImportError:
                messages.append(
                    checks.Error(
                        f"{setting_name}[{alias!r}] BACKEND {path!r} cannot be imported.",
                        hint="Use a dotted path to an existing class; see .env.example.",
                        id="core.E003",
                    )
                )
    return messages


@checks.register(CONFIG_TAG)
def check_production_services(app_configs=None, **kwargs):
    """core.E004/E005: production must not silently fall back to the embedded services."""
    if not _is_production():
        return []
    messages = []
    if getattr(settings, "EMBEDDED_DATABASE", False):
        messages.append(
            checks.Error(
                "DATABASE_URL is not set in production.",
                hint="Point DATABASE_URL at PostgreSQL+pgvector.",
                id="core.E004",
            )
        )
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        messages.append(
            checks.Error(
                "REDIS_URL (or CELERY_BROKER_URL) is not set in production.",
                hint="The filesystem broker only works when web and worker share one disk.",
                id="core.E005",
            )
        )
    if not settings.ALLOWED_HOSTS:
        messages.append(checks.Error("ALLOWED_HOSTS is empty in production.", id="core.E006"))
    return messages


@checks.register(CONFIG_TAG)
def check_field_encryption_keys(app_configs=None, **kwargs):
    """core.E008: production without FIELD_ENCRYPTION_KEYS, or any malformed key."""
    from cryptography.fernet import Fernet

    from .encryption import configured_keys

    keys = configured_keys()
    hint = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
    if not keys:
        if _is_production():
            return [checks.Error("FIELD_ENCRYPTION_KEYS is not set in production.", hint=hint, id="core.E008")]
        return []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            return [checks.Error(f"FIELD_ENCRYPTION_KEYS: key {position} is malformed.", hint=hint, id="core.E008")]
    return []


def _is_production() -> bool:
    return getattr(settings, "ENVIRONMENT", "local") == "production"

"""Settings shared by every environment. Everything comes from the environment (django-environ).

The embedded default needs no configuration at all: without DATABASE_URL an embedded
PostgreSQL+pgvector is started under VAR_DIR; without REDIS_URL Celery uses the filesystem
broker under VAR_DIR and the cache lives in the database. See docs/architecture.md.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import environ

from core.text import languages as text_languages

from .environment import BASE_DIR, VAR_DIR, env

# Which settings module is in force; checks use it (production must not use embedded services).
ENVIRONMENT = "local"

# --- core -------------------------------------------------------------------------------------
# Overridden (and required) in production.py; this key only ever protects a local instance.
SECRET_KEY = env.str("SECRET_KEY", default="insecure-local-only-key-change-me-in-production-0123456789")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# nginx in front of ABParts serves us under /ai/ and strips the prefix (see docs/architecture.md).
FORCE_SCRIPT_NAME = env.str("FORCE_SCRIPT_NAME", default=None)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_prometheus",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "core",
    "assistant",
    "knowledge",
    "abparts",
    "troubleshooting",
    "escalations",
    "analytics",
    "privacy",
]

MIDDLEWARE = [
    # First: its time (log line, Server-Timing) is the whole request, every other middleware included.
    "core.middleware.RequestLogMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # After the request id exists (the 413 carries it), before anything reads the body.
    "core.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything that can answer (a CORS preflight never reaches authentication).
    "corsheaders.middleware.CorsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------------------------
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    EMBEDDED_DATABASE = False
else:
    from config.embedded_db import ensure_embedded_database

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); harmless here.
        warnings.simplefilter("ignore")
        EMBEDDED_DATABASE_URL = ensure_embedded_database(VAR_DIR)
    DATABASES = {"default": environ.Env.db_url_config(EMBEDDED_DATABASE_URL)}
    EMBEDDED_DATABASE = True
# A socket directory given as ?host=/path (how the embedded server's URL is written) belongs in
# HOST, where dbshell and every other tool look for it.
if not DATABASES["default"].get("HOST") and DATABASES["default"].get("OPTIONS", {}).get("host"):
    DATABASES["default"]["HOST"] = DATABASES["default"]["OPTIONS"].pop("host")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Every statement is bounded; a stuck query must not hold a web worker forever.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
    f"-c statement_timeout={env.int('DB_STATEMENT_TIMEOUT_MS', default=30000)}"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache --------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Fails open: Redis down must not turn every API call into a 500 (SPEC §7, core/cache.py).
            "BACKEND": "core.cache.FailOpenRedisCache",
            "LOCATION": env.str("CACHE_REDIS_URL", default=REDIS_URL),
            "KEY_PREFIX": "autoboss",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "core_cache",
            "KEY_PREFIX": "autoboss",
        }
    }

# --- auth, i18n, static -----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [(code, text_languages.NATIVE_NAMES[code]) for code in text_languages.LANGUAGES]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Without collectstatic (local runs) whitenoise serves straight from the app directories.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)

DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- security headers (tightened further in production.py) -----------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- pseudonymous ids in logs -----------------------------------------------------------------
# Log lines carry an HMAC of the user id, never the id or name itself (docs/privacy.md).
LOG_PSEUDONYM_KEY = env.str("LOG_PSEUDONYM_KEY", default=SECRET_KEY)

# --- encryption at rest (core/encryption.py, docs/privacy.md) ---------------------------------
# Fernet keys, comma-separated, newest first. Unset outside production: a key is generated under
# VAR_DIR. Production without one does not start (core.E008).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])

from .abparts import *  # noqa: E402,F403
from .api import *  # noqa: E402,F403
from .auth import *  # noqa: E402,F403
from .celery import *  # noqa: E402,F403
from .chat import *  # noqa: E402,F403
from .email import *  # noqa: E402,F403
from .escalations import *  # noqa: E402,F403
from .health import *  # noqa: E402,F403
from .llm import *  # noqa: E402,F403
from .logging import *  # noqa: E402,F403
from .privacy import *  # noqa: E402,F403
from .providers import *  # noqa: E402,F403
from .web_security import *  # noqa: E402,F403

# The read-only ABParts alias and the router that sends ABParts' tables to it (config/settings/abparts.py).
DATABASES[ABPARTS_DATABASE_ALIAS] = abparts_database(DATABASES["default"])
DATABASE_ROUTERS = ["abparts.routers.ABPartsRouter"]

# The largest request body of any type (bytes): the largest document upload and room for its form
# fields. Larger is a 413 before any view reads it (core.middleware.RequestBodyLimitMiddleware);
# JSON API bodies have their own, smaller cap (API_MAX_BODY_BYTES, config/settings/api.py).
REQUEST_MAX_BODY_BYTES = env.int(
    "REQUEST_MAX_BODY_BYTES",
    default=KNOWLEDGE_INGESTION["MAX_UPLOAD_BYTES"] + 1024 * 1024,
)

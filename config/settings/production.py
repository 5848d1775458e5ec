"""Production: every secret from the environment, strict security, JSON logs.

A missing SECRET_KEY or an insecure one is reported by system check core.E002 and stops
start-up (config/wsgi.py runs the checks before serving).
"""

from __future__ import annotations

from .base import *  # noqa: F403
from .base import LOG_LEVEL, api_token_backends, build_logging, env

SECRET_KEY = env.str("SECRET_KEY", default="")
DEBUG = False
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])

# Demo bearer tokens (manage.py demo_token) are for the embedded default; production uses ABParts'.
DEMO_TOKENS_ENABLED = env.bool("DEMO_TOKENS_ENABLED", default=False)
API_TOKEN_BACKENDS = api_token_backends(demo_tokens=DEMO_TOKENS_ENABLED)
DEMO_PAGE_ENABLED = env.bool("DEMO_PAGE_ENABLED", default=False)

LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = build_logging(LOG_FORMAT, LOG_LEVEL)

WHITENOISE_USE_FINDERS = False

# TLS terminates at nginx; it tells us the original scheme.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The probes come from inside the cluster over plain HTTP. SecurityMiddleware matches request.path,
# which includes FORCE_SCRIPT_NAME (/ai behind ABParts' nginx), so the prefix is optional here.
_PREFIX = (env.str("FORCE_SCRIPT_NAME", default="") or "").strip("/")
_OPTIONAL_PREFIX = f"(?:{_PREFIX}/)?" if _PREFIX else ""
SECURE_REDIRECT_EXEMPT = [rf"^{_OPTIONAL_PREFIX}health/", rf"^{_OPTIONAL_PREFIX}metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
if not SECURE_HSTS_PRELOAD:
    # Submitting a domain to the browsers' preload list is the domain owner's (ABParts') decision,
    # not this service's; the header itself is sent (SECURE_HSTS_SECONDS).
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

ENVIRONMENT = "production"

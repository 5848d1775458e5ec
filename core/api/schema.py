"""OpenAPI schema hooks (drf-spectacular)."""

from __future__ import annotations

# Mount points that repeat other URLs under a reverse-proxy prefix (config/urls.py).
DUPLICATE_PREFIXES = ("/ai/",)


def drop_prefixed_duplicates(endpoints, **kwargs):
    """Leave out the /ai/... copies of the legacy endpoints: same views, same operation ids."""
    return [endpoint for endpoint in endpoints if not endpoint[0].startswith(DUPLICATE_PREFIXES)]

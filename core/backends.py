"""Building a provider/backend from a settings dict with a dotted BACKEND path (CONVENTIONS).

    EMBEDDING_BACKENDS = {"default": {"BACKEND": "pkg.module.Class", "MODEL": "x", "TIMEOUT": 5}}

becomes `Class(model="x", timeout=5, **extra)`. Every provider setting (embeddings, LLMs, API
token backends) is built here, so they all fail the same way: ImproperlyConfigured naming the
setting and alias, never echoing an option's value (it may be a secret).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


def backend_from_settings(setting: str, alias: str, conf: dict[str, Any] | None, /, **extra: Any) -> Any:
    options = dict(conf or {})
    path = options.pop("BACKEND", "")
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"{setting}[{alias!r}] BACKEND {path!r} cannot be imported") from exc
    kwargs = {key.lower(): value for key, value in options.items()}
    for key, value in extra.items():
        kwargs.setdefault(key, value)
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        # The exception names the bad key; it never contains the key's value.
        raise ImproperlyConfigured(f"{setting}[{alias!r}] is invalid: {exc}") from exc

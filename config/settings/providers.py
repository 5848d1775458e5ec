"""Pluggable providers chosen by a dotted BACKEND path (CONVENTIONS "Providers/backends").

Later issues add LLM_PROVIDERS, EMBEDDING_BACKENDS and the ABParts backends here. Every setting
named in PROVIDER_SETTINGS is validated at startup by the system check core.E003.
"""

from __future__ import annotations

# name of a settings dict whose values carry a "BACKEND" dotted path
PROVIDER_SETTINGS: list[str] = []

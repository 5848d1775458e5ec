"""Read operations of the privacy app (CONVENTIONS: selectors return prepared querysets)."""

from __future__ import annotations

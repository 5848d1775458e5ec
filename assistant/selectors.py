"""Read operations of the assistant app (CONVENTIONS: selectors return prepared querysets)."""

from __future__ import annotations

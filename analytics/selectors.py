"""Read operations of the analytics app (CONVENTIONS: selectors return prepared querysets)."""

from __future__ import annotations

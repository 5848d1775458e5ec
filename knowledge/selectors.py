"""Read operations of the knowledge app (CONVENTIONS: selectors return prepared querysets)."""

from __future__ import annotations

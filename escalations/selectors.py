"""Read operations of the escalations app (CONVENTIONS: selectors return prepared querysets)."""

from __future__ import annotations

"""Write operations of the analytics app (CONVENTIONS: services own transactions and side effects)."""

from __future__ import annotations

"""Write operations of the assistant app (CONVENTIONS: services own transactions and side effects)."""

from __future__ import annotations

"""Write operations of the knowledge app (CONVENTIONS: services own transactions and side effects)."""

from __future__ import annotations

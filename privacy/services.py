"""Write operations of the privacy app (CONVENTIONS: services own transactions and side effects)."""

from __future__ import annotations

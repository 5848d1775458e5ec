"""Write operations of the escalations app (CONVENTIONS: services own transactions and side effects)."""

from __future__ import annotations

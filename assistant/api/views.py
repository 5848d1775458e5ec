"""API views of the assistant app: one APIView per operation."""

from __future__ import annotations

"""API views of the analytics app: one APIView per operation."""

from __future__ import annotations

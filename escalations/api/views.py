"""API views of the escalations app: one APIView per operation."""

from __future__ import annotations

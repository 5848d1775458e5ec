"""API views of the privacy app: one APIView per operation."""

from __future__ import annotations

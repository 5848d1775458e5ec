"""API views of the knowledge app: one APIView per operation."""

from __future__ import annotations

"""Serializers of the escalations app's API."""

from __future__ import annotations

"""Serializers of the assistant app's API."""

from __future__ import annotations

"""Serializers of the analytics app's API."""

from __future__ import annotations

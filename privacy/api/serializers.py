"""Serializers of the privacy app's API."""

from __future__ import annotations

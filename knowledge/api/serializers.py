"""Serializers of the knowledge app's API."""

from __future__ import annotations

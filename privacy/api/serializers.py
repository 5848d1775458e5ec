from __future__ import annotations

from rest_framework import serializers

from ..models import ErasureRequest


class ErasureRequestOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ErasureRequest
        fields = ["id", "status", "progress", "step", "counts", "requested_at", "started_at", "finished_at"]

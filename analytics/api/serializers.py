"""Serializers of the analytics API."""

from __future__ import annotations

from rest_framework import serializers

from ..models import MessageFeedback


class FeedbackInputSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=MessageFeedback.Rating.choices)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    correction = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class FeedbackOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = MessageFeedback
        fields = ["id", "message", "rating", "comment", "correction", "created_at", "updated_at"]

"""Serializers of the chat API (SPEC §4.1)."""

from __future__ import annotations

from rest_framework import serializers

from analytics.models import MessageFeedback

from ..models import ChatSession, Message


class SessionCreateInputSerializer(serializers.Serializer):
    machine_id = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True)
    machine_model = serializers.CharField(max_length=16, required=False, allow_blank=True, allow_null=True)
    language = serializers.CharField(max_length=10, required=False, allow_blank=True, allow_null=True)


class CitationSerializer(serializers.Serializer):
    source = serializers.IntegerField()
    chunk_id = serializers.IntegerField()
    document_id = serializers.IntegerField()
    document_title = serializers.CharField()
    file_name = serializers.CharField()
    page_start = serializers.IntegerField()
    page_end = serializers.IntegerField()
    section = serializers.CharField(allow_blank=True)


class MessageOutputSerializer(serializers.ModelSerializer):
    citations = CitationSerializer(many=True)
    step = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id", "session", "seq", "role", "content", "language", "citations", "step", "abstained",
            "offers_escalation", "model_used", "client_message_id", "created_at",
        ]  # fmt: skip

    def get_step(self, obj) -> dict | None:
        return None  # troubleshooting steps arrive with issue 5


class SessionOutputSerializer(serializers.ModelSerializer):
    message_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = ChatSession
        fields = [
            "id",
            "status",
            "language",
            "machine_id",
            "machine_model",
            "message_count",
            "created_at",
            "updated_at",
        ]


class SessionDetailOutputSerializer(SessionOutputSerializer):
    messages = MessageOutputSerializer(many=True)
    current_step = serializers.SerializerMethodField()

    class Meta(SessionOutputSerializer.Meta):
        fields = [*SessionOutputSerializer.Meta.fields, "summary", "messages", "current_step"]

    def get_current_step(self, obj) -> dict | None:
        return None


class MessageCreateInputSerializer(serializers.Serializer):
    content = serializers.CharField(trim_whitespace=True, allow_blank=True, max_length=100_000)
    client_message_id = serializers.RegexField(r"^[A-Za-z0-9._:-]{1,64}$", required=False, allow_blank=True)
    language = serializers.CharField(max_length=10, required=False, allow_blank=True, allow_null=True)


class FeedbackInputSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=MessageFeedback.Rating.choices)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    correction = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class FeedbackOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = MessageFeedback
        fields = ["id", "message", "rating", "comment", "correction", "created_at", "updated_at"]

"""Serializers of the chat API (SPEC §4.1)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.schema import NON_BLANK_PATTERN, LanguageTagField
from knowledge.api.serializers import MachineModelField
from troubleshooting.models import Outcome
from troubleshooting.presentation import step_payload
from troubleshooting.selectors import session_current_step

from ..models import ChatSession, Message


class SessionCreateInputSerializer(serializers.Serializer):
    machine_id = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True)
    machine_model = MachineModelField(max_length=16, required=False, allow_blank=True, allow_null=True)
    # session_start refuses a language it does not know: the schema lists them.
    language = LanguageTagField(max_length=10, required=False, allow_blank=True, allow_null=True)


class StepSourceSerializer(serializers.Serializer):
    document_id = serializers.IntegerField()
    document_title = serializers.CharField()
    page = serializers.IntegerField(allow_null=True)


class StepSerializer(serializers.Serializer):
    """A troubleshooting step (troubleshooting.presentation.step_payload)."""

    id = serializers.IntegerField()
    run_id = serializers.IntegerField()
    number = serializers.IntegerField()
    total = serializers.IntegerField()
    procedure_title = serializers.CharField()
    instruction = serializers.CharField()
    safety_warnings = serializers.ListField(child=serializers.CharField())
    expected_outcomes = serializers.ListField(child=serializers.CharField())
    estimated_minutes = serializers.IntegerField(allow_null=True)
    success_rate = serializers.FloatField(help_text="Observed on this machine model; 0 when never tried.")
    confidence = serializers.FloatField(help_text="How well the described fault matched the procedure (0..1).")
    source = StepSourceSerializer(allow_null=True)
    requires_feedback = serializers.BooleanField()
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_null=True)
    run_status = serializers.CharField()


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

    @extend_schema_field(StepSerializer(allow_null=True))
    def get_step(self, obj) -> dict | None:
        # A chat turn passes the payload it has just built for this message (context "steps").
        steps = self.context.get("steps")
        if steps is not None and obj.id in steps:
            return steps[obj.id]
        return step_payload(obj.run_step) if obj.run_step_id else None


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

    @extend_schema_field(StepSerializer(allow_null=True))
    def get_current_step(self, obj) -> dict | None:
        step = session_current_step(session_id=obj.pk)
        return step_payload(step) if step is not None else None


@extend_schema_field(
    {
        "type": "string",
        # The turn refuses an empty or blank text (400 message_empty) and one longer than
        # CHAT_MAX_MESSAGE_CHARS (413 message_too_long), in the conversation's language; the schema
        # said "" and 100 000 characters were fine (found by the API fuzz).
        # (Under allOf: at the top, drf-spectacular would offer "" again because of allow_blank,
        # which the field keeps so that the turn answers a blank text in the operator's language.)
        "allOf": [{"minLength": 1, "pattern": NON_BLANK_PATTERN}],
        "maxLength": settings.CHAT_MAX_MESSAGE_CHARS,
    }
)
class _MessageTextField(serializers.CharField):
    pass


class MessageCreateInputSerializer(serializers.Serializer):
    content = _MessageTextField(trim_whitespace=True, allow_blank=True, max_length=100_000)
    client_message_id = serializers.RegexField(r"^[A-Za-z0-9._:-]{1,64}$", required=False, allow_blank=True)
    language = serializers.CharField(max_length=10, required=False, allow_blank=True, allow_null=True)


class StepFeedbackInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    client_message_id = serializers.RegexField(r"^[A-Za-z0-9._:-]{1,64}$", required=False, allow_blank=True)


class SessionResolveInputSerializer(serializers.Serializer):
    save_fix = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class SessionResolveOutputSerializer(serializers.Serializer):
    session = SessionOutputSerializer()
    fix_card_id = serializers.IntegerField(allow_null=True)

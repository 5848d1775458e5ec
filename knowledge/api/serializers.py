"""Serializers of the knowledge API (shapes of SPEC §4.1)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.schema import LanguageTagField
from core.text.languages import LANGUAGES, normalize_language

from ..models import Document, DocumentType


class LanguageField(LanguageTagField):
    """One of en, el, ar, es, tr, nb; 'no' (and regional tags) accepted as aliases."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not value:
            return None
        code = normalize_language(value)
        if code not in LANGUAGES:
            raise serializers.ValidationError("Use one of en, el, ar, es, tr, nb (or no).")
        return code


# What clean_machine_models accepts: V4.0, v3.1b, 4.0, all or *. The schema said "any string"
# while anything else is a 400 (found by the API fuzz).
_MACHINE_MODEL = r"([Vv]?[0-9]{1,2}\.[0-9]{1,2}[A-Za-z]?|[Aa][Ll][Ll]|\*)"


@extend_schema_field(
    {
        "type": "string",
        "pattern": rf"^\s*{_MACHINE_MODEL}?\s*$",
        "maxLength": 16,
        "description": "A machine model such as V4.0 or V3.1B; `all` (or empty) for every model.",
    }
)
class MachineModelField(serializers.CharField):
    """A machine model or nothing; the value is checked where it is read."""


@extend_schema_field({"type": "string", "pattern": rf"^\s*{_MACHINE_MODEL}\s*$", "maxLength": 16})
class _MachineModelItemField(serializers.CharField):
    """One model of a list: not blank."""


class SearchInputSerializer(serializers.Serializer):
    query = serializers.CharField(max_length=2000, trim_whitespace=True)
    k = serializers.IntegerField(min_value=1, max_value=50, default=5)
    machine_model = MachineModelField(max_length=16, required=False, allow_null=True, allow_blank=True)
    language = LanguageField(max_length=10, required=False, allow_null=True, allow_blank=True)

    def validate_machine_model(self, value):
        from ..validation import MachineModelsError, clean_machine_models

        if not value:
            return None
        try:
            models = clean_machine_models([value])
        except MachineModelsError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return models[0] if models else None


class SearchHitSerializer(serializers.Serializer):
    chunk_id = serializers.IntegerField()
    document_id = serializers.IntegerField()
    document_title = serializers.CharField()
    file_name = serializers.CharField()
    page_start = serializers.IntegerField()
    page_end = serializers.IntegerField()
    section = serializers.CharField()
    language = serializers.CharField()
    text = serializers.CharField()
    score = serializers.FloatField()


class SearchOutputSerializer(serializers.Serializer):
    results = SearchHitSerializer(many=True)
    abstained = serializers.BooleanField()
    took_ms = serializers.FloatField()


class DocumentUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    title = serializers.CharField(max_length=300, required=False, allow_blank=True)
    doc_type = serializers.ChoiceField(choices=DocumentType.choices, default=DocumentType.MANUAL)
    machine_models = serializers.ListField(
        child=_MachineModelItemField(max_length=16), required=False, default=list, max_length=10
    )
    # No null: a multipart form cannot send one ("" is "not set").
    language = LanguageField(max_length=10, required=False, allow_blank=True)
    revision = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class DocumentOutputSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    chunk_count = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Document
        fields = [
            "id", "title", "doc_type", "machine_models", "language", "revision", "file_name", "content_type",
            "size_bytes", "content_sha256", "status", "progress", "pages_done", "pages_total", "chunk_count",
            "error", "error_code", "replaces", "created_at", "updated_at", "ready_at",
        ]  # fmt: skip

    def get_progress(self, obj: Document) -> int:
        return obj.progress_percent

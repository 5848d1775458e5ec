"""Admin of the knowledge base: documents (upload, progress, contents, re-ingest, delete), chunks,
procedures with their steps, and the "search test" page.

Any staff member may look; only superusers and staff in the "Knowledge editors" group may change
anything. Writes to documents go through `knowledge.services` (never a model save), so the admin
behaves exactly like the API and the management commands.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin

from . import services
from .admin_views import (
    MachineModelsField,
    document_contents_context,
    document_file_view,
    document_upload_view,
    search_test_view,
)
from .models import Chunk, Document, DocumentStatus, Page, Procedure, ProcedureStep
from .permissions import is_knowledge_editor

EXCERPT_CHARS = 300


def _is_staff(request) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff)


def _is_editor(request) -> bool:
    # Asked many times per admin page (every model on the index, every inline): one query per request.
    if not hasattr(request, "_knowledge_editor"):
        request._knowledge_editor = is_knowledge_editor(request.user)
    return request._knowledge_editor


class KnowledgeEditorPermissions:
    """Staff may view; only knowledge editors may add, change or delete (issue #3, SPEC §3.1)."""

    def has_module_permission(self, request) -> bool:
        return _is_staff(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return _is_staff(request)

    def has_add_permission(self, request, obj=None) -> bool:
        return _is_editor(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return _is_editor(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return _is_editor(request)


class ReadOnlyForStaff(ReadOnlyAdminMixin, KnowledgeEditorPermissions):
    """Rows only ingestion writes (chunks): staff view them, nobody edits them by hand."""


def _chunk_counts():
    return (
        Chunk.objects.filter(document=OuterRef("pk")).order_by().values("document").annotate(n=Count("pk")).values("n")
    )


def _pages_label(start: int, end: int) -> str:
    return f"{start}" if start == end else f"{start}-{end}"


@admin.register(Document)
class DocumentAdmin(KnowledgeEditorPermissions, admin.ModelAdmin):
    list_display = (
        "title", "doc_type", "models_display", "language", "status_badge", "progress", "chunk_count", "pages",
        "updated_at",
    )  # fmt: skip
    list_filter = ("status", "doc_type", "language")
    search_fields = ("title", "file_name")
    actions = ["reingest_selected"]
    fieldsets = (
        (None, {"fields": ("title", "doc_type", "models_display", "language", "revision")}),
        (_("File"), {"fields": ("original_file", "content_type", "size", "content_sha256")}),
        (
            _("Ingestion"),
            {
                "fields": (
                    "status_badge",
                    "progress",
                    "chunk_count",
                    "pages_total",
                    "error_code",
                    "error",
                    "attempts",
                    "processing_started_at",
                    "ready_at",
                )
            },
        ),
        (_("History"), {"fields": ("replaces", "uploaded_by", "created_at", "updated_at")}),
    )
    readonly_fields = tuple(field for _name, options in fieldsets for field in options["fields"])

    def get_queryset(self, request):
        # A subquery, not a JOIN + GROUP BY: the changelist's COUNT(*) stays a plain count.
        return (
            super()
            .get_queryset(request)
            .annotate(chunk_count=Coalesce(Subquery(_chunk_counts(), output_field=models.IntegerField()), Value(0)))
        )

    # -- permissions -----------------------------------------------------------------------------

    def has_change_permission(self, request, obj=None) -> bool:
        # A document is never edited in place (its chunks were built from the stored metadata; a
        # correction is a new upload), so its page is view-only for everyone. Model-level "change"
        # remains an editor's right, which is what the changelist asks for.
        return obj is None and _is_editor(request)

    def has_reingest_permission(self, request) -> bool:
        return _is_editor(request)

    # -- columns ---------------------------------------------------------------------------------

    @admin.display(description=_("Machine models"))
    def models_display(self, obj: Document) -> str:
        return ", ".join(obj.machine_models) or _("All models")

    @admin.display(description=_("Status"), ordering="status")
    def status_badge(self, obj: Document):
        return format_html(
            '<span class="kb-badge kb-{}" title="{}">{}</span>', obj.status, obj.error, obj.get_status_display()
        )

    @admin.display(description=_("Progress"))
    def progress(self, obj: Document):
        percent = obj.progress_percent
        # A native <progress>: its fill needs no inline style, which the Content-Security-Policy forbids.
        return format_html(
            '<progress class="kb-progress kb-{status}" max="100" value="{percent}" title="{done} / {total}">'
            "{percent}%</progress>"
            '<span class="kb-progress-label">{done}/{total} · {percent}%</span>',
            status=obj.status,
            percent=percent,
            done=obj.pages_done,
            total=obj.pages_total,
        )

    @admin.display(description=_("Chunks"), ordering="chunk_count")
    def chunk_count(self, obj: Document) -> int:
        return obj.chunk_count

    @admin.display(description=_("Pages"), ordering="pages_total")
    def pages(self, obj: Document) -> int:
        return obj.pages_total

    @admin.display(description=_("Size"))
    def size(self, obj: Document) -> str:
        return filesizeformat(obj.size_bytes)

    @admin.display(description=_("File"))
    def original_file(self, obj: Document):
        if not obj.pk or not obj.file:
            return obj.file_name
        url = reverse("admin:knowledge_document_file", args=[obj.pk], current_app=self.admin_site.name)
        return format_html('<a href="{}">{}</a>', url, obj.file_name)

    # -- add (upload) and the document page -------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        return document_upload_view(request, model_admin=self, form_url=form_url, extra_context=extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(document_contents_context(request, obj))
            context["can_reingest"] = self.has_reingest_permission(request)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    # -- re-ingest and delete --------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"

        def search_test(request):
            return search_test_view(request, model_admin=self)

        def reingest(request, object_id):
            return self.reingest_view(request, object_id)

        def original_file(request, object_id):
            return document_file_view(request, object_id, model_admin=self)

        wrap = self.admin_site.admin_view
        return [
            path("search-test/", wrap(search_test), name=f"{prefix}_search_test"),
            path("<path:object_id>/reingest/", wrap(reingest), name=f"{prefix}_reingest"),
            path("<path:object_id>/file/", wrap(original_file), name=f"{prefix}_file"),
            *super().get_urls(),
        ]

    @admin.action(description=_("Re-ingest selected documents"), permissions=["reingest"])
    def reingest_selected(self, request, queryset):
        self._reingest(request, list(queryset))

    def reingest_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_reingest_permission(request):
            raise PermissionDenied
        document = self.get_object(request, unquote(object_id))
        if document is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        self._reingest(request, [document])
        return HttpResponseRedirect(
            reverse("admin:knowledge_document_change", args=[document.pk], current_app=self.admin_site.name)
        )

    def _reingest(self, request, documents: list[Document]) -> None:
        # A document a worker is ingesting right now would be ingested twice at once, and a
        # superseded revision would come back next to the one that replaced it: skip both. A
        # "processing" document nobody touched for a while is stuck and may be re-queued.
        stuck_before = timezone.now() - timedelta(seconds=settings.KNOWLEDGE_INGESTION["STUCK_AFTER_SECONDS"])
        queued, skipped = 0, []
        for document in documents:
            busy = document.status == DocumentStatus.PROCESSING and document.updated_at > stuck_before
            if busy or document.status == DocumentStatus.SUPERSEDED:
                skipped.append(document.title)
                continue
            services.document_reingest(document=document)
            queued += 1
        if queued:
            self.message_user(
                request,
                ngettext(
                    "%(count)d document was queued for ingestion.",
                    "%(count)d documents were queued for ingestion.",
                    queued,
                )
                % {"count": queued},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                _("Not re-ingested (being ingested right now, or replaced by a newer revision): %(titles)s")
                % {"titles": ", ".join(skipped)},
                messages.WARNING,
            )

    def delete_model(self, request, obj: Document) -> None:
        services.document_delete(document=obj)

    def delete_queryset(self, request, queryset) -> None:
        # Django's bulk delete would leave the stored files behind; the service removes them.
        for document in queryset:
            services.document_delete(document=document)

    def get_deleted_objects(self, objs, request):
        """Summarise what goes with the documents instead of listing every chunk and page."""
        documents = list(objs)
        ids = [document.pk for document in documents]
        deletable = [
            format_html(
                '{}: <a href="{}">{}</a>',
                capfirst(self.opts.verbose_name),
                reverse("admin:knowledge_document_change", args=[document.pk], current_app=self.admin_site.name),
                document,
            )
            for document in documents
        ]
        model_count = {
            Document._meta.verbose_name_plural: len(ids),
            Page._meta.verbose_name_plural: Page.objects.filter(document_id__in=ids).count(),
            Chunk._meta.verbose_name_plural: Chunk.objects.filter(document_id__in=ids).count(),
            Procedure._meta.verbose_name_plural: Procedure.objects.filter(document_id__in=ids).count(),
        }
        perms_needed = set() if self.has_delete_permission(request) else {self.opts.verbose_name}
        return deletable, model_count, perms_needed, []


@admin.register(Chunk)
class ChunkAdmin(ReadOnlyForStaff, admin.ModelAdmin):
    list_display = ("__str__", "document", "section", "pages", "language", "excerpt")
    list_filter = ("language",)
    search_fields = ("text", "section")
    list_select_related = ("document",)
    show_full_result_count = False
    fields = (
        "document", "ordinal", "section", "pages", "language", "models_display", "embedding_model", "text",
    )  # fmt: skip
    readonly_fields = fields

    def get_queryset(self, request):
        # 384 floats per row (twice while re-embedding) are never shown here.
        return super().get_queryset(request).defer("embedding", "embedding_next", "search_vector")

    @admin.display(description=_("Pages"), ordering="page_start")
    def pages(self, obj: Chunk) -> str:
        return _pages_label(obj.page_start, obj.page_end)

    @admin.display(description=_("Text"))
    def excerpt(self, obj: Chunk) -> str:
        return obj.text[:EXCERPT_CHARS] + ("…" if len(obj.text) > EXCERPT_CHARS else "")

    @admin.display(description=_("Machine models"))
    def models_display(self, obj: Chunk) -> str:
        return ", ".join(obj.machine_models) or _("All models")


class ProcedureAdminForm(forms.ModelForm):
    machine_models = MachineModelsField(label=_("Machine models"))

    class Meta:
        model = Procedure
        fields = ("title", "symptom", "machine_models", "language", "is_active", "origin", "document", "source_page")


class ProcedureStepInline(KnowledgeEditorPermissions, admin.TabularInline):
    model = ProcedureStep
    extra = 1
    ordering = ("order",)
    fields = ("order", "instruction", "safety_warning", "expected_outcome", "estimated_minutes", "source_page")
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 36})}}


@admin.register(Procedure)
class ProcedureAdmin(KnowledgeEditorPermissions, admin.ModelAdmin):
    form = ProcedureAdminForm
    inlines = [ProcedureStepInline]
    list_display = (
        "title", "origin", "language", "models_display", "step_count", "document", "is_active", "updated_at",
    )  # fmt: skip
    list_filter = ("origin", "language", "is_active")
    search_fields = ("title", "symptom")
    list_select_related = ("document",)
    autocomplete_fields = ("document",)
    fieldsets = (
        (
            None,
            {
                "fields": ("title", "symptom", "machine_models", "language", "is_active"),
                "description": _(
                    "Procedures extracted from a manual are re-created when that manual is re-ingested, "
                    "which discards edits to them. To keep an edited version, set its origin to "
                    "“Written by an expert” and deactivate the extracted one."
                ),
            },
        ),
        (_("Source"), {"fields": ("origin", "document", "source_page")}),
    )

    def get_queryset(self, request):
        steps = (
            ProcedureStep.objects.filter(procedure=OuterRef("pk"))
            .order_by()
            .values("procedure")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(step_count=Coalesce(Subquery(steps, output_field=models.IntegerField()), Value(0)))
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "document" and formfield is not None:
            # Documents are uploaded and changed on their own pages, not from a procedure's popup.
            widget = formfield.widget
            widget.can_add_related = widget.can_change_related = widget.can_delete_related = False
        return formfield

    @admin.display(description=_("Steps"), ordering="step_count")
    def step_count(self, obj: Procedure) -> int:
        return obj.step_count

    @admin.display(description=_("Machine models"))
    def models_display(self, obj: Procedure) -> str:
        return ", ".join(obj.machine_models) or _("All models")

    def save_formset(self, request, form, formset, change):
        if formset.model is ProcedureStep:
            _free_renumbered_steps(formset)
        super().save_formset(request, form, formset, change)


def _free_renumbered_steps(formset) -> None:
    """Move renumbered and deleted steps out of the way before the formset saves row by row.

    (procedure, order) is unique and PostgreSQL checks it per statement, so swapping steps 1 and 2
    would collide half-way. The formset already rejected duplicates among the submitted rows.
    """
    moving = [
        form.instance.pk
        for form in formset.initial_forms
        if form.instance.pk and (formset._should_delete_form(form) or "order" in form.changed_data)
    ]
    top = 32767  # PositiveSmallIntegerField's maximum; real procedures have a handful of steps
    for offset, pk in enumerate(moving):
        ProcedureStep.objects.filter(pk=pk).update(order=top - offset)

"""Custom admin pages of the knowledge base: the upload form, the "search test" page, and the
parts of a document's page that are not model fields (its chunks and pages, the original file).

The ModelAdmins in `knowledge.admin` route to these; writes go through `knowledge.services` and
searches through `knowledge.search`, exactly like the API does.
"""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models.functions import Length, Substr
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.text.languages import LANGUAGE_CHOICES

from .embeddings import EmbeddingError
from .models import Chunk, Document, DocumentStatus, DocumentType, Page
from .search import chunks_hybrid_search
from .services import UploadRejected, document_upload
from .validation import MachineModelsError, clean_machine_models

logger = logging.getLogger(__name__)

SEARCH_MODES = [
    ("hybrid", _("Hybrid (vector + full text)")),
    ("vector", _("Vector only")),
    ("text", _("Full text only")),
]
MAX_K = 50
EXCERPT_CHARS = 600
# Rows of chunks and of pages shown at once on a document's page (a manual has hundreds).
CONTENTS_PER_PAGE = 50
CONTENTS_EXCERPT_CHARS = 300


class MachineModelsField(forms.CharField):
    """Comma-separated machine models ("V4.0, V3.1B"); empty or "all" means every model."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault(
            "help_text", _("Comma separated, e.g. “V4.0, V3.1B”. Leave empty (or “all”) for every model.")
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        if isinstance(value, list | tuple):
            value = ", ".join(value)
        text = super().to_python(value)
        try:
            return clean_machine_models(text)
        except MachineModelsError as exc:
            raise ValidationError(str(exc), code="invalid_machine_models") from exc


class DocumentUploadForm(forms.Form):
    """What an editor fills in to upload a document. Saving is `services.document_upload`."""

    file = forms.FileField(
        help_text=_("PDF, DOCX, Markdown or plain text."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.md,.markdown,.txt,.text"}),
    )
    title = forms.CharField(
        max_length=300,
        required=False,
        help_text=_("Defaults to the file name."),
        widget=forms.TextInput(attrs={"class": "vTextField"}),
    )
    doc_type = forms.ChoiceField(label=_("Type"), choices=DocumentType.choices, initial=DocumentType.MANUAL)
    machine_models = MachineModelsField(label=_("Machine models"))
    language = forms.ChoiceField(
        choices=[("", _("Detect automatically")), *LANGUAGE_CHOICES],
        required=False,
        help_text=_("The language the document is written in."),
    )
    revision = forms.CharField(
        max_length=100, required=False, help_text=_("e.g. “Rev. 3 (2024-05)”. A document with the same title "
        "and type is replaced by this one once it is ready.")
    )  # fmt: skip


class SearchTestForm(forms.Form):
    q = forms.CharField(
        label=_("Query"), max_length=1000, widget=forms.TextInput(attrs={"class": "vTextField", "autofocus": True})
    )
    machine_model = forms.CharField(
        label=_("Machine model"), max_length=16, required=False, help_text=_("e.g. V4.0; empty = any model.")
    )
    language = forms.ChoiceField(
        label=_("Query language"),
        choices=[("", _("Unknown")), *LANGUAGE_CHOICES],
        required=False,
        help_text=_("Chooses the stemmer for full-text matching; every language is searched."),
    )
    k = forms.IntegerField(label=_("Results"), min_value=1, max_value=MAX_K, initial=5)
    mode = forms.ChoiceField(label=_("Mode"), choices=SEARCH_MODES, initial="hybrid")

    def clean_machine_model(self) -> str | None:
        try:
            models = clean_machine_models(self.cleaned_data["machine_model"])
        except MachineModelsError as exc:
            raise ValidationError(str(exc), code="invalid_machine_model") from exc
        if len(models) > 1:
            raise ValidationError(_("Give one machine model."), code="invalid_machine_model")
        return models[0] if models else None


def search_test_view(request, *, model_admin):
    """Staff type a query and see what retrieval returns, with every score (a GET form: shareable)."""
    form = SearchTestForm(request.GET if "q" in request.GET else None, initial={"k": 5, "mode": "hybrid"})
    result = None
    error = ""
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            result = chunks_hybrid_search(
                query=data["q"],
                k=data["k"],
                machine_model=data["machine_model"],
                language=data["language"] or None,
                mode=data["mode"],
            )
        except EmbeddingError as exc:
            # Full-text mode still works without the embedding backend; say so instead of a 500.
            logger.warning("search test: embedding backend failed (permanent=%s)", exc.permanent)
            error = _("The embedding backend is unavailable. Full-text mode still works.")
    rows = []
    if result is not None:
        for rank, hit in enumerate(result.results, start=1):
            rows.append(
                {
                    "rank": rank,
                    "hit": hit,
                    "excerpt": hit.text[:EXCERPT_CHARS],
                    "truncated": len(hit.text) > EXCERPT_CHARS,
                }
            )
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Search test"),
        "opts": opts,
        "form": form,
        "result": result,
        "rows": rows,
        "error": error,
        "abstain_below": settings.KNOWLEDGE_SEARCH["ABSTAIN_BELOW"],
        "ready_documents": Document.objects.filter(status=DocumentStatus.READY).count() if result else None,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/knowledge/search_test.html", context)


# Which upload field a service rejection belongs to; everything else is about the file itself.
_REJECTION_FIELDS = {
    "invalid_machine_models": "machine_models",
    "invalid_language": "language",
    "invalid_type": "doc_type",
}


def document_upload_view(request, *, model_admin, form_url="", extra_context=None):
    """The Document "add" page: an upload form whose save is `services.document_upload`."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    if request.method == "POST":
        form = DocumentUploadForm(request.POST, request.FILES)
        if form.is_valid():
            response = _upload(request, model_admin, form)
            if response is not None:
                return response
    else:
        form = DocumentUploadForm()

    admin_form = helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}, model_admin=model_admin)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Upload document"),
        "subtitle": None,
        "adminform": admin_form,
        "object_id": None,
        "original": None,
        "is_popup": False,
        "to_field": None,
        "media": model_admin.media + admin_form.media,
        "inline_admin_formsets": [],
        "errors": helpers.AdminErrorList(form, []),
        "preserved_filters": model_admin.get_preserved_filters(request),
        **(extra_context or {}),
    }
    return model_admin.render_change_form(request, context, add=True, form_url=form_url)


def _upload(request, model_admin, form: DocumentUploadForm) -> HttpResponseRedirect | None:
    """Store the upload; None (with the reason added to the form) when the service refuses it."""
    data = form.cleaned_data
    try:
        outcome = document_upload(
            uploaded_file=data["file"],
            title=data["title"],
            doc_type=data["doc_type"],
            machine_models=data["machine_models"],
            language=data["language"] or None,
            revision=data["revision"],
            uploaded_by=request.user,
        )
    except UploadRejected as exc:
        form.add_error(_REJECTION_FIELDS.get(exc.code, "file"), exc.reason)
        return None

    document = outcome.document
    site = model_admin.admin_site.name
    change_url = reverse("admin:knowledge_document_change", args=[document.pk], current_app=site)
    if not outcome.created:
        model_admin.message_user(
            request,
            format_html(gettext("This file was already uploaded as “{}”: nothing was added."), document.title),
            messages.WARNING,
        )
        return HttpResponseRedirect(change_url)

    model_admin.log_addition(request, document, [{"added": {}}])
    model_admin.message_user(
        request,
        format_html(gettext("“{}” was uploaded and queued for ingestion."), document.title),
        messages.SUCCESS,
    )
    if "_addanother" in request.POST:
        return HttpResponseRedirect(reverse("admin:knowledge_document_add", current_app=site))
    if "_continue" in request.POST:
        return HttpResponseRedirect(change_url)
    return HttpResponseRedirect(reverse("admin:knowledge_document_changelist", current_app=site))


def document_contents_context(request, document: Document) -> dict:
    """One page of the document's chunks and one of its pages (two queries each, bounded)."""
    chunks = (
        Chunk.objects.filter(document=document)
        .only("id", "ordinal", "section", "page_start", "page_end", "language", "machine_models")
        .annotate(excerpt=Substr("text", 1, CONTENTS_EXCERPT_CHARS), text_length=Length("text"))
        .order_by("ordinal")
    )
    pages = (
        Page.objects.filter(document=document)
        .only("id", "number")
        .annotate(excerpt=Substr("text", 1, CONTENTS_EXCERPT_CHARS), text_length=Length("text"))
        .order_by("number")
    )
    return {
        "excerpt_chars": CONTENTS_EXCERPT_CHARS,
        "chunks_pager": _pager(request, chunks, "chunks_page", "kb-chunks"),
        "pages_pager": _pager(request, pages, "pages_page", "kb-pages"),
    }


def _pager(request, queryset, param: str, anchor: str) -> dict:
    page = Paginator(queryset, CONTENTS_PER_PAGE).get_page(request.GET.get(param))

    def url(number: int) -> str:
        query = request.GET.copy()
        query[param] = number
        return f"?{query.urlencode()}#{anchor}"

    return {
        "page": page,
        "anchor": anchor,
        "previous_url": url(page.previous_page_number()) if page.has_previous() else "",
        "next_url": url(page.next_page_number()) if page.has_next() else "",
    }


def document_file_view(request, object_id, *, model_admin):
    """The uploaded original, for staff (MEDIA_ROOT is not served to the web)."""
    document = model_admin.get_object(request, unquote(object_id))
    if document is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    if not model_admin.has_view_permission(request, document):
        raise PermissionDenied
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The stored file is missing.")) from exc
    # An attachment, never rendered inline: an uploaded file is untrusted content.
    return FileResponse(handle, as_attachment=True, filename=document.file_name)

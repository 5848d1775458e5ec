"""Admin of the escalations app: the support agents' ticket queue, the ticket page, expert contacts.

Agents are staff in the "Support agents" group (migration 0002 gives it its permissions). Nothing
here writes a ticket directly: status changes, assignment, notes and publishing go through
`escalations.services` / `escalations.publishing`, exactly like the API, so each records its
TicketEvent and queues the operator's e-mail. The snapshot (transcript, steps, machine) is shown
read-only and escaped: it holds text operators typed.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from assistant.models import MessageRole
from core.admin import ReadOnlyAdminMixin

from . import emails, publishing, services
from .models import EmailDelivery, ExpertContact, Ticket, TicketEvent, TicketNote, TicketStatus
from .selectors import tickets_queue

SUPPORT_AGENTS_GROUP = "Support agents"


class TicketAgeFilter(admin.SimpleListFilter):
    title = _("age")
    parameter_name = "age"

    def lookups(self, request, model_admin):
        return [("lt1", _("less than 1 day")), ("1to7", _("1–7 days")), ("gt7", _("more than 7 days"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        day, week = now - timedelta(days=1), now - timedelta(days=7)
        if self.value() == "lt1":
            return queryset.filter(created_at__gt=day)
        if self.value() == "1to7":
            return queryset.filter(created_at__lte=day, created_at__gt=week)
        if self.value() == "gt7":
            return queryset.filter(created_at__lte=week)
        return queryset


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class EmailDeliveryInline(ReadOnlyInline):
    model = EmailDelivery
    fields = readonly_fields = ["kind", "recipients", "status", "attempts", "last_error", "sent_at"]
    verbose_name_plural = _("e-mails")


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = readonly_fields = ["created_at", "kind", "from_value", "to_value", "actor"]
    verbose_name_plural = _("history")


class TicketNoteInline(admin.TabularInline):
    """Existing notes are read-only (no change permission on rows); a new one goes through
    services.ticket_note_add in TicketAdmin.save_formset."""

    model = TicketNote
    fields = ["text", "author", "created_at"]
    readonly_fields = ["author", "created_at"]
    extra = 1
    can_delete = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("escalations.add_ticketnote")


TICKET_HEAD = ["number", "status", "priority", "reason", "assignee", "expert", "created_at", "resolved_at"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = [
        "number", "status", "priority", "reason", "machine", "language", "assignee", "age", "email_state",
    ]  # fmt: skip
    list_filter = ["status", "priority", "machine_model", "language", TicketAgeFilter]
    search_fields = ["number"]
    list_per_page = 50
    actions = ["assign_to_me", "mark_in_progress", "mark_resolved", "close", "publish_to_knowledge_base"]
    inlines = [TicketNoteInline, EmailDeliveryInline, TicketEventInline]

    class Media:
        css = {"all": ["escalations/admin.css"]}

    fieldsets = [
        (None, {"fields": TICKET_HEAD}),
        (_("Operator"), {"fields": ["user", "language", "contact_preference", "operator_notes", "session"]}),
        (_("Machine"), {"fields": ["machine_id", "machine_model", "machine_display"]}),
        (_("Assessment and steps tried"), {"fields": ["assessment_display", "steps_display"]}),
        (_("Conversation"), {"fields": ["transcript_display"]}),
        (_("Knowledge base"), {"fields": ["published_document"]}),
    ]
    readonly_fields = [
        "number", "status", "priority", "reason", "assignee", "expert", "created_at", "resolved_at", "user",
        "language", "contact_preference", "operator_notes", "session", "machine_id", "machine_model",
        "machine_display", "assessment_display", "steps_display", "transcript_display", "published_document",
    ]  # fmt: skip

    def get_queryset(self, request):
        queryset = tickets_queue()
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "escalations_ticket_changelist":
            # The queue never shows the conversation; 50 transcripts per page would be dead weight.
            queryset = queryset.defer("transcript", "attempted_steps", "assessment", "operator_notes")
        return queryset

    def has_add_permission(self, request) -> bool:
        return False  # only an escalation opens a ticket

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # the record of what an operator was told must stay

    def has_publish_permission(self, request) -> bool:
        return request.user.has_perm("escalations.publish_ticket")

    def save_model(self, request, obj, form, change):
        # Every field of the ticket is read-only here; changes come from the actions and services.
        pass

    def save_formset(self, request, form, formset, change):
        if formset.model is not TicketNote:
            return super().save_formset(request, form, formset, change)
        for note in formset.save(commit=False):
            if note.pk is None:
                created = services.ticket_note_add(ticket=form.instance, author=request.user, text=note.text)
                note.pk, note.author, note.created_at = created.pk, created.author, created.created_at

    # --- list columns ---------------------------------------------------------------------------

    @admin.display(description=_("machine"), ordering="machine_model")
    def machine(self, ticket: Ticket) -> str:
        name = (ticket.machine_snapshot or {}).get("machine", {}).get("name", "")
        return " ".join(part for part in [ticket.machine_model, name] if part) or "—"

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, ticket: Ticket) -> str:
        seconds = (timezone.now() - ticket.created_at).total_seconds()
        if seconds < 3600:
            return f"{max(1, int(seconds // 60))} min"
        if seconds < 86400:
            return f"{int(seconds // 3600)} h"
        return f"{int(seconds // 86400)} d"

    @admin.display(description=_("e-mail"))
    def email_state(self, ticket: Ticket) -> str:
        if getattr(ticket, "email_failed", False):
            return format_html('<strong class="ab-failed">{}</strong>', _("FAILED"))
        return "ok"

    # --- the ticket page -----------------------------------------------------------------------

    @admin.display(description=_("transcript"))
    def transcript_display(self, ticket: Ticket) -> str:
        if not ticket.transcript:
            return "—"
        labels = dict(MessageRole.choices)
        return format_html_join(
            "",
            '<div class="ab-transcript-turn"><strong>{}</strong> <small>{}</small><div class="ab-pre">{}</div></div>',
            (
                (labels.get(m.get("role"), m.get("role", "")), m.get("created_at", ""), m.get("content", ""))
                for m in ticket.transcript
            ),
        )

    @admin.display(description=_("steps tried"))
    def steps_display(self, ticket: Ticket) -> str:
        if not ticket.attempted_steps:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    s.get("procedure_title", ""),
                    s.get("number", ""),
                    s.get("instruction", ""),
                    s.get("outcome") or "—",
                    s.get("note", ""),
                    " p. ".join(str(p) for p in [s.get("document_title", ""), s.get("page")] if p),
                )
                for s in ticket.attempted_steps
            ),
        )
        header = "".join(f"<th>{h}</th>" for h in ["procedure", "#", "instruction", "outcome", "note", "source"])
        return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", mark_safe(header), rows)

    @admin.display(description=_("assessment"))
    def assessment_display(self, ticket: Ticket) -> str:
        if not ticket.assessment:
            return "—"
        return format_html('<div class="ab-pre">{}</div>', ticket.assessment)

    @admin.display(description=_("ABParts snapshot"))
    def machine_display(self, ticket: Ticket) -> str:
        snapshot = ticket.machine_snapshot or {}
        if not snapshot:
            return _("No machine data (no machine chosen, or ABParts was not available).")
        machine = snapshot.get("machine", {})
        hours = (snapshot.get("hours") or {}).get("value")
        facts = [
            ("name", machine.get("name")),
            ("model", machine.get("model_type")),
            ("serial", machine.get("serial_number")),
            ("status", machine.get("status")),
            ("organization", machine.get("organization_name")),
            ("location", machine.get("location")),
            ("hours", hours),
        ]
        suggestions = [
            f"{s.get('interval_hours')} h service {s.get('status', '').replace('_', ' ')}"
            for s in snapshot.get("suggestions", [])
        ]
        maintenance = [
            f"{str(r.get('date', ''))[:10]} {r.get('type', '')}: {r.get('description', '')}"
            for r in snapshot.get("maintenance", [])[:5]
        ]
        shown = ((name, value) for name, value in facts if value not in ("", None))
        table = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", shown)
        items = format_html_join("", "<li>{}</li>", ((line,) for line in suggestions + maintenance))
        raw = json.dumps(snapshot, indent=2, ensure_ascii=False)
        return format_html(
            "<table>{}</table><ul>{}</ul><details><summary>JSON</summary><pre>{}</pre></details>", table, items, raw
        )

    # --- actions -------------------------------------------------------------------------------

    @admin.action(description=_("Assign to me"), permissions=["change"])
    def assign_to_me(self, request, queryset):
        done = 0
        for ticket in queryset:
            try:
                services.ticket_assign(ticket=ticket, assignee=request.user, actor=request.user)
                done += 1
            except services.InvalidInput as exc:
                messages.error(request, f"{ticket.number}: {exc}")
        if done:
            messages.success(request, _("%(count)d ticket(s) assigned to you.") % {"count": done})

    def _status_action(self, request, queryset, status: str) -> None:
        done = 0
        for ticket in queryset:
            try:
                services.ticket_status_change(ticket=ticket, status=status, actor=request.user)
                done += 1
            except services.InvalidTransition as exc:
                messages.error(request, str(exc))
        if done:
            label = TicketStatus(status).label.lower()
            messages.success(request, _("%(count)d ticket(s) now %(status)s.") % {"count": done, "status": label})

    @admin.action(description=_("Mark in progress"), permissions=["change"])
    def mark_in_progress(self, request, queryset):
        self._status_action(request, queryset, TicketStatus.IN_PROGRESS)

    @admin.action(description=_("Mark resolved"), permissions=["change"])
    def mark_resolved(self, request, queryset):
        self._status_action(request, queryset, TicketStatus.RESOLVED)

    @admin.action(description=_("Close"), permissions=["change"])
    def close(self, request, queryset):
        self._status_action(request, queryset, TicketStatus.CLOSED)

    @admin.action(description=_("Publish to knowledge base"), permissions=["publish"])
    def publish_to_knowledge_base(self, request, queryset):
        for ticket in queryset:
            if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
                messages.error(
                    request, _("%(ticket)s is not resolved; only resolved or closed tickets can be published.")
                    % {"ticket": ticket.number},
                )  # fmt: skip
                continue
            try:
                document = publishing.ticket_publish(ticket=ticket, actor=request.user)
            except ValueError as exc:  # the publisher's refusal (e.g. nothing to publish), worded for staff
                messages.error(request, f"{ticket.number}: {exc}")
                continue
            messages.success(
                request,
                _("%(ticket)s published as “%(title)s” (document %(id)s, %(status)s).")
                % {"ticket": ticket.number, "title": document.title, "id": document.pk, "status": document.status},
            )


@admin.register(ExpertContact)
class ExpertContactAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "phone", "specialization", "languages", "reasons", "machine_models", "rank",
                    "is_active"]  # fmt: skip
    list_filter = ["is_active"]
    search_fields = ["name", "email", "specialization"]
    fields = ["name", "email", "phone", "hours", "specialization", "languages", "reasons", "machine_models", "rank",
              "is_active"]  # fmt: skip


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    """Every ticket e-mail and its delivery state (read-only: the e-mail tasks own these rows)."""

    list_display = ["ticket", "kind", "status", "attempts", "last_error", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["ticket__number"]
    list_select_related = ["ticket"]
    readonly_fields = [
        "ticket", "kind", "language", "recipients", "subject", "text_body", "status", "attempts", "last_error",
        "message_id", "dedupe_key", "created_at", "updated_at", "sent_at",
    ]  # fmt: skip
    exclude = ["html_body"]
    actions = ["retry_now"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # rows of the e-mail tasks; an edit form would race with a sending worker

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("escalations.change_emaildelivery")

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request, queryset):
        retried = [delivery for delivery in queryset if emails.email_delivery_retry(delivery=delivery)]
        if retried:
            messages.success(request, _("%(count)d e-mail(s) queued again.") % {"count": len(retried)})
        if len(retried) < len(queryset):
            messages.warning(request, _("E-mails already sent were left alone: an e-mail is never sent twice."))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

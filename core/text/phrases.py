"""Every fixed phrase the assistant says to an operator, in the six product languages.

The offline responder, API errors and notifications take their wording from here, never from string
literals of their own, so that a Greek conversation never shows an English sentence. The English text
is the gettext msgid; the translations live in `locale/<lang>/LC_MESSAGES/django.po` and are compiled
to `.mo` by `manage.py compile_translations` (pure Python, part of `make install`).

    phrase("step_header", "el", number=2, total=5)  ->  "Βήμα 2 από 5"

Placeholders are `str.format` names. A plural phrase (``Phrase.count`` set) picks its grammatical form
from that parameter, which must be a whole number (Arabic has six forms, so "{seconds} seconds" cannot
be one string).

Editing a phrase: change the English here, run `manage.py makemessages -l el -l ar -l es -l tr -l nb`,
translate the entries it marks fuzzy or empty, then `manage.py compile_translations`. The tests fail
until every language has a checked translation.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from .languages import FALLBACK_LANGUAGE, LANGUAGES, language_or_fallback

logger = logging.getLogger(__name__)

# Codes operators' clients send that are not our Django language codes. ABParts says `no` for
# Norwegian Bokmål; Nynorsk readers understand Bokmål far better than English.


@dataclass(frozen=True)
class Phrase:
    message: Promise
    # For plural phrases: the parameter whose value selects the singular/plural form.
    count: str | None = None


def _plural(message: Promise, count: str) -> Phrase:
    return Phrase(message, count=count)


# Keys are stable identifiers used by the code; the wording may change freely.
_CATALOG: dict[str, Phrase | Promise] = {
    # --- conversation -------------------------------------------------------------------------------
    "greeting": _(
        "Hello! I'm the AutoBoss assistant. Describe what your machine is doing and I'll help you fix it step by step."
    ),
    "ask_details": _(
        "Can you tell me more about the problem? For example: what the machine is doing, any alarm code, "
        "and when it started."
    ),
    "ask_machine": _("Which machine are you working on?"),
    "session_resumed": _("Welcome back. Here is where we left off."),
    "manual_says": _("Here is what the manual says:"),
    "likely_causes": _("Likely causes:"),
    "safety_first": _("Safety first:"),
    "expected_result": _("Expected result:"),
    "answer_from_manual_note": _("(This answer is quoted from the manual.)"),
    # Translators: a citation. {document} is a manual's title, {page} a page number.
    "source_page": _("Source: {document}, page {page}"),
    # Translators: a citation. {document} is a manual's title, {start}–{end} a page range.
    "source_pages": _("Source: {document}, pages {start}–{end}"),
    "abstain": _("I could not find this in the AutoBoss manuals, so I won't guess."),
    "llm_unavailable": _(
        "The assistant's language model is not available right now, so I'm answering directly from the manuals."
    ),
    # --- troubleshooting steps ----------------------------------------------------------------------
    # Translators: heading of a troubleshooting step card, e.g. "Step 2 of 5".
    "step_header": _("Step {number} of {total}"),
    # Translators: estimated time for a troubleshooting step.
    "step_minutes": _plural(ngettext_lazy("About {minutes} min", "About {minutes} min", "minutes"), "minutes"),
    "ask_outcome": _("Did this work? Tell me: it worked, partly, it didn't work, skip, or unsafe."),
    # The five answers an operator gives to a step (buttons in the widget); keep them as short as the
    # words used in "ask_outcome".
    "outcome_worked": pgettext_lazy("step outcome", "It worked"),
    "outcome_partially_worked": pgettext_lazy("step outcome", "Partly"),
    "outcome_didnt_work": pgettext_lazy("step outcome", "It didn't work"),
    "outcome_skipped": pgettext_lazy("step outcome", "Skip"),
    "outcome_unsafe": pgettext_lazy("step outcome", "Unsafe"),
    "next_step_after_failure": _("Let's try the next step."),
    "partially_worked": _("Good progress. Let's try the next step to finish the job."),
    "step_skipped": _("OK, we'll skip this step."),
    "step_not_current": _("That step is no longer active. Please answer the current step."),
    "steps_exhausted": _("We have tried every step in the manual for this problem."),
    "steps_failed": _plural(
        ngettext_lazy(
            "We have tried {count} step without success.", "We have tried {count} steps without success.", "count"
        ),
        "count",
    ),
    # Translators: {titles} are headings of manual sections about other faults with the same signs.
    "also_possible": _("Also possible: {titles}"),
    # Translators: how well the described fault matches the manual, e.g. "Confidence: 80 %".
    "diagnosis_confidence": _("Confidence: {percent} %"),
    # Translators: {date} like 2026-10-02; {step} a step quoted from the manual.
    "previous_fix": _("On {date}, the same problem on this machine was fixed by this step: {step}"),
    "unsafe_stop": _("Stop now and keep everyone clear of the machine. Do not continue with this step."),
    "resolved": _("Great, the problem is solved. Do you want to save this fix so other operators can use it?"),
    "fix_saved": _(
        "Thank you. Your fix has been saved and will be checked by an expert before other operators see it."
    ),
    # --- escalation ---------------------------------------------------------------------------------
    "no_procedure": _("The manuals have no step-by-step procedure for this fault."),
    "low_confidence_offer": _(
        "I am not sure this procedure matches your problem. If it does not, I can pass it to a human expert."
    ),
    "offer_escalation": _(
        "Would you like me to pass this to a human expert? They will receive the whole conversation."
    ),
    # Translators: {ticket} is a request number like AB-20261002-0001, {name} the expert's name.
    "escalation_created": _("Your request {ticket} has been sent to our experts. {name} will contact you."),
    "escalation_queued": _(
        "We could not send your request to the experts yet. It is saved and will be sent automatically."
    ),
    # Translators: {ticket} is a request number like AB-20261002-0001.
    "escalation_exists": _("This conversation has already been passed to an expert (request {ticket})."),
    # --- e-mails to the operator about a request (escalations/emails.py) ---------------------------
    # Translators: an e-mail subject. {ticket} is a request number like AB-20261002-0001.
    "email_confirmation_subject": _("We have received your request {ticket}"),
    # Translators: the salutation at the top of an e-mail; {name} is the operator's name.
    "email_greeting": _("Hello {name},"),
    "email_confirmation_intro": _(
        "Thank you for your request {ticket}. Our support team has received it together with your conversation "
        "with the assistant and the steps you have already tried."
    ),
    "email_next_steps": _(
        "What happens next: an expert reviews your request and contacts you. You do not need to send anything else."
    ),
    # Translators: followed by the expert's e-mail address, phone number and hours.
    "email_expert_assigned": _("Your expert is {name}. You can also reach them directly:"),
    "email_expert_pending": _("An expert from our support team will contact you."),
    # Labels in front of an expert's contact details.
    "email_label_email": pgettext_lazy("contact detail", "E-mail"),
    "email_label_phone": pgettext_lazy("contact detail", "Phone"),
    # Translators: in front of the times an expert can be reached, e.g. "Mon–Fri 08–16 CET".
    "email_label_hours": pgettext_lazy("contact detail", "Available"),
    # Translators: {preference} is the operator's own words, e.g. "by phone after 16:00".
    "email_contact_preference": _("You asked to be contacted: {preference}"),
    "email_request_number": _("Request number: {ticket}"),
    # Translators: an e-mail subject. {status} is one of the ticket_status phrases ("In progress").
    "email_status_subject": _("Your request {ticket}: {status}"),
    "email_status_changed": _("The status of your request {ticket} is now: {status}."),
    "email_status_note_open": _("Your request is open again and waiting for an expert."),
    "email_status_note_in_progress": _("An expert is now working on your request."),
    "email_status_note_resolved": _(
        "Your request has been marked as solved. If the problem comes back, start a new conversation with the "
        "assistant and mention this request number."
    ),
    "email_status_note_closed": _("Your request is now closed. Thank you for using the AutoBoss assistant."),
    "email_footer": _("This message was sent automatically by the AutoBoss assistant."),
    # The four states of a request (escalations.models.TicketStatus), as the operator sees them.
    "ticket_status_open": pgettext_lazy("ticket status", "Open"),
    "ticket_status_in_progress": pgettext_lazy("ticket status", "In progress"),
    "ticket_status_resolved": pgettext_lazy("ticket status", "Resolved"),
    "ticket_status_closed": pgettext_lazy("ticket status", "Closed"),
    # --- machine context ----------------------------------------------------------------------------
    "machine_hours": _plural(
        ngettext_lazy("This machine has {hours} operating hour.", "This machine has {hours} operating hours.", "hours"),
        "hours",
    ),
    # Translators: {interval} is a service interval in operating hours, e.g. "The 500 h service".
    "service_overdue": _("The {interval} h service is overdue."),
    # Translators: {interval} is a service interval in operating hours; {hours} the hours left.
    "service_due_soon": _plural(
        ngettext_lazy(
            "The {interval} h service is due in {hours} operating hour.",
            "The {interval} h service is due in {hours} operating hours.",
            "hours",
        ),
        "hours",
    ),
    # Translators: {date} is a date like 2026-10-02, {work} what was done ("nozzle filter replaced").
    "maintenance_history_note": _("On {date}, this was done on this machine: {work}."),
    # --- feedback and privacy -----------------------------------------------------------------------
    "thanks_feedback": _("Thank you for the feedback."),
    "not_stored_without_consent": _(
        "This conversation is not being saved because you have not agreed to storage. "
        "The assistant still works as usual."
    ),
    # --- errors -------------------------------------------------------------------------------------
    "error_generic": _("Something went wrong on our side. Please try again in a moment."),
    # The API's 500 body (core/api/errors.py says the same words).
    "server_error": _("Something went wrong on our side."),
    "service_unavailable": _("The service is temporarily unavailable. Please try again in a few minutes."),
    "message_empty": _("Please type a message."),
    "message_too_long": _plural(
        ngettext_lazy(
            "Your message is too long. Please keep it under {limit} character.",
            "Your message is too long. Please keep it under {limit} characters.",
            "limit",
        ),
        "limit",
    ),
    "request_too_large": _("The request is too large."),
    "unknown_machine": _("This machine is unknown, or it is not one of your organization's machines."),
    "unsupported_language": _("This language is not supported."),
    "unknown_machine_model": _("This machine model is unknown (for example V4.0 or V3.1B)."),
    "rate_limited": _plural(
        ngettext_lazy(
            "You are sending messages too quickly. Please wait {seconds} second and try again.",
            "You are sending messages too quickly. Please wait {seconds} seconds and try again.",
            "seconds",
        ),
        "seconds",
    ),
    "not_found": _("Not found."),
    "invalid_request": _("The request is not valid."),
    "not_authenticated": _("Please sign in again."),
    "permission_denied": _("You do not have access to this."),
    "session_closed": _("This conversation has ended. Start a new one to continue."),
}

PHRASES: Mapping[str, Phrase] = MappingProxyType(
    {key: entry if isinstance(entry, Phrase) else Phrase(entry) for key, entry in _CATALOG.items()}
)


def supported_languages() -> tuple[str, ...]:
    return LANGUAGES


@cache
def source_forms(key: str) -> tuple[str, ...]:
    """The English source of a phrase: one string, or (singular, plural) for a plural phrase."""
    entry = PHRASES[key]
    # override(None) deactivates every catalog, so gettext returns the msgid itself.
    with translation.override(None):
        if entry.count is None:
            return (str(entry.message),)
        # A lazy plural picks its form from the dict it is %-formatted with; our text has no % fields.
        return tuple(str(entry.message % {entry.count: n}) for n in (1, 2))


def placeholders(key: str) -> frozenset[str]:
    """The `str.format` parameter names a phrase needs."""
    return frozenset(
        name for text in source_forms(key) for _lit, name, _spec, _conv in string.Formatter().parse(text) if name
    )


def phrase(key: str, language: str | None = None, /, **params: object) -> str:
    """`key` rendered in `language` (any client tag, see `languages.language_or_fallback`), `params` filled in.

    `language=None` uses the active Django language (the request's, under LocaleMiddleware). Raises
    KeyError for an unknown key and TypeError when a parameter the phrase needs is missing. A
    translation whose placeholders are broken is logged and replaced by the English text: an operator
    gets a sentence, never an error.
    """
    entry = PHRASES[key]
    code = language_or_fallback(language if language is not None else translation.get_language())
    missing = placeholders(key) - params.keys()
    if missing:
        raise TypeError(f"phrase {key!r} needs {', '.join(sorted(missing))}")
    if entry.count is not None:
        params[entry.count] = _whole_number(key, entry.count, params[entry.count])
    try:
        with translation.override(code):
            return entry.message.format(**params)
    except (KeyError, IndexError, ValueError):
        if code == FALLBACK_LANGUAGE:
            raise
        logger.exception("broken %s translation of phrase %r; answering in English", code, key)
    with translation.override(FALLBACK_LANGUAGE):
        return entry.message.format(**params)


def _whole_number(key: str, name: str, value: object) -> int:
    # gettext selects plural forms by integer rules; a float would only draw a DeprecationWarning and
    # a string would crash inside the plural formula.
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
        raise TypeError(f"phrase {key!r}: {name} selects the plural form and must be a whole number, not {value!r}")
    return int(value)

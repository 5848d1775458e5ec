"""Facts about the operator's machine for a reply (SPEC §3.5): hours, services due, relevant history.

Read from ABParts (abparts.selectors.machine_context) and kept for a minute per machine, scope and
language: a conversation reads the same machine on every turn, and ABParts is another database.
ABParts being down or not seeded never breaks a chat turn: the reply just has no machine facts.

The machine is checked against the operator's organization at every use, not only when the
conversation was opened: session_start keeps an unchecked id while ABParts is down (the chat must
work), so a stored machine_id proves nothing (issue 11). The cache is keyed by the scope checked.
"""

from __future__ import annotations

import logging
import re
import threading
import time

from django.http import Http404

from abparts.context import MachineContext
from abparts.db import ABPartsUnavailable
from abparts.selectors import MachineScope, machine_context, machine_get_for_identity, machine_scope_for_user
from core.text.lexicon import fold
from core.text.phrases import phrase

logger = logging.getLogger(__name__)

_CACHE_SECONDS = 60.0
_cache: dict[tuple[str, MachineScope, str], tuple[float, MachineContext | None]] = {}
_lock = threading.Lock()
# Words of a maintenance record that make it relevant to a fault: 4+ letters, not filler.
_WORD = re.compile(r"\w{4,}", re.UNICODE)
_FILLER = frozenset(
    {"with", "from", "that", "this", "were", "have", "after", "check", "checked", "replaced", "machine"}
)
_HISTORY_NOTES = 2


def session_machine_context(session, language: str) -> MachineContext | None:
    """The context of the session's machine, or None (no machine, a machine the conversation's
    operator may not see, ABParts down)."""
    if not session.machine_id:
        return None
    scope = machine_scope_for_user(user_id=session.user_id)
    if scope is None:
        return None
    key = (session.machine_id, scope, language)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and now - cached[0] < _CACHE_SECONDS:
        return cached[1]
    context = _load(session.machine_id, scope, language)
    with _lock:
        _cache[key] = (now, context)
    return context


def forget_machine_contexts() -> None:
    with _lock:
        _cache.clear()


def machine_facts(*, session, language: str, topic: str = "") -> list[str]:
    """Sentences for the offline reply: hours, overdue / due-soon services, and maintenance records that
    concern `topic` (the fault's procedure): "On 2026-10-02, this was done on this machine: ...".
    """
    context = session_machine_context(session, language)
    if context is None:
        return []
    lines = []
    if context.hours is not None:
        lines.append(phrase("machine_hours", language, hours=round(context.hours.value)))
    for suggestion in context.suggestions:
        task = f" {_task_text(suggestion.tasks[0].task)}" if suggestion.tasks else ""
        if suggestion.status == "overdue":
            lines.append(phrase("service_overdue", language, interval=suggestion.interval_hours) + task)
        elif suggestion.hours_until_due is not None:
            hours = max(1, round(suggestion.hours_until_due))
            lines.append(phrase("service_due_soon", language, interval=suggestion.interval_hours, hours=hours) + task)
    lines.extend(
        # The phrase ends with its own full stop.
        phrase(
            "maintenance_history_note",
            language,
            date=f"{record.date:%Y-%m-%d}",
            work=record.description.strip().rstrip("."),
        )
        for record in _relevant_maintenance(context, topic)
    )
    return lines


def machine_prompt_text(session, language: str) -> str:
    """The machine as plain facts for the LLM prompt (fenced there as data)."""
    context = session_machine_context(session, language)
    if context is None:
        return ""
    machine = context.machine
    lines = [
        f"{machine.name}, model {machine.model_type}, serial {machine.serial_number}, status {machine.status}, "
        f"location {machine.location or 'unknown'}, under warranty: {'yes' if machine.under_warranty else 'no'}."
    ]
    if context.hours is not None:
        lines.append(f"Operating hours: {context.hours.value:g} (recorded {context.hours.recorded_date:%Y-%m-%d}).")
    for suggestion in context.suggestions:
        state = (
            f"overdue by {suggestion.hours_overdue:g} h"
            if suggestion.status == "overdue"
            else f"due in {suggestion.hours_until_due:g} h"
        )
        tasks = "; ".join(task.task for task in suggestion.tasks[:2])
        lines.append(f"The {suggestion.interval_hours} h service is {state}: {tasks}")
    for record in context.maintenance[:3]:
        parts = ", ".join(f"{p.name} ({p.part_number})" for p in record.parts)
        lines.append(
            f"{record.date:%Y-%m-%d} {record.type}: {record.description}" + (f" Parts: {parts}." if parts else "")
        )
    return "\n".join(lines)


def _load(machine_id: str, scope: MachineScope, language: str) -> MachineContext | None:
    try:
        machine = machine_get_for_identity(identity=scope, machine_id=machine_id)
        return machine_context(machine=machine, language=language)
    except Http404:
        logger.warning("machine %s is not visible to the conversation's operator: not used", machine_id)
        return None
    except ABPartsUnavailable:
        return None


def _task_text(row: str) -> str:
    """A schedule row "Every 1 000 operating hours | Replace valves ..." without its interval cell."""
    cells = [cell.strip() for cell in row.split(" | ") if cell.strip()]
    return " | ".join(cells[1:]) if len(cells) > 1 else row.strip()


def _relevant_maintenance(context: MachineContext, topic: str):
    words = _words(topic)
    if not words:
        return []
    relevant = []
    for record in context.maintenance:
        record_words = _words(" ".join([record.description, *(p.name for p in record.parts)]))
        if words & record_words:
            relevant.append(record)
    return relevant[:_HISTORY_NOTES]


def _words(text: str) -> set[str]:
    # Crude stemming: "nozzles" and "nozzle" meet at their first five letters.
    return {w[:5] for w in _WORD.findall(fold(text)) if w not in _FILLER}

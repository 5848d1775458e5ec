"""One chat turn: operator text in, a stored and cited assistant message out.

`turn_events()` is the whole turn as a generator of events, so the JSON endpoint and the
Server-Sent-Events endpoint share every line of logic:

    {"event": "token", "text": "..."}        a piece of the reply
    {"event": "reset"}                        drop the text so far (a fallback takes over)
    {"event": "citations", "citations": [..]} the sources of the reply
    {"event": "step", "step": {...} | None}   the troubleshooting step shown with the reply
    {"event": "done", "message": <Message>}   the stored reply; its content == the tokens since the last reset

The reply is stored even when the consumer stops iterating half-way (a client that disconnects):
`drain()` finishes the generator without sending anything.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from assistant import services
from assistant.metrics import CHAT_TURNS
from assistant.models import ChatSession, Message, MessageRole, SessionStatus
from assistant.providers import AllProvidersFailed, ChatRequest, StreamDone, StreamRestart, TokenDelta, get_llm_chain
from core.text.phrases import phrase
from troubleshooting.models import RunStep
from troubleshooting.presentation import step_payload

from . import memory, troubleshoot
from .grounding import Grounding, retrieve
from .language import resolve_reply_language
from .machine import machine_prompt_text
from .offline import offline_reply, small_talk
from .prompt import RULES_FINGERPRINT, build_messages
from .verify import ungrounded_numbers

logger = logging.getLogger(__name__)

# How many words the offline responder sends per token event (it has the whole text at once).
_OFFLINE_WORDS_PER_EVENT = 6
# "Not read yet" for the waiting troubleshooting step (None means: read, and there is none).
_UNREAD = object()
# A follow-up this short ("and then?", "still the same") is searched together with the last question.
_FOLLOW_UP_WORDS = 4


class TurnRejected(Exception):
    """The operator's message cannot be processed (empty, too long, ...). `code` is a phrase key."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class TurnInput:
    session: ChatSession
    text: str
    client_message_id: str = ""
    language: str | None = None  # explicit request for this turn
    preferred_language: str | None = None  # the operator's profile (ABParts)
    # An explicit answer to a troubleshooting step (the step-feedback endpoints): (step, outcome).
    # `text` is what the transcript shows (the note, or the outcome in the operator's language).
    step_outcome: tuple[RunStep, str] | None = None
    note: str = ""  # the operator's own words about the step, if any


def reply_language(turn: TurnInput) -> str:
    return resolve_reply_language(
        explicit=turn.language or turn.session.language or None, preferred=turn.preferred_language, text=turn.text
    )


def validate_text(text: str, language: str) -> str:
    text = (text or "").strip()
    if not text:
        raise TurnRejected("message_empty", phrase("message_empty", language))
    limit = settings.CHAT_MAX_MESSAGE_CHARS
    if len(text) > limit:
        raise TurnRejected("message_too_long", phrase("message_too_long", language, limit=limit), status=413)
    return text


@dataclass(frozen=True)
class CheckedText:
    """The operator's text as validate_text accepted it, and the reply language it was checked in.

    The API validates before it answers (a 400/413 cannot follow a started event stream) and hands
    this to the engine, which then neither resolves the language nor validates again; every other
    caller (the legacy widget endpoints, benchmarks) passes nothing and the engine checks itself.
    """

    text: str
    language: str


def check_text(turn: TurnInput) -> CheckedText:
    """Resolve the reply language and validate the text with it (raises TurnRejected)."""
    language = reply_language(turn)
    return CheckedText(validate_text(turn.text, language), language)


def run_turn(turn: TurnInput, *, checked: CheckedText | None = None) -> Message:
    """The JSON path: run the whole turn and return the stored assistant message."""
    return run_turn_with_step(turn, checked=checked)[0]


def run_turn_with_step(turn: TurnInput, *, checked: CheckedText | None = None) -> tuple[Message, dict | None]:
    """Run the whole turn; the stored assistant message and its `step` payload as the turn built it
    (so the API shows it without building it again)."""
    message = step = None
    for event in turn_events(turn, checked=checked):
        if event["event"] == "step":
            step = event["step"]
        elif event["event"] == "done":
            message = event["message"]
    assert message is not None
    return message, step


def drain(events: Iterator[dict]) -> None:
    """Finish a turn whose consumer went away, so the reply is stored anyway."""
    for _ in events:
        pass


def turn_events(turn: TurnInput, *, checked: CheckedText | None = None) -> Iterator[dict]:
    """The turn as events. `checked`: the text as the caller already validated it (check_text), so
    language detection and validation do not run twice on the hot path."""
    started = time.perf_counter()
    session = turn.session
    checked = checked or check_text(turn)
    language, text = checked.language, checked.text
    user_message, existing_reply = _record_user_message(session, text, turn.client_message_id, language)
    if existing_reply is not None:
        # A retried POST (same client_message_id): replay the stored turn, create nothing.
        yield from _replay(existing_reply)
        return
    # From here on the turn works with the text as stored: personal data replaced by message_create
    # (part numbers, codes and readings kept), so no search, step note or prompt sees it.
    text = user_message.content

    intent, grounding, step_reply, waiting = _understand(turn, user_message, text, language)

    reply_text = ""
    model_used = "offline"
    usage = (0, 0)
    llm_ms = 0.0
    # An unmatched fault is answered like a question (from the manual, by the LLM when configured),
    # and always ends with the offer of an expert.
    unmatched_fault = intent == "unmatched_fault"
    if unmatched_fault:
        intent = None
    wants_llm = intent is None and grounding is not None and not grounding.abstained
    if step_reply is not None:
        wants_llm = bool(step_reply.llm_task)  # an ended run is told in fixed phrases
    chain = get_llm_chain() if wants_llm else None
    if chain is not None:
        task = step_reply.llm_task if step_reply is not None else ""
        outcome = yield from _generate_with_llm(chain, session, user_message, grounding, language, task=task)
        if outcome is not None:
            reply_text, model_used, usage, llm_ms = outcome
    if not reply_text:
        if step_reply is not None:
            reply_text = step_reply.offline_text
        else:
            reply_text = offline_reply(grounding=grounding, language=language, intent=intent)
            if unmatched_fault:
                reply_text = _unmatched_fault_text(reply_text, grounding, language)
        yield from _stream_words(reply_text)
    elif unmatched_fault:
        offer = "\n\n" + phrase("offer_escalation", language)
        reply_text += offer
        yield {"event": "token", "text": offer}

    citations = grounding.citations if grounding is not None and not grounding.abstained else []
    yield {"event": "citations", "citations": citations}
    if step_reply is not None:
        shown = step_reply.step
    else:  # an ordinary answer; a run's waiting step stays on screen
        shown = troubleshoot.current_step(session) if waiting is _UNREAD else waiting
    yield {"event": "step", "step": step_payload(shown) if shown is not None else None}
    message = _store_reply(
        session=session,
        user_message=user_message,
        text=reply_text,
        language=language,
        citations=citations,
        abstained=bool(step_reply is None and grounding is not None and grounding.abstained),
        offers_escalation=bool(
            (step_reply is not None and step_reply.offers_escalation)
            or (step_reply is None and grounding is not None and grounding.abstained)
            or unmatched_fault
        ),
        run_step=shown,
        model_used=model_used,
        usage=usage,
        latency_ms=(time.perf_counter() - started) * 1000,
        llm_ms=llm_ms,
    )
    CHAT_TURNS.labels(language=language, responder="offline" if model_used == "offline" else "llm").inc()
    yield {"event": "done", "message": message}


def _understand(turn: TurnInput, user_message: Message, text: str, language: str):
    """What kind of turn this is: (small-talk intent, grounding, troubleshooting reply, waiting step).

    An answer to the waiting troubleshooting step (explicit, or recognised in the text) moves the run
    on without a search; anything else is searched, and a described fault may start a run. The
    waiting step is returned when it was read (_UNREAD otherwise), so the turn reads it once.
    """
    session = turn.session
    if turn.step_outcome is not None:
        step, outcome = turn.step_outcome
        note = (
            services.operator_text_redact(
                user_id=session.user_id, text=turn.note, language=language, source="step_note"
            )
            if turn.note
            else ""
        )
        step_reply = troubleshoot.answer_outcome(step=step, outcome=outcome, note=note, language=language)
        return None, _step_grounding(step_reply, text, language), step_reply, _UNREAD
    intent = small_talk(text)
    if intent is not None:
        return intent, None, None, _UNREAD
    waiting = troubleshoot.current_step(session)
    # Checking whether an answer describes a new fault searches and matches the text; a new fault
    # then reuses that search and those matches instead of running them again.
    faults = troubleshoot.TurnFaults()
    outcome = troubleshoot.pending_outcome(step=waiting, text=text, language=language, faults=faults)
    if outcome is not None:
        step_reply = troubleshoot.answer_outcome(step=waiting, outcome=outcome, note=text, language=language)
        return None, _step_grounding(step_reply, text, language), step_reply, _UNREAD
    query = _retrieval_query(session, user_message)
    grounding = faults.grounding_for(query=query, machine_model=session.machine_model) or retrieve(
        query=query, language=language, machine_model=session.machine_model
    )
    fault = troubleshoot.start_if_fault(
        session=session, text=text, language=language, grounding=grounding, faults=faults
    )
    if fault.reply is not None:
        return None, _step_grounding(fault.reply, text, language), fault.reply, _UNREAD
    if fault.unmatched_fault:
        # A fault no procedure fits: what the manual says (if anything), and an expert, always.
        return "unmatched_fault", grounding, None, waiting
    return None, grounding, None, waiting


def _unmatched_fault_text(answer: str, grounding: Grounding | None, language: str) -> str:
    """The offline reply to a fault no procedure fits: say so, quote what the manual has, offer an expert."""
    if grounding is None or grounding.abstained:
        return answer  # the abstention already ends with the offer
    return "\n\n".join([phrase("no_procedure", language), answer, phrase("offer_escalation", language)])


def _step_grounding(step_reply, text: str, language: str) -> Grounding:
    # A step's reply is grounded in the step's own manual section (first) and the turn's best hits.
    return Grounding(query=text, language=language, abstained=False, sources=step_reply.sources)


def _retrieval_query(session: ChatSession, user_message: Message) -> str:
    text = user_message.content
    if len(text.split()) > _FOLLOW_UP_WORDS:
        return text
    previous = (
        Message.objects.filter(session=session, role=MessageRole.USER, seq__lt=user_message.seq)
        .order_by("-seq")
        .values_list("content", flat=True)
        .first()
    )
    return f"{previous}\n{text}" if previous else text


def _generate_with_llm(
    chain, session: ChatSession, user_message: Message, grounding: Grounding, language: str, *, task: str = ""
):
    """Stream from the LLM chain; returns (text, model, (prompt, completion), llm_ms) or None to fall back."""
    history = memory.recent_history(session, before_seq=user_message.seq)
    machine_context = machine_prompt_text(session, language)
    request = ChatRequest(
        messages=build_messages(
            grounding=grounding,
            language=language,
            user_text=user_message.content,
            history=history,
            summary=session.summary,
            machine_context=machine_context,
            task=task,
        ),
        language=language,
        max_tokens=settings.LLM_MAX_TOKENS,
        grounding=grounding,
    )
    pieces: list[str] = []
    llm_started = time.perf_counter()
    try:
        for event in chain.stream(request):
            if isinstance(event, TokenDelta):
                pieces.append(event.text)
                yield {"event": "token", "text": event.text}
            elif isinstance(event, StreamRestart):
                if pieces:
                    pieces.clear()
                    yield {"event": "reset"}
            elif isinstance(event, StreamDone):
                result = event.result
                text = "".join(pieces).strip()
                problem = _reply_problem(text, grounding, user_message.content, machine_context)
                if problem:
                    logger.warning("LLM reply rejected (%s); answering from the manual", problem)
                    yield {"event": "reset"}
                    return None
                return (
                    "".join(pieces),
                    result.model,
                    (result.prompt_tokens, result.completion_tokens),
                    (time.perf_counter() - llm_started) * 1000,
                )
    except AllProvidersFailed:
        logger.warning("every LLM provider failed; answering from the manual")
    if pieces:
        yield {"event": "reset"}
    return None


def _reply_problem(text: str, grounding: Grounding, user_text: str, machine_context: str = "") -> str | None:
    if not text:
        return "empty reply"
    if RULES_FINGERPRINT in text:
        return "reply leaks the system rules"
    # The machine's own facts (hours, service dates) were in the prompt: quoting them is not inventing.
    invented = ungrounded_numbers(text, grounding.source_text(), user_text, machine_context)
    if invented:
        return f"numbers not in the sources: {sorted(invented)[:5]}"
    return None


def _stream_words(text: str) -> Iterator[dict]:
    words = text.split(" ")
    for start in range(0, len(words), _OFFLINE_WORDS_PER_EVENT):
        piece = " ".join(words[start : start + _OFFLINE_WORDS_PER_EVENT])
        yield {"event": "token", "text": piece if start + _OFFLINE_WORDS_PER_EVENT >= len(words) else piece + " "}


def _replay(reply: Message) -> Iterator[dict]:
    yield {"event": "token", "text": reply.content}
    yield {"event": "citations", "citations": reply.citations}
    yield {"event": "step", "step": step_payload(reply.run_step) if reply.run_step_id else None}
    yield {"event": "done", "message": reply}


def _record_user_message(
    session: ChatSession, text: str, client_message_id: str, language: str
) -> tuple[Message, Message | None]:
    """Store the operator's message (once per client_message_id); return it and any stored reply."""
    with transaction.atomic():
        locked = ChatSession.objects.select_for_update().get(pk=session.pk)
        if client_message_id:
            existing = Message.objects.filter(session=locked, client_message_id=client_message_id).first()
            if existing is not None:
                reply = Message.objects.filter(reply_to=existing).first()
                return existing, reply
        # No savepoint for a duplicate client_message_id: every writer holds the session's row
        # lock and has checked for that id after taking it, so the unique constraint is a backstop.
        message = services.message_create(
            locked_session=locked, role=MessageRole.USER, content=text, language=language,
            client_message_id=client_message_id,
        )  # fmt: skip
        if locked.status in (SessionStatus.RESOLVED, SessionStatus.ABANDONED):
            # The operator came back to a finished conversation: it is live again.
            services.session_status_set(session_id=locked.pk, status=SessionStatus.ACTIVE)
    return message, None


def _store_reply(
    *, session, user_message, text, language, citations, abstained, offers_escalation, run_step, model_used, usage,
    latency_ms, llm_ms,
) -> Message:  # fmt: skip
    with transaction.atomic():
        locked = ChatSession.objects.select_for_update().get(pk=session.pk)
        existing = Message.objects.filter(reply_to=user_message).first()
        if existing is not None:  # a concurrent retry answered first
            return existing
        message = services.message_create(
            locked_session=locked,
            role=MessageRole.ASSISTANT,
            content=text,
            language=language,
            reply_to=user_message,
            citations=citations,
            abstained=abstained,
            offers_escalation=offers_escalation,
            run_step=run_step,
            model_used=model_used[:100],
            prompt_tokens=usage[0],
            completion_tokens=usage[1],
            latency_ms=round(latency_ms),
            llm_latency_ms=round(llm_ms),
        )
        memory.summary_extend(locked, keep_last=settings.CHAT_MEMORY_MAX_MESSAGES, last_seq=message.seq)
        services.session_summary_save(locked_session=locked)
    return message

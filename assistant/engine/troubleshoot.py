"""The troubleshooting part of a chat turn (SPEC §3.3).

A turn is a troubleshooting turn when
* the client reports a step's outcome explicitly (step-feedback endpoints), or
* a step is waiting for an answer and the operator's text is one ("yes, that fixed it", "δεν
  δούλεψε") — troubleshooting.outcomes classifies it, or
* the text describes a fault (troubleshooting.faults) and a procedure fits it for this machine
  model (troubleshooting.matching): a run starts with the single most promising step.

Anything else is an ordinary question; if a run is active its current step stays on screen.
Which step comes next, when a run ends and what is learned is decided in troubleshooting.services.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.text.phrases import phrase
from knowledge.search import SearchHit
from troubleshooting import selectors as runs
from troubleshooting import services as run_services
from troubleshooting.faults import FaultSignal, fault_signal, is_question
from troubleshooting.matching import ProcedureMatch, procedures_for_fault, uncovered_parts
from troubleshooting.models import EndReason, Outcome, RunStatus, RunStep, TroubleshootingRun
from troubleshooting.outcomes import outcome_from_text
from troubleshooting.presentation import step_source, step_text

from .grounding import Grounding, retrieve
from .machine import machine_facts, session_machine_context
from .offline import quote
from .prompt import fence

# How much of the manual's description of the fault the assessment quotes.
_SYMPTOM_QUOTE_CHARS = 300
# Another procedure is "also possible" when it matches almost as well as the best one.
_ALSO_WITHIN = 0.03
# An answer this short ("no, still low") is an answer, not a new fault description.
_NEW_FAULT_MIN_WORDS = 5
# Safety warnings of the procedure repeated in the assessment (each step shows its own too).
_ASSESSMENT_WARNINGS = 2


@dataclass(frozen=True)
class StepReply:
    """What a troubleshooting turn says and shows."""

    run: TroubleshootingRun
    step: RunStep | None  # the step shown with this reply (None when the run has just ended)
    offline_text: str  # the complete reply without an LLM
    llm_task: str = ""  # when set, an LLM may write the reply instead (it must show `step`)
    sources: tuple[SearchHit, ...] = field(default_factory=tuple)  # the step's own section first
    offers_escalation: bool = False


@dataclass
class TurnFaults:
    """Fault recognition of one turn, done once: checking whether a step answer describes another
    fault searches and matches the same words as the turn's own fault check, which reuses them."""

    signal: FaultSignal | None = None  # fault_signal(text) without the search's concepts
    grounding: Grounding | None = None
    machine_model: str | None = None  # the model `grounding` and `matches` were computed for
    matches: list[ProcedureMatch] | None = None

    def grounding_for(self, *, query: str, machine_model: str | None) -> Grounding | None:
        """The search already run for this query and model, if any."""
        if (
            self.grounding is not None
            and self.grounding.query == query
            and self.machine_model == (machine_model or None)
        ):
            return self.grounding
        return None


def current_step(session) -> RunStep | None:
    """The step of the session's active run that waits for an answer."""
    return runs.session_current_step(session_id=session.pk)


def pending_outcome(*, step: RunStep | None, text: str, language: str, faults: TurnFaults | None = None) -> str | None:
    """The outcome when the operator's text answers `step` (the step waiting for an answer).
    `faults` keeps what checking for a new fault computed, for the rest of the turn."""
    if step is None:
        return None
    outcome = outcome_from_text(text, language)
    if outcome is None or (
        outcome != Outcome.WORKED and _describes_another_fault(step, text, language, faults or TurnFaults())
    ):
        return None
    return outcome


def _describes_another_fault(step: RunStep, text: str, language: str, faults: TurnFaults) -> bool:
    """ "Now the rotor does not turn either" reads like `didnt_work`, but it is a new problem."""
    if len(text.split()) < _NEW_FAULT_MIN_WORDS:
        return False
    faults.signal = fault_signal(text, language)
    if not faults.signal.is_fault:
        return False
    run = step.run
    machine_model = run.machine_model or None
    grounding = retrieve(query=text, language=language, machine_model=machine_model)
    matches = procedures_for_fault(
        text=text, language=language, machine_model=run.machine_model, candidates=grounding.candidates,
        query_vector=grounding.query_vector,
    )  # fmt: skip
    faults.grounding, faults.machine_model, faults.matches = grounding, machine_model, matches
    return bool(matches) and matches[0].fits and matches[0].procedure.id != run.procedure_id


@dataclass(frozen=True)
class FaultTurn:
    """What a turn that is not a step answer says about a fault: a started run, or a fault no
    procedure fits (answered from the manual, with an expert offered), or no fault at all."""

    reply: StepReply | None = None
    unmatched_fault: bool = False


def start_if_fault(
    *, session, text: str, language: str, grounding: Grounding, faults: TurnFaults | None = None
) -> FaultTurn:
    """Start a run when `text` describes a fault that a procedure covers. `faults`: what this turn
    already recognised (pending_outcome), reused when it was computed for `grounding`."""
    faults = faults or TurnFaults()
    # The concepts only add cues: a fault without them is a fault with them.
    signal = faults.signal
    if signal is None or not signal.is_fault:
        signal = fault_signal(text, language, concepts=grounding.concepts)
    # The word lists and the glossary are signals, not a gate: a statement about the machine that a
    # procedure fits well is a fault report even in words no list knows. A question without a
    # fault cue is never one, so its procedures are not looked up.
    asks = not signal.is_fault and is_question(text)
    if asks:
        return FaultTurn()
    matches = faults.matches if faults.grounding is grounding and faults.matches is not None else None
    if matches is None:
        matches = procedures_for_fault(
            text=text, language=language, machine_model=session.machine_model, candidates=grounding.candidates,
            query_vector=grounding.query_vector,
        )  # fmt: skip
    best = matches[0] if matches else None
    is_fault = signal.is_fault or (best is not None and best.fits)
    if not is_fault:
        return FaultTurn()
    unsupported = bool(grounding.unsupported)
    # Which parts no procedure mentions matters only when it decides (a fit between MIN_FIT and
    # UNCOVERED_PART_FIT); it costs a round trip, so it is looked up only then.
    decides = (
        best is not None
        and best.fits_with(unsupported=unsupported, uncovered=False)
        and not (best.fits_with(unsupported=unsupported, uncovered=True))
    )
    uncovered = decides and bool(uncovered_parts(concepts=grounding.concepts, machine_model=session.machine_model))
    if best is None or not best.fits_with(unsupported=unsupported, uncovered=uncovered):
        return FaultTurn(unmatched_fault=True)
    # Only a machine verified for the operator now joins the run (and so its history).
    machine = session_machine_context(session, language)
    run, step = run_services.run_start(
        session=session, match=best, symptom=text, language=language,
        machine_id=str(machine.machine.id) if machine is not None else "",
    )  # fmt: skip
    source = step_source(step)
    assessment = _assessment(run, matches, language, session)
    closing = [phrase("ask_outcome", language)]
    if not best.confident:
        closing.append(phrase("low_confidence_offer", language))
    offline = "\n\n".join([*assessment, step_text(step, run, language), *closing])
    task = (
        "The operator describes a fault. First give a short diagnostic assessment (two or three sentences: the "
        "likely causes and any safety warnings, from the excerpts). Then give ONLY the troubleshooting step "
        f"below, in your own words but keeping every value exactly, its safety warning first:\n{_step_block(step)}\n"
        "Do not give any other step. End by asking whether it worked."
    )
    reply = StepReply(
        run, step, offline, task, _sources(source, grounding.sources), offers_escalation=not best.confident
    )
    return FaultTurn(reply=reply)


def answer_outcome(*, step: RunStep, outcome: str, note: str, language: str) -> StepReply:
    """Record `outcome` for `step` and say what happens next (the next step, or the end of the run)."""
    try:
        result = run_services.run_record_outcome(run_step=step, outcome=outcome, note=note)
    except run_services.StepNotCurrent:
        # Answered twice with different outcomes, or the run ended meanwhile: say so, show what is current.
        current = runs.session_current_step(session_id=step.run.session_id)
        parts = [phrase("step_not_current", language)]
        if current is not None:
            parts.append(step_text(current, current.run, language))
        return StepReply(current.run if current else step.run, current, "\n\n".join(parts))
    run, next_step = result.run, result.next_step
    lead = {
        Outcome.DIDNT_WORK: "next_step_after_failure",
        Outcome.PARTIALLY_WORKED: "partially_worked",
        Outcome.SKIPPED: "step_skipped",
    }.get(outcome)
    if next_step is not None:
        source = step_source(next_step)
        parts = [phrase(lead, language)] if lead else []
        parts += [step_text(next_step, run, language), phrase("ask_outcome", language)]
        task = (
            f"The operator tried the previous step; the result: {outcome.replace('_', ' ')}. Acknowledge it in "
            "a few words, then give ONLY the next troubleshooting step below, in your own words but keeping "
            f"every value exactly, its safety warning first:\n{_step_block(next_step)}\n"
            "Do not give any other step. End by asking whether it worked."
        )
        return StepReply(run, next_step, "\n\n".join(parts), task, _sources(source, ()))
    return StepReply(run, None, _ending(run, language), offers_escalation=run.status == RunStatus.NEEDS_EXPERT)


def _ending(run: TroubleshootingRun, language: str) -> str:
    if run.status == RunStatus.RESOLVED:
        return phrase("resolved", language)
    if run.end_reason == EndReason.UNSAFE:
        return "\n\n".join([phrase("unsafe_stop", language), phrase("offer_escalation", language)])
    if run.end_reason == EndReason.STEPS_EXCEEDED:
        return "\n\n".join(
            [phrase("steps_failed", language, count=run.failed_steps), phrase("offer_escalation", language)]
        )
    return "\n\n".join([phrase("steps_exhausted", language), phrase("offer_escalation", language)])


def _assessment(run: TroubleshootingRun, matches: list[ProcedureMatch], language: str, session) -> list[str]:
    procedure = matches[0].procedure
    cause = procedure.title
    if procedure.symptom and procedure.symptom != procedure.title:
        cause = f"{procedure.title}: {quote(procedure.symptom, _SYMPTOM_QUOTE_CHARS)}"
    parts = [f"{phrase('likely_causes', language)}\n{cause}"]
    best = matches[0].score
    others = list(
        dict.fromkeys(
            m.procedure.title
            for m in matches[1:]
            if m.procedure.title != procedure.title and m.fits and m.score >= best - _ALSO_WITHIN
        )
    )
    if others:
        parts.append(phrase("also_possible", language, titles="; ".join(others[:2])))
    steps = list(procedure.steps.order_by("order").values_list("instruction", "safety_warning"))
    warnings = list(dict.fromkeys(warning for _, warning in steps if warning))
    if warnings:
        parts.append(
            "\n".join([phrase("safety_first", language), *(f"⚠ {w}" for w in warnings[:_ASSESSMENT_WARNINGS])])
        )
    parts.append(phrase("diagnosis_confidence", language, percent=round(run.confidence * 100)))
    history = [
        phrase("previous_fix", language, date=f"{fix.answered_at:%Y-%m-%d}", step=fix.instruction)
        for fix in runs.previous_fixes(run=run)
    ]
    topic = " ".join([procedure.title, procedure.symptom, *(instruction for instruction, _ in steps)])
    facts = machine_facts(session=session, language=language, topic=topic)
    parts.extend(line for line in [*facts, *history] if line)
    return parts


def _step_block(step: RunStep) -> str:
    lines = [f'<current_step number="{step.number}">', fence(step.instruction)]
    if step.safety_warning:
        lines.append(f"Safety warning: {fence(step.safety_warning)}")
    if step.expected_outcome:
        lines.append(f"Expected result: {fence(step.expected_outcome)}")
    lines.append("</current_step>")
    return "\n".join(lines)


def _sources(source: SearchHit | None, hits) -> tuple[SearchHit, ...]:
    ordered = [source] if source is not None else []
    ordered += [h for h in hits if source is None or h.chunk_id != source.chunk_id]
    return tuple(ordered[:4])

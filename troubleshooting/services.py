"""Write operations of troubleshooting runs: start a run, record a step's outcome, save a fix.

The chat turn (assistant/engine/turn.py) decides *when* (a fault was described, an outcome was
given); these functions decide *what*: which step comes next, when a run ends, what is learned.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.errors import InvalidInput
from core.redaction import redact_recorded
from knowledge.models import ProcedureStep

from .matching import ProcedureMatch
from .metrics import RUNS_ENDED, RUNS_STARTED, STEP_OUTCOMES
from .models import EndReason, FixCard, Outcome, RunStatus, RunStep, StepStat, TroubleshootingRun
from .ordering import (
    RULED_OUT,
    RankedStep,
    StepCounts,
    observed_success_rate,
    outcome_counts,
    rank_steps,
    step_key,
    unreached_credit,
)
from .signals import run_resolved


class StepNotCurrent(Exception):
    """The step was already answered differently, or its run has ended: it cannot take an outcome now."""


@dataclass(frozen=True)
class OutcomeResult:
    run: TroubleshootingRun
    answered: RunStep
    next_step: RunStep | None  # the step to show now (None when the run ended)
    replayed: bool = False  # the same answer was given before (a retried request): nothing changed


def max_failed_steps() -> int:
    return settings.TROUBLESHOOTING["MAX_FAILED_STEPS"]


@transaction.atomic
def run_start(
    *, session, match: ProcedureMatch, symptom: str, language: str, machine_id: str = ""
) -> tuple[TroubleshootingRun, RunStep]:
    """Start a run for `match` in `session` (ending any active one) and choose its first step.

    `machine_id` is the ABParts machine the caller verified for the operator just now ("" when
    none): not the session's, which may have been kept unchecked, and a run's machine decides whose
    history it joins (selectors.previous_fixes).
    """
    procedure = match.procedure
    steps = list(ProcedureStep.objects.filter(procedure=procedure).order_by("order"))
    if not steps:
        raise InvalidInput("The procedure has no steps.")
    _lock_run_start(session.pk)
    TroubleshootingRun.objects.filter(session_id=session.pk, status=RunStatus.ACTIVE).update(
        status=RunStatus.ABANDONED, end_reason=EndReason.NEW_PROBLEM, ended_at=timezone.now()
    )
    keyed = [(step.id, step_key(procedure.title, step.instruction)) for step in steps]
    ranked = rank_steps(keyed, _stats(session.machine_model, [key for _, key in keyed]))
    run = TroubleshootingRun.objects.create(
        session_id=session.pk,
        procedure=procedure,
        procedure_title=procedure.title[:300],
        symptom=symptom,
        machine_id=machine_id[:64],
        machine_model=session.machine_model,
        language=language,
        confidence=match.confidence,
        plan=[r.step_id for r in ranked],
    )
    by_id = {step.id: step for step in steps}
    first = _present(run, by_id[ranked[0].step_id], number=1, ranked=ranked[0], procedure=procedure)
    transaction.on_commit(lambda: RUNS_STARTED.labels(machine_model=run.machine_model or "-", language=language).inc())
    return run, first


# The first key of the transaction-level advisory locks that order run starts per conversation.
_RUN_START_LOCK = 0x7452  # "tR"


def _lock_run_start(session_id) -> None:
    """Order run starts in one conversation until this transaction ends (two fault turns at once: a
    double tap, two tabs). Without it both end the (same) active run, both insert theirs, and the
    one-active-run constraint fails the second with an IntegrityError, a 500 (issue 11). An advisory
    lock, not the conversation's row: that row belongs to the chat app, above this one. The second
    key is 32 bits of the session id; a collision only makes two conversations wait for each other."""
    key = uuid.UUID(str(session_id)).int & 0x7FFFFFFF
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_RUN_START_LOCK, key])


@transaction.atomic
def run_record_outcome(*, run_step: RunStep, outcome: str, note: str = "") -> OutcomeResult:
    """Record the operator's answer to a step; end the run or choose the next step.

    Idempotent: answering the same step with the same outcome again (a retried request) changes
    nothing and returns the current state.
    """
    if outcome not in Outcome.values:
        raise InvalidInput(f"Unknown outcome {outcome!r}.")
    # of=("self",): lock the run row only; the procedure and its document come along for _next_step.
    run = (
        TroubleshootingRun.objects.select_for_update(of=("self",))
        .select_related("procedure__document")
        .get(pk=run_step.run_id)
    )
    # Under the run's lock, the run's latest step is nearly always the step answered: one read serves
    # as both (the step's own row is read only when another step is the latest).
    latest = RunStep.objects.filter(run=run).order_by("-number").first()
    step = latest if latest is not None and latest.pk == run_step.pk else RunStep.objects.get(pk=run_step.pk)
    if step.outcome:
        if step.outcome != outcome:
            raise StepNotCurrent("This step was already answered.")
        following = RunStep.objects.filter(run=run, number=step.number + 1).first()
        return OutcomeResult(run, step, following, replayed=True)
    if run.status != RunStatus.ACTIVE:
        raise StepNotCurrent("This troubleshooting run has ended.")
    if latest is None or latest.pk != step.pk:
        raise StepNotCurrent("That step is no longer the current one.")

    now = timezone.now()
    # Callers pass the note redacted with the operator's regions; this pass is the backstop for any other.
    step.outcome, step.note, step.answered_at = (
        outcome,
        redact_recorded(note.strip(), source="step_note", regions=())[:2000],
        now,
    )
    step.save(update_fields=["outcome", "note", "answered_at"])

    if outcome in (Outcome.DIDNT_WORK, Outcome.UNSAFE):
        run.failed_steps += 1
    end_reason = _end_reason(run, outcome)
    _learn(run, answered=step, outcome=outcome, end_reason=end_reason)
    next_step = None
    if end_reason is None:
        next_step = _next_step(run, after=step, outcome=outcome)
        if next_step is None:
            end_reason = EndReason.PROCEDURE_EXHAUSTED
    if end_reason is not None:
        run.status = RunStatus.RESOLVED if end_reason == EndReason.WORKED else RunStatus.NEEDS_EXPERT
        run.end_reason, run.ended_at = end_reason, now
    run.save(update_fields=["failed_steps", "status", "end_reason", "ended_at", "updated_at"])
    transaction.on_commit(lambda: STEP_OUTCOMES.labels(outcome=outcome).inc())
    if end_reason is not None:
        transaction.on_commit(lambda: RUNS_ENDED.labels(end_reason=end_reason).inc())
    if run.status == RunStatus.RESOLVED:
        # The operator confirmed the fix: the chat app marks the conversation resolved, in this
        # transaction (troubleshooting does not write the chat app's records; decision 0009).
        run_resolved.send(sender=TroubleshootingRun, run=run)
    return OutcomeResult(run, step, next_step)


@transaction.atomic
def run_save_fix(*, run: TroubleshootingRun, user, note: str = "") -> FixCard:
    """Save the fix of a resolved run as a candidate fix card for expert review (once per run)."""
    run = TroubleshootingRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.RESOLVED:
        raise InvalidInput("Only a resolved troubleshooting run has a fix to save.")
    worked = RunStep.objects.filter(run=run, outcome=Outcome.WORKED).order_by("-number").first()
    note = redact_recorded(note.strip(), source="fix_note", regions=()) if note.strip() else ""
    if worked is None and not note.strip():
        raise InvalidInput("Describe the fix in a note: no step of this run was marked as the one that worked.")
    card, created = FixCard.objects.get_or_create(
        run=run,
        defaults={
            "user": user,
            "machine_model": run.machine_model,
            "language": run.language,
            "title": run.procedure_title,
            "symptom": run.symptom,
            "fix": worked.instruction if worked else note.strip()[:4000],
            "note": note.strip()[:4000],
        },
    )
    if not created and note.strip() and card.note != note.strip()[:4000]:
        card.note = note.strip()[:4000]
        card.save(update_fields=["note"])
    if not run.fix_saved:
        run.fix_saved = True
        run.save(update_fields=["fix_saved", "updated_at"])
    return card


def sessions_runs_count(*, session_ids: list) -> dict[str, int]:
    """How many runs, steps and fix cards the conversations have (what deleting them deletes)."""
    return {
        "troubleshooting.TroubleshootingRun": TroubleshootingRun.objects.filter(session_id__in=session_ids).count(),
        "troubleshooting.RunStep": RunStep.objects.filter(run__session_id__in=session_ids).count(),
        "troubleshooting.FixCard": FixCard.objects.filter(run__session_id__in=session_ids).count(),
    }


def user_fix_cards_delete(*, user_id: int) -> int:
    """Delete every fix card an operator saved (erasure): their note and symptom are theirs.

    Learning statistics (StepStat) hold counts per step and machine model, no link to anyone, and
    keep them: what the operator's answers taught stays learned.
    """
    deleted, _ = FixCard.objects.filter(user_id=user_id).delete()
    return deleted


def session_runs_delete(*, session_id) -> None:
    """Delete a conversation's runs and their steps (the chat app calls it when it deletes one)."""
    TroubleshootingRun.objects.filter(session_id=session_id).delete()


@transaction.atomic
def session_runs_resolve(*, session) -> TroubleshootingRun | None:
    """The operator says the problem is solved: end the active run as resolved. Returns the latest run."""
    now = timezone.now()
    TroubleshootingRun.objects.filter(session_id=session.pk, status=RunStatus.ACTIVE).update(
        status=RunStatus.RESOLVED, end_reason=EndReason.OPERATOR_RESOLVED, ended_at=now, updated_at=now
    )
    return TroubleshootingRun.objects.filter(session_id=session.pk).order_by("-started_at").first()


def _end_reason(run: TroubleshootingRun, outcome: str) -> str | None:
    if outcome == Outcome.WORKED:
        return EndReason.WORKED
    if outcome == Outcome.UNSAFE:
        return EndReason.UNSAFE
    if run.failed_steps >= max_failed_steps():
        return EndReason.STEPS_EXCEEDED
    return None


def _next_step(run: TroubleshootingRun, *, after: RunStep, outcome: str) -> RunStep | None:
    """The best step not shown yet, by the learned estimate as it is now (other runs may have taught
    something since this run started). After `partially_worked` the manual's next step follows: the
    operator is half-way through a sequence the manual wrote in that order."""
    procedure = run.procedure
    if procedure is None:
        return None  # the procedure was deleted under the run: nothing more to offer from it
    # Which steps the run has shown comes with the steps (one round trip instead of two).
    steps = list(
        ProcedureStep.objects.filter(procedure=procedure)
        .annotate(shown=Exists(RunStep.objects.filter(run=run, procedure_step=OuterRef("pk"))))
        .order_by("order")
    )
    shown = {s.id for s in steps if s.shown}
    keyed = [(s.id, step_key(procedure.title, s.instruction)) for s in steps]
    ranked = [r for r in rank_steps(keyed, _stats(run.machine_model, [k for _, k in keyed])) if r.step_id not in shown]
    if not ranked:
        return None
    choice = ranked[0]
    if outcome == Outcome.PARTIALLY_WORKED:
        later = [r for r in ranked if r.position > after.manual_order - 1]
        if later:
            choice = min(later, key=lambda r: r.position)
    by_id = {s.id: s for s in steps}
    return _present(run, by_id[choice.step_id], number=after.number + 1, ranked=choice, procedure=procedure)


def _present(run, step: ProcedureStep, *, number: int, ranked: RankedStep, procedure) -> RunStep:
    document = procedure.document
    return RunStep.objects.create(
        run=run,
        number=number,
        procedure_step=step,
        step_key=step_key(procedure.title, step.instruction),
        manual_order=step.order,
        instruction=step.instruction,
        safety_warning=step.safety_warning,
        expected_outcome=step.expected_outcome,
        estimated_minutes=step.estimated_minutes,
        document=document,
        document_title=document.title[:300] if document else "",
        page=step.source_page or procedure.source_page,
        success_estimate=round(ranked.estimate, 4),
        success_rate=observed_success_rate(ranked.counts.successes, ranked.counts.tries),
    )


def _stats(machine_model: str, keys: list[str]) -> dict[str, StepCounts]:
    rows = StepStat.objects.filter(machine_model=machine_model or "", step_key__in=keys)
    return {row.step_key: StepCounts(row.tries, row.successes, row.fixes, row.cases) for row in rows}


def _learn(run: TroubleshootingRun, *, answered: RunStep, outcome: str, end_reason: str | None) -> None:
    """What an answer teaches: about the answered step, and, when it ends the run, about the others.

    docs/troubleshooting.md "The learned order": a resolved run rules out every other step of the
    procedure (one fix per case), an escalated run credits the steps it never reached.
    """
    counts = outcome_counts(outcome)
    learned = {answered.step_key: counts} if counts else {}
    if end_reason in (EndReason.WORKED, EndReason.STEPS_EXCEEDED):
        shown = list(RunStep.objects.filter(run=run).values_list("procedure_step_id", "step_key", "outcome"))
        keyed = _procedure_keys(run)
        if end_reason == EndReason.WORKED:
            # Steps answered before already counted their case; skipped and never-shown ones have not.
            counted = {key for _, key, answer in shown if outcome_counts(answer)}
            for key in {key for _, key in keyed} | {key for _, key, _ in shown}:
                if key not in counted:
                    learned[key] = learned.get(key, StepCounts()) + RULED_OUT
        else:
            ranked = rank_steps(keyed, _stats(run.machine_model, [key for _, key in keyed]))
            # A skipped step is not credited: it was offered, and an operator who cannot do it would
            # otherwise see it first in every run, skip it, and credit it again.
            unreached = {step_id for step_id, _ in keyed} - {step_id for step_id, _, _ in shown}
            for key, credit in unreached_credit(ranked, unreached).items():
                learned[key] = learned.get(key, StepCounts()) + credit
    _stats_add(run.machine_model, learned)


def _procedure_keys(run: TroubleshootingRun) -> list[tuple[int, str]]:
    """(step id, step_key) of the run's procedure in manual order; none when it was deleted under the run."""
    if run.procedure is None:
        return []
    steps = ProcedureStep.objects.filter(procedure=run.procedure).order_by("order").values_list("id", "instruction")
    return [(step_id, step_key(run.procedure.title, instruction)) for step_id, instruction in steps]


def _stats_add(machine_model: str, learned: dict[str, StepCounts]) -> None:
    """The one write path of the statistics: add `learned` to the rows of `machine_model`, in one upsert."""
    if not learned:
        return
    table = StepStat._meta.db_table
    # Sorted keys: two runs ending at once lock their rows in the same order (no deadlock). Adding in
    # the database (not get-then-update) makes concurrent answers for the same step both count, and
    # the first answer for a step creates its row, in one round trip.
    rows = sorted(learned.items())
    values = ", ".join(["(%s, %s, %s, %s, %s, %s, now())"] * len(rows))
    params = [
        value
        for key, counts in rows
        for value in (key, machine_model or "", counts.tries, counts.successes, counts.fixes, counts.cases)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table} (step_key, machine_model, tries, successes, fixes, cases, updated_at)
                VALUES {values}
                ON CONFLICT (step_key, machine_model) DO UPDATE
                SET tries = {table}.tries + EXCLUDED.tries,
                    successes = {table}.successes + EXCLUDED.successes,
                    fixes = {table}.fixes + EXCLUDED.fixes,
                    cases = {table}.cases + EXCLUDED.cases,
                    updated_at = EXCLUDED.updated_at""",
            params,
        )

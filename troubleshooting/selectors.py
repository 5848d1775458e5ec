"""Read operations of troubleshooting runs."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from .models import Outcome, RunStatus, RunStep, TroubleshootingRun


def run_active(*, session_id) -> TroubleshootingRun | None:
    return TroubleshootingRun.objects.filter(session_id=session_id, status=RunStatus.ACTIVE).first()


def run_current_step(*, run: TroubleshootingRun) -> RunStep | None:
    """The step waiting for the operator's answer (None once the run has ended)."""
    if run.status != RunStatus.ACTIVE:
        return None
    return RunStep.objects.filter(run=run, outcome="").select_related("run").order_by("-number").first()


def session_current_step(*, session_id) -> RunStep | None:
    """What a resumed conversation shows: the step of its active run that waits for an answer."""
    return (
        RunStep.objects.filter(run__session_id=session_id, run__status=RunStatus.ACTIVE, outcome="")
        .select_related("run")
        .order_by("-number")
        .first()
    )


def run_step_get_for_session(*, session_id, step_id) -> RunStep:
    """A step of one of the session's runs; 404 otherwise (the session is already the user's own)."""
    return get_object_or_404(RunStep.objects.select_related("run").filter(run__session_id=session_id), pk=step_id)


def run_latest(*, session_id) -> TroubleshootingRun | None:
    return TroubleshootingRun.objects.filter(session_id=session_id).order_by("-started_at").first()


def previous_fixes(*, run: TroubleshootingRun, limit: int = 2) -> list[RunStep]:
    """Steps that fixed the same problem on the same machine in earlier runs (newest first).

    "The same problem" is the same procedure, or a procedure of the same title (a re-ingested manual
    re-creates its procedure rows).
    """
    if not run.machine_id:
        return []
    same_problem = TroubleshootingRun.objects.filter(machine_id=run.machine_id, status=RunStatus.RESOLVED).exclude(
        pk=run.pk
    )
    if run.procedure_id:
        same_problem = same_problem.filter(procedure_id=run.procedure_id) | same_problem.filter(
            procedure_title=run.procedure_title
        )
    else:
        same_problem = same_problem.filter(procedure_title=run.procedure_title)
    return list(
        RunStep.objects.filter(run__in=same_problem, outcome=Outcome.WORKED)
        .select_related("run")
        .order_by("-answered_at")[:limit]
    )

"""Troubleshooting runs (SPEC §3.3): one procedure walked one step at a time, and what was learned.

A run copies what it shows of each step (instruction, warnings, page) into RunStep, so the
transcript of a run — what an expert reads in an escalation — stays true after a manual is
re-ingested or a procedure is edited. Learning is keyed by `step_key` (a hash of the procedure
title and the step text), not by the ProcedureStep row, for the same reason: re-ingesting a manual
re-creates its procedure rows, and the experience with a step must survive that.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from core.fields import EncryptedTextField


class RunStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RESOLVED = "resolved", "Resolved"
    # The run ended without a fix (steps exhausted, too many failures, unsafe): an expert is offered.
    NEEDS_EXPERT = "needs_expert", "Needs an expert"
    # Replaced by a new run for another fault, or left behind.
    ABANDONED = "abandoned", "Abandoned"


class EndReason(models.TextChoices):
    WORKED = "worked", "A step worked"
    UNSAFE = "unsafe", "A step was unsafe"
    STEPS_EXCEEDED = "steps_exceeded", "Too many failed steps"
    PROCEDURE_EXHAUSTED = "procedure_exhausted", "Every step was tried"
    NEW_PROBLEM = "new_problem", "The operator reported another problem"
    OPERATOR_RESOLVED = "operator_resolved", "The operator marked the problem solved"


class Outcome(models.TextChoices):
    WORKED = "worked", "Worked"
    PARTIALLY_WORKED = "partially_worked", "Partially worked"
    DIDNT_WORK = "didnt_work", "Didn't work"
    SKIPPED = "skipped", "Skipped"
    UNSAFE = "unsafe", "Unsafe"


class TroubleshootingRun(models.Model):
    # The conversation (assistant.ChatSession) the run belongs to: a plain id, not a foreign key,
    # because troubleshooting sits below the chat app and must not depend on its models (decision
    # 0009). The chat app deletes a conversation's runs with the conversation (assistant/receivers.py).
    session_id = models.UUIDField(db_index=True)
    procedure = models.ForeignKey(
        "knowledge.Procedure", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    procedure_title = models.CharField(max_length=300)
    # The operator's description of the fault (the message that started the run).
    symptom = EncryptedTextField()
    machine_id = models.CharField(max_length=64, blank=True)
    machine_model = models.CharField(max_length=16, blank=True)
    language = models.CharField(max_length=5)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.ACTIVE)
    end_reason = models.CharField(max_length=24, choices=EndReason.choices, blank=True)
    # How well the operator's description matched the procedure (0..1), shown as the diagnosis confidence.
    confidence = models.FloatField(default=0.0)
    # The candidate steps in the order chosen at the start (ProcedureStep ids); the run walks them.
    plan = models.JSONField(default=list)
    failed_steps = models.PositiveSmallIntegerField(default=0)
    fix_saved = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # SPEC §3.2: a conversation has at most one active run.
            models.UniqueConstraint(
                fields=["session_id"], condition=models.Q(status="active"), name="troubleshooting_one_active_run"
            )
        ]
        indexes = [models.Index(fields=["machine_id", "status"])]

    def __str__(self) -> str:
        return f"{self.procedure_title} ({self.status})"


class RunStep(models.Model):
    """A step as it was shown in a run, and the operator's answer."""

    run = models.ForeignKey(TroubleshootingRun, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveSmallIntegerField()  # 1, 2, ... in the order shown
    procedure_step = models.ForeignKey(
        "knowledge.ProcedureStep", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    step_key = models.CharField(max_length=40)
    manual_order = models.PositiveSmallIntegerField()  # the step's number in the manual
    instruction = models.TextField()
    safety_warning = models.TextField(blank=True)
    expected_outcome = models.TextField(blank=True)
    estimated_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    document = models.ForeignKey(
        "knowledge.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    document_title = models.CharField(max_length=300, blank=True)
    page = models.PositiveIntegerField(null=True, blank=True)
    # The learned success estimate of this step for this model when it was chosen (0..1).
    success_estimate = models.FloatField(default=0.0)
    # The observed success rate of this step on this model when it was shown (0 = never tried before).
    success_rate = models.FloatField(default=0.0)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    note = EncryptedTextField(blank=True)
    presented_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run_id", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="troubleshooting_step_unique_number")]

    def __str__(self) -> str:
        return f"run {self.run_id} step {self.number}"


class StepStat(models.Model):
    """What operators reported for one step on one machine model: the data the learned order uses.

    `fixes`/`cases` order the steps (troubleshooting/ordering.py); `successes`/`tries` are the
    "worked when tried" rate the widget shows, which is biased by the order and so does not rank.
    """

    step_key = models.CharField(max_length=40)
    machine_model = models.CharField(max_length=16, blank=True)  # "" = machine model unknown
    tries = models.FloatField(default=0.0)
    # `worked` counts 1, `partially_worked` 0.5; `skipped` is neither a try nor a success.
    successes = models.FloatField(default=0.0)
    # Runs in which this step was the fix: `worked` 1, `partially_worked` 0.5, and an escalated run
    # that never reached the step its estimated share of one fix.
    fixes = models.FloatField(default=0.0)
    # Runs that told whether this step was the fix: every answer but `skipped`, every run resolved at
    # another step (tried or not, this step was not the fix), every escalated run that never reached it.
    cases = models.FloatField(default=0.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["step_key", "machine_model"], name="troubleshooting_stat_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.step_key[:8]}/{self.machine_model or '-'}: fix {self.fixes:g}/{self.cases:g}"


class FixCard(models.Model):
    """A fix an operator saved after a resolved run: a candidate for experts to approve (SPEC §3.7)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    run = models.OneToOneField(TroubleshootingRun, on_delete=models.CASCADE, related_name="fix_card")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    machine_model = models.CharField(max_length=16, blank=True)
    language = models.CharField(max_length=5)
    title = models.CharField(max_length=300)
    symptom = EncryptedTextField()
    # The step that worked, as it was shown, and what the operator adds in their own words.
    fix = models.TextField()
    note = EncryptedTextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "fix card"

    def __str__(self) -> str:
        return self.title

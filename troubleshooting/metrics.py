"""Prometheus metrics of troubleshooting runs (business metrics, SPEC §3.7)."""

from __future__ import annotations

from prometheus_client import Counter

RUNS_STARTED = Counter(
    "autoboss_troubleshooting_runs_started_total", "Troubleshooting runs started.", ["machine_model", "language"]
)
RUNS_ENDED = Counter(
    "autoboss_troubleshooting_runs_ended_total",
    "Troubleshooting runs that ended, by how (worked, unsafe, steps_exceeded, procedure_exhausted, ...).",
    ["end_reason"],
)
STEP_OUTCOMES = Counter(
    "autoboss_troubleshooting_step_outcomes_total", "Answers to troubleshooting steps.", ["outcome"]
)

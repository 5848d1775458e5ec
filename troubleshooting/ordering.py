"""The learned step order (SPEC §3.3): which step of a procedure to try next on this machine model.

Each step's chance of fixing the fault is estimated as the mean of a Beta posterior:

    estimate = (κ·m + successes) / (κ + tries)

m is a prior mean that falls with the step's position in the manual (the manual's authors put the
likely and cheap checks first, so with no experience the manual's order is kept), and κ (the prior's
weight, in "pseudo-tries") says how much experience it takes to overrule the manual. A step that has
fixed this fault on this model before rises above untried ones; a step that keeps failing sinks below
them, so an untried step is never starved: its estimate stays at its prior while every step tried
and failed drops towards zero.

Why a posterior mean and not a Wilson lower bound: the lower bound of an untried step is 0, which
would put every untried step behind any step with one success in ten tries. Why not Thompson
sampling: operators and tests should see the same order for the same history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.ingestion.lexicon import fold

# The prior: the manual's first step has m = 0.5, each later one DECAY times the one before.
PRIOR_FIRST = 0.5
PRIOR_DECAY = 0.85
# Prior weight in pseudo-tries: six real outcomes weigh as much as the manual's order. Lower learns
# faster but lets one lucky session reorder the manufacturer's procedure for the whole fleet;
# bench/learning_sim.py measures the trade-off (docs/performance.md).
PRIOR_WEIGHT = 6.0


def step_key(procedure_title: str, instruction: str) -> str:
    """Stable identity of a step for learning: survives re-ingestion, changes when the text does."""
    normalized = " ".join(fold(procedure_title).split()) + "\n" + " ".join(fold(instruction).split())
    return hashlib.sha1(normalized.encode()).hexdigest()


def prior_mean(position: int) -> float:
    """The prior success estimate of the step at `position` (0-based) in the manual."""
    return PRIOR_FIRST * PRIOR_DECAY**position


def success_estimate(position: int, successes: float, tries: float) -> float:
    return (PRIOR_WEIGHT * prior_mean(position) + successes) / (PRIOR_WEIGHT + tries)


@dataclass(frozen=True)
class RankedStep:
    step_id: int
    position: int  # 0-based position in the manual
    estimate: float
    tries: float
    successes: float


def rank_steps(steps: Sequence[tuple[int, str]], stats: dict[str, tuple[float, float]]) -> list[RankedStep]:
    """Order (step_id, step_key) pairs, given in manual order, by their learned estimate (best first).

    `stats` maps step_key to (successes, tries). Ties keep the manual's order.
    """
    ranked = []
    for position, (step_id, key) in enumerate(steps):
        successes, tries = stats.get(key, (0.0, 0.0))
        ranked.append(RankedStep(step_id, position, success_estimate(position, successes, tries), tries, successes))
    ranked.sort(key=lambda r: (-r.estimate, r.position))
    return ranked


def observed_success_rate(successes: float, tries: float) -> float:
    """What the widget shows as "NN % success rate": only from real outcomes (0 when untried)."""
    if tries <= 0:
        return 0.0
    # Laplace-smoothed, so one lucky try does not claim 100 %.
    return round((successes + 1) / (tries + 2), 3)


def outcome_weights(outcome: str) -> tuple[float, float] | None:
    """(success, try) a step outcome adds to the statistics; None when it says nothing about the step."""
    return {
        "worked": (1.0, 1.0),
        "partially_worked": (0.5, 1.0),
        "didnt_work": (0.0, 1.0),
        "unsafe": (0.0, 1.0),
    }.get(outcome)

"""The learned step order (SPEC §3.3): which step of a procedure to try next on this machine model.

A fault on a machine has one fix among the procedure's steps. What orders the steps is the chance
that a step *is the fix* of this fault on this model — a categorical distribution over the steps.
Trying steps in decreasing order of that chance minimises the expected number of steps to resolution
when every step costs one try (and after some steps failed, the remaining ones keep the same order).

It is estimated per step as the mean of the Beta marginal of a Dirichlet posterior:

    estimate = (κ·m + fixes) / (κ + cases)

* m is the step's prior share: it falls with the step's position in the manual (the manual's authors
  put the likely and cheap checks first) and the shares of a procedure's steps add up to 1, so with
  no experience the manual's order is kept; κ (in pseudo-runs) says how much experience it takes to
  overrule it.
* `cases` counts the runs that told whether this step is the fix, `fixes` those in which it was. A run
  that resolved at step r tells it for *every* step: r is the fix, each other step — tried, skipped or
  never shown — is not. A step that was tried and failed is not the fix of that case, whatever the
  run did next.
* A run that escalated before reaching some steps says only that the fix is among those steps: each
  unreached step gets its share of one fix in proportion to its current estimate (one E-step of the
  self-consistency / EM estimator for censored data). Ignoring those runs would bias exactly the steps
  ranked behind the escalation limit towards zero and starve them; crediting them moves them up until
  they are tried.

Why not the old "worked / tried" rate: a step is only tried after every step ranked above it failed,
so its rate is conditioned on that selection (a rarer early fix collects the easy cases, a common
late fix is only tried on what is left) and the ranking feeds its own bias (issue 10, decision 0007).
Why no sampling: operators and tests see the same order for the same history.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from core.text.lexicon import fold

# Prior shares fall by DECAY per position in the manual (then normalised over the procedure's steps).
PRIOR_DECAY = 0.85
# Prior weight in pseudo-runs. With 7 steps, a later step overtakes the manual's first once it has been
# the fix once (steps 2-4) to twice (steps 5-7) more often: one lucky session does not reorder the
# manufacturer's procedure for the whole fleet, and the usual fix is first within 15 sessions
# (bench/learning_sim.py measures the trade-off, docs/performance.md).
PRIOR_WEIGHT = 10.0


@dataclass(frozen=True)
class StepCounts:
    """What is known about one step on one machine model (one StepStat row, or what an event adds to it)."""

    tries: float = 0.0  # the step was done (worked, partially worked, didn't work, unsafe)
    successes: float = 0.0  # of those, it worked (1) or partially worked (0.5): the widget's rate
    fixes: float = 0.0  # runs in which it was the fix (fractional: partial, or credited by an escalation)
    cases: float = 0.0  # runs that told (or, escalated, estimated) whether it was the fix

    def __add__(self, other: StepCounts) -> StepCounts:
        return StepCounts(
            self.tries + other.tries,
            self.successes + other.successes,
            self.fixes + other.fixes,
            self.cases + other.cases,
        )


# A run resolved at another step: this one was not the fix of that case.
RULED_OUT = StepCounts(cases=1.0)


def step_key(procedure_title: str, instruction: str) -> str:
    """Stable identity of a step for learning: survives re-ingestion, changes when the text does."""
    normalized = " ".join(fold(procedure_title).split()) + "\n" + " ".join(fold(instruction).split())
    return hashlib.sha1(normalized.encode()).hexdigest()


def prior_share(position: int, count: int) -> float:
    """The prior chance that the step at `position` (0-based) of a `count`-step procedure is the fix."""
    return PRIOR_DECAY**position * (1 - PRIOR_DECAY) / (1 - PRIOR_DECAY**count)


def fix_estimate(position: int, count: int, fixes: float, cases: float) -> float:
    return (PRIOR_WEIGHT * prior_share(position, count) + fixes) / (PRIOR_WEIGHT + cases)


@dataclass(frozen=True)
class RankedStep:
    step_id: int
    position: int  # 0-based position in the manual
    key: str
    estimate: float  # the estimated chance that this step is the fix
    counts: StepCounts


def rank_steps(steps: Sequence[tuple[int, str]], stats: Mapping[str, StepCounts]) -> list[RankedStep]:
    """Order (step_id, step_key) pairs, given in manual order, by their chance of being the fix (best first).

    `stats` maps step_key to what is known of it; a missing key is a step never seen. Ties keep the
    manual's order.
    """
    ranked = []
    for position, (step_id, key) in enumerate(steps):
        counts = stats.get(key, StepCounts())
        estimate = fix_estimate(position, len(steps), counts.fixes, counts.cases)
        ranked.append(RankedStep(step_id, position, key, estimate, counts))
    ranked.sort(key=lambda r: (-r.estimate, r.position))
    return ranked


def unreached_credit(ranked: Sequence[RankedStep], unreached: Collection[int]) -> dict[str, StepCounts]:
    """What a run that escalated before showing the steps `unreached` (step ids) adds to them.

    The fix was one of them (the model assumes the procedure holds the fix): each gets the share of one
    fix its estimate gives it among them, and one case.
    """
    candidates = [r for r in ranked if r.step_id in unreached]
    total = sum(r.estimate for r in candidates)
    credit: dict[str, StepCounts] = {}
    for r in candidates:
        # Two steps with the same text share one key (and one row): their shares add up.
        credit[r.key] = credit.get(r.key, StepCounts()) + StepCounts(fixes=r.estimate / total, cases=1.0)
    return credit


def observed_success_rate(successes: float, tries: float) -> float:
    """What the widget shows as "NN % success rate": how often the step worked when it was tried.

    Only from real outcomes (0 when untried). It is conditioned on the steps tried before it, which is
    why it is shown, not used for the order.
    """
    if tries <= 0:
        return 0.0
    # Laplace-smoothed, so one lucky try does not claim 100 %.
    return round((successes + 1) / (tries + 2), 3)


def outcome_counts(outcome: str) -> StepCounts | None:
    """What an answer adds to the answered step; None when it says nothing about the step (`skipped`).

    `partially_worked` is half a fix: the step was part of what fixed the fault. `unsafe` counts as a
    case in which the step was not the fix: the run ended on it without a fix, and a step operators
    cannot do safely should not be offered first.
    """
    return {
        "worked": StepCounts(tries=1.0, successes=1.0, fixes=1.0, cases=1.0),
        "partially_worked": StepCounts(tries=1.0, successes=0.5, fixes=0.5, cases=1.0),
        "didnt_work": StepCounts(tries=1.0, cases=1.0),
        "unsafe": StepCounts(tries=1.0, cases=1.0),
    }.get(outcome)

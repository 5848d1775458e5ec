"""The learned step order: the estimate itself, and the simulation of SPEC §3.3 (bench/learning_sim.py)."""

from __future__ import annotations

import statistics

import pytest

from bench.learning_sim import FLEET, MANUAL_ORDER_MEAN, UNIFORM, procedure_create, simulate_learning
from troubleshooting.ordering import prior_mean, rank_steps, success_estimate


def test_with_no_experience_the_manual_order_is_kept():
    ranked = rank_steps([(10, "a"), (11, "b"), (12, "c")], {})
    assert [r.step_id for r in ranked] == [10, 11, 12]
    assert ranked[0].estimate == prior_mean(0) == 0.5


def test_a_step_that_worked_before_comes_first():
    ranked = rank_steps([(10, "a"), (11, "b"), (12, "c")], {"c": (3.0, 3.0)})
    assert [r.step_id for r in ranked] == [12, 10, 11]


def test_an_untried_step_is_not_starved_by_a_step_that_keeps_failing():
    # "a" fixed it once in 20 tries: its estimate sinks below the untried steps' priors.
    ranked = rank_steps([(10, "a"), (11, "b"), (12, "c")], {"a": (1.0, 20.0)})
    assert [r.step_id for r in ranked] == [11, 12, 10]
    assert success_estimate(1, 0, 0) == pytest.approx(0.425)


def test_partial_successes_count_half():
    assert success_estimate(0, 0.5, 1.0) > success_estimate(0, 0.0, 1.0)


@pytest.mark.django_db
def test_fifty_simulated_sessions_cut_the_steps_to_resolution_by_at_least_30_percent(operator):
    # Eight simulated fleets, each learning from nothing (its own procedure, so its own statistics).
    runs = [
        simulate_learning(procedure=procedure_create(title=f"Pump loses pressure {seed}"), user=operator,
                          sessions=50, fleet=FLEET, seed=seed).steps_to_resolution
        for seed in range(8)
    ]  # fmt: skip
    first = statistics.fmean(n for steps in runs for n in steps[:10])
    last = statistics.fmean(n for steps in runs for n in steps[40:])
    assert last <= 0.7 * first, (first, last)
    # And far below walking the manual's order, which takes MANUAL_ORDER_MEAN steps for this fleet.
    assert last <= 0.5 * MANUAL_ORDER_MEAN
    # Every run was resolved by the true fix, which is always among the steps shown.
    assert all(1 <= n <= 7 for steps in runs for n in steps)


@pytest.mark.django_db
def test_with_nothing_to_learn_the_order_is_no_worse_than_the_manual(operator):
    procedure = procedure_create()
    result = simulate_learning(procedure=procedure, user=operator, sessions=50, fleet=UNIFORM, seed=2)
    # Walking the manual's order with a uniform true fix takes 4 steps on average; learning on noise
    # must not make it materially worse.
    assert statistics.fmean(result.steps_to_resolution) <= 4.6

"""The learned order through the real services: selection bias (issue 10), exploration, determinism.

Every history here is produced by run_start / run_record_outcome on the real database, the way the
chat produces it (bench/learning_sim.py walks the operators).
"""

from __future__ import annotations

import pytest

from bench.learning_sim import ISSUE_FLEET, procedure_create, simulate_learning

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("seed", range(10))
def test_the_common_late_fix_ranks_first_after_15_sessions_of_the_issue_fleet(operator, seed):
    # Issue 10: step 5 fixes 70 % of cases, step 2 20 %. Counting "worked when tried" put step 2
    # first again and again, up to session 38 (step 5 was only tried on what step 2 left); the chance
    # of being the fix is learned from every resolved run, so after 15 sessions step 5 stays first.
    result = simulate_learning(
        procedure=procedure_create(title=f"Pump loses pressure {seed}"),
        user=operator,
        sessions=40,
        fleet=ISSUE_FLEET,
        seed=seed,
    )
    assert result.first_shown[15:] == [5] * 25, result.first_shown


def test_a_fixed_history_of_a_common_late_fix_and_a_rarer_early_one(operator):
    # Nine runs, one at a time: step 5 was the fix six times, step 2 three times. Counted as "worked
    # when tried", step 2 came out ahead (it was tried first on every fault, step 5 only on those
    # step 2 left, and each ranking changed which runs counted for which step). The next operator
    # must be sent to step 5, the fix of two faults in three.
    procedure = procedure_create()
    for fix in [5, 2, 5, 5, 5, 2, 5, 5, 2]:
        simulate_learning(procedure=procedure, user=operator, sessions=1, fleet={fix: 1.0})
    after = simulate_learning(procedure=procedure, user=operator, sessions=1, fleet={5: 1.0})
    assert after.first_shown == [5]
    assert after.steps_to_resolution == [1]


def test_a_fix_no_run_reaches_in_the_manuals_order_is_found(operator):
    # The product's limit: an expert is offered after 5 failed steps, so walking the manual's order
    # never reaches step 7. Every fault here is fixed by step 7.
    procedure = procedure_create()
    result = simulate_learning(
        procedure=procedure, user=operator, sessions=8, fleet={7: 1.0}, seed=0, max_failed_steps=5
    )
    assert result.resolved[0] is False  # the first run escalated without reaching step 7
    assert True in result.resolved[:3], result.resolved  # an unreached step is tried within 3 runs
    assert result.first_shown[-3:] == [7, 7, 7], result.first_shown
    assert result.steps_to_resolution[-3:] == [1, 1, 1]


def test_a_step_that_keeps_failing_gives_way_to_an_untried_one(operator):
    # Step 1 fixes nothing here; the later steps, never tried while step 1 leads, must get their turn.
    procedure = procedure_create()
    result = simulate_learning(procedure=procedure, user=operator, sessions=6, fleet={3: 1.0}, seed=0)
    assert result.first_shown[0] == 1
    assert result.first_shown[-1] == 3
    assert result.steps_to_resolution[-1] == 1


def test_the_same_history_gives_the_same_order(operator):
    # Two machine models, two identical histories: the same step first in every session, the same
    # estimates on the steps shown. No sampling anywhere.
    from troubleshooting.models import RunStep

    procedure = procedure_create()
    runs = [
        simulate_learning(procedure=procedure, user=operator, sessions=30, fleet=ISSUE_FLEET, seed=4, machine_model=m)
        for m in ("V4.0", "V5.0")
    ]
    assert runs[0].first_shown == runs[1].first_shown
    assert runs[0].steps_to_resolution == runs[1].steps_to_resolution

    def estimates(model: str) -> list[tuple[int, int, float]]:
        steps = RunStep.objects.filter(run__machine_model=model).order_by("run__started_at", "number")
        return [(s.manual_order, s.number, s.success_estimate) for s in steps]

    assert estimates("V4.0") == estimates("V5.0")


def test_the_order_is_learned_per_machine_model(operator):
    procedure = procedure_create()
    learned = simulate_learning(procedure=procedure, user=operator, sessions=10, fleet={6: 1.0}, machine_model="V4.0")
    assert learned.first_shown[-1] == 6
    other = simulate_learning(procedure=procedure, user=operator, sessions=1, fleet={6: 1.0}, machine_model="V5.0")
    assert other.first_shown == [1]  # nothing learned on V5.0: the manual's order

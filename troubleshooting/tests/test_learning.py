"""The learned step order: the estimate, what each answer teaches, and the simulation of SPEC §3.3."""

from __future__ import annotations

import importlib
import statistics

import pytest
from django.test import override_settings

from bench.learning_sim import FLEET, MANUAL_ORDER_MEAN, STEPS, UNIFORM, procedure_create, simulate_learning
from troubleshooting.ordering import (
    PRIOR_WEIGHT,
    StepCounts,
    fix_estimate,
    prior_share,
    rank_steps,
    step_key,
    unreached_credit,
)

KEYS = [(10, "a"), (11, "b"), (12, "c")]


def test_with_no_experience_the_manual_order_is_kept():
    ranked = rank_steps(KEYS, {})
    assert [r.step_id for r in ranked] == [10, 11, 12]
    # The prior is a distribution over the steps: which one is the fix, before any run.
    assert sum(prior_share(p, 3) for p in range(3)) == pytest.approx(1.0)
    assert [r.estimate for r in ranked] == pytest.approx([prior_share(p, 3) for p in range(3)])


def test_a_step_that_was_the_fix_before_comes_first():
    # Three resolved runs, all at "c": "a" and "b" were ruled out by each.
    stats = {
        "a": StepCounts(cases=3),
        "b": StepCounts(cases=3),
        "c": StepCounts(tries=3, successes=3, fixes=3, cases=3),
    }
    assert [r.step_id for r in rank_steps(KEYS, stats)] == [12, 10, 11]


def test_the_order_follows_how_often_a_step_is_the_fix_not_how_often_it_works_when_tried():
    # Ten resolved faults walked as b, c, a: "b" fixed 2 of the 10 it was tried on, "c" 6 of the 8
    # left, "a" the 2 left after that. Worked-when-tried says a 100 %, c 75 %, b 20 %: the rare last
    # fix looks best because it is only tried on what the others left. As the fix, c is 6 in 10.
    stats = {
        "a": StepCounts(tries=2, successes=2, fixes=2, cases=10),
        "b": StepCounts(tries=10, successes=2, fixes=2, cases=10),
        "c": StepCounts(tries=8, successes=6, fixes=6, cases=10),
    }
    ranked = rank_steps(KEYS, stats)
    assert [r.step_id for r in ranked] == [12, 10, 11]
    assert ranked[0].estimate == pytest.approx((PRIOR_WEIGHT * prior_share(2, 3) + 6) / (PRIOR_WEIGHT + 10))


def test_a_step_that_keeps_failing_sinks_below_untried_ones():
    # "a" was tried in 20 escalated runs and never fixed anything; "b" and "c" were never reached.
    ranked = rank_steps(KEYS, {"a": StepCounts(tries=20, cases=20)})
    assert [r.step_id for r in ranked] == [11, 12, 10]


def test_partial_successes_count_half_a_fix():
    assert fix_estimate(0, 3, 0.5, 1.0) > fix_estimate(0, 3, 0.0, 1.0)
    assert fix_estimate(0, 3, 0.5, 1.0) < fix_estimate(0, 3, 1.0, 1.0)


def test_an_escalated_run_shares_one_fix_among_the_steps_it_did_not_reach():
    ranked = rank_steps(KEYS, {})
    credit = unreached_credit(ranked, {11, 12})
    assert set(credit) == {"b", "c"}
    assert sum(c.fixes for c in credit.values()) == pytest.approx(1.0)
    assert credit["b"].fixes / credit["c"].fixes == pytest.approx(prior_share(1, 3) / prior_share(2, 3))
    assert all(c.cases == 1.0 and c.tries == 0.0 for c in credit.values())


# What each answer writes, through the real services.


def walk(procedure, user, answers: list[tuple[int, str]], *, machine_model: str = "V4.0", max_failed: int = 8):
    """Start a run and answer the steps shown with `answers` ((manual number expected, outcome), ...)."""
    from assistant.models import ChatSession
    from troubleshooting.matching import ProcedureMatch
    from troubleshooting.services import run_record_outcome, run_start

    session = ChatSession.objects.create(user=user, machine_model=machine_model)
    match = ProcedureMatch(procedure, score=1.0, similarity=1.0, search_rank=0, confidence=1.0)
    with override_settings(TROUBLESHOOTING={"MAX_FAILED_STEPS": max_failed}):
        run, step = run_start(session=session, match=match, symptom="pump loses pressure", language="en")
        for number, outcome in answers:
            assert step.manual_order == number, (step.manual_order, number)
            result = run_record_outcome(run_step=step, outcome=outcome)
            step = result.next_step
    run.refresh_from_db()
    return run


def counts(procedure, machine_model: str = "V4.0") -> dict[int, tuple[float, float, float, float]]:
    """(tries, successes, fixes, cases) per manual step number; steps without a row are absent."""
    from troubleshooting.models import StepStat

    rows = {row.step_key: row for row in StepStat.objects.filter(machine_model=machine_model)}
    found = {}
    for number, text in enumerate(STEPS, 1):
        row = rows.get(step_key(procedure.title, text))
        if row is not None:
            found[number] = (row.tries, row.successes, row.fixes, row.cases)
    return found


@pytest.mark.django_db
def test_a_resolved_run_rules_out_every_other_step_tried_skipped_or_never_shown(operator):
    procedure = procedure_create()
    run = walk(procedure, operator, [(1, "didnt_work"), (2, "skipped"), (3, "worked")])
    assert run.status == "resolved"
    assert counts(procedure) == {
        1: (1.0, 0.0, 0.0, 1.0),  # tried, not the fix: one case, counted once although the run resolved later
        2: (0.0, 0.0, 0.0, 1.0),  # skipped: not a try, but this case was fixed by another step
        3: (1.0, 1.0, 1.0, 1.0),
        **{n: (0.0, 0.0, 0.0, 1.0) for n in range(4, 8)},
    }


@pytest.mark.django_db
def test_an_answer_that_does_not_end_the_run_teaches_only_about_its_step(operator):
    procedure = procedure_create()
    run = walk(procedure, operator, [(1, "didnt_work"), (2, "skipped")])
    assert run.status == "active"
    assert counts(procedure) == {1: (1.0, 0.0, 0.0, 1.0)}


@pytest.mark.django_db
def test_partially_worked_is_half_a_fix_and_the_manuals_next_step_follows(operator):
    from troubleshooting.models import StepStat

    procedure = procedure_create()
    walk(procedure, operator, [*((n, "didnt_work") for n in range(1, 7)), (7, "worked")])
    stats = {r.step_key: StepCounts(r.tries, r.successes, r.fixes, r.cases) for r in StepStat.objects.all()}
    ranked = rank_steps([(n, step_key(procedure.title, text)) for n, text in enumerate(STEPS, 1)], stats)
    assert [r.step_id for r in ranked][:3] == [1, 2, 7]  # step 7 now ranks above step 3
    # After a partial success at step 2 the manual's step 3 follows, not the better-ranked step 7.
    walk(procedure, operator, [(1, "didnt_work"), (2, "partially_worked"), (3, "worked")])
    stats = counts(procedure)
    assert stats[2] == (2.0, 0.5, 0.5, 2.0)
    assert stats[3] == (2.0, 1.0, 1.0, 2.0)
    assert stats[7] == (1.0, 1.0, 1.0, 2.0)  # the fix of the first case, ruled out in the second
    assert stats[4] == (1.0, 0.0, 0.0, 2.0)  # failed in the first case, ruled out in the second


@pytest.mark.django_db
def test_unsafe_counts_against_the_step_and_credits_nothing_else(operator):
    procedure = procedure_create()
    run = walk(procedure, operator, [(1, "didnt_work"), (2, "unsafe")])
    assert (run.status, run.end_reason) == ("needs_expert", "unsafe")
    # The fix could be anything, the unsafe step included: the steps not reached learn nothing.
    assert counts(procedure) == {1: (1.0, 0.0, 0.0, 1.0), 2: (1.0, 0.0, 0.0, 1.0)}


@pytest.mark.django_db
def test_an_escalated_run_credits_the_steps_it_never_showed_not_the_skipped_one(operator):
    procedure = procedure_create()
    run = walk(procedure, operator, [(1, "didnt_work"), (2, "skipped"), (3, "didnt_work")], max_failed=2)
    assert (run.status, run.end_reason) == ("needs_expert", "steps_exceeded")
    stats = counts(procedure)
    assert 2 not in stats  # skipped: offered, not done, and not pushed up for the next operator
    unreached = [stats[n] for n in range(4, 8)]
    assert sum(fixes for _, _, fixes, _ in unreached) == pytest.approx(1.0)
    assert all(tries == 0.0 and cases == 1.0 for tries, _, _, cases in unreached)
    # Shared by their estimates, which still follow the manual: the earlier step gets more.
    assert [f for _, _, f, _ in unreached] == sorted((f for _, _, f, _ in unreached), reverse=True)


@pytest.mark.django_db
def test_run_start_reads_the_statistics_in_one_query(operator, django_assert_num_queries):
    from assistant.models import ChatSession
    from troubleshooting.matching import ProcedureMatch
    from troubleshooting.services import run_start

    procedure = procedure_create()
    walk(procedure, operator, [(1, "worked")])
    session = ChatSession.objects.create(user=operator, machine_model="V4.0")
    match = ProcedureMatch(procedure, score=1.0, similarity=1.0, search_rank=0, confidence=1.0)
    # Savepoint, the steps, the run-start lock, end active runs, the statistics, the run, the first
    # step, savepoint release.
    with django_assert_num_queries(8):
        run_start(session=session, match=match, symptom="pump loses pressure", language="en")


@pytest.mark.django_db
def test_the_migration_recomputes_the_counts_the_services_wrote(operator):
    # Rows of the old shape got fixes/cases by replaying the runs' answers (decision 0007); the replay
    # must agree with the live write path on every resolved or unfinished run.
    from django.apps import apps

    from troubleshooting.models import StepStat

    procedure = procedure_create()
    walk(procedure, operator, [(1, "didnt_work"), (2, "skipped"), (3, "worked")])
    walk(procedure, operator, [(3, "partially_worked"), (4, "worked")])
    walk(procedure, operator, [(1, "didnt_work")], machine_model="V5.0")
    walk(procedure, operator, [(3, "unsafe")])
    live = {**{("V4.0", n): c for n, c in counts(procedure).items()},
            **{("V5.0", n): c for n, c in counts(procedure, "V5.0").items()}}  # fmt: skip
    StepStat.objects.filter(tries=0).delete()  # rows the old shape never had
    StepStat.objects.update(fixes=0.0, cases=0.0)

    migration = importlib.import_module("troubleshooting.migrations.0002_step_fix_counts")
    migration.recompute_fix_counts(apps, None)
    replayed = {**{("V4.0", n): c for n, c in counts(procedure).items()},
                **{("V5.0", n): c for n, c in counts(procedure, "V5.0").items()}}  # fmt: skip
    assert replayed == live


# The simulation (bench/learning_sim.py): learning pays off, and does no harm with nothing to learn.


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
    # Walking the manual's order on the same faults takes `true fix` steps; learning on noise must not
    # make it materially worse.
    assert statistics.fmean(result.steps_to_resolution) <= statistics.fmean(result.true_fixes) + 0.3

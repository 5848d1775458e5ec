"""Does the learned step order pay off? Simulated operators with a known true fix (SPEC §3.3).

    .venv/bin/python bench/learning_sim.py [--sessions 50] [--seeds 5] [--json]

A 7-step procedure ("Pump loses pressure") is walked by simulated operators through the real
services (troubleshooting.services.run_start / run_record_outcome, real database, real statistics
table). Each operator's machine has one true fix drawn from a fixed distribution the system does
not know: the manual lists the cheap checks first, but in this fleet the valve seals (step 5) are
the usual culprit, then the relief valve. An operator answers `didnt_work` to every other step and `worked` to the true
fix. Printed: mean steps to resolution per block of 10 sessions, averaged over several seeds (each
seed starts from an empty statistics table), and the drop of the last block versus the first.

A control run draws the true fix uniformly: there is nothing to learn, and the order must not get
worse than the manual's.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STEPS = [
    "Check the water inlet filter and clean it.",
    "Inspect the umbilical hose for leaks and kinks.",
    "Check the nozzle set for wear.",
    "Check the drive belt tension of the pump.",
    "Replace the high-pressure valve seals.",
    "Adjust the pressure relief valve.",
    "Replace the high-pressure pump.",
]
# True fix (manual step number) -> share of machines. Unknown to the system.
FLEET = {5: 0.45, 6: 0.25, 7: 0.15, 3: 0.15}
# Steps to resolution when the manual's order is always walked (the baseline without learning).
MANUAL_ORDER_MEAN = sum(number * share for number, share in FLEET.items())
UNIFORM = {number: 1.0 for number in range(1, len(STEPS) + 1)}


@dataclass(frozen=True)
class SimulationResult:
    steps_to_resolution: list[int]  # per session, in the order they ran

    def block_means(self, size: int = 10) -> list[float]:
        values = self.steps_to_resolution
        return [statistics.fmean(values[i : i + size]) for i in range(0, len(values), size)]


def procedure_create(*, title: str = "Pump loses pressure", machine_model: str = "V4.0"):
    """An expert-written procedure with the 7 steps (no document needed)."""
    from knowledge.models import Procedure, ProcedureStep

    procedure = Procedure.objects.create(
        title=title, symptom="The pump pressure drops during cleaning.", machine_models=[machine_model], language="en"
    )
    ProcedureStep.objects.bulk_create(
        ProcedureStep(procedure=procedure, order=number, instruction=text) for number, text in enumerate(STEPS, 1)
    )
    return procedure


def simulate_learning(
    *, procedure, user, sessions: int = 50, fleet: dict[int, float] = FLEET, seed: int = 0, machine_model: str = "V4.0"
) -> SimulationResult:
    """Run `sessions` simulated troubleshooting runs one after another; returns steps to resolution."""
    from django.test import override_settings

    from assistant.models import ChatSession
    from troubleshooting.matching import ProcedureMatch
    from troubleshooting.services import run_record_outcome, run_start

    rng = random.Random(seed)
    numbers, weights = zip(*fleet.items(), strict=True)
    results = []
    # Every step may be tried: the simulation measures the order, not the escalation limit.
    with override_settings(TROUBLESHOOTING={"MAX_FAILED_STEPS": len(STEPS) + 1}):
        for index in range(sessions):
            true_fix = rng.choices(numbers, weights)[0]
            session = ChatSession.objects.create(user=user, machine_model=machine_model, machine_id=f"sim-{index}")
            match = ProcedureMatch(procedure, score=1.0, similarity=1.0, search_rank=0, confidence=1.0)
            _, step = run_start(session=session, match=match, symptom="pump loses pressure", language="en")
            shown = 1
            while True:
                outcome = "worked" if step.manual_order == true_fix else "didnt_work"
                result = run_record_outcome(run_step=step, outcome=outcome)
                if result.next_step is None:
                    break
                step, shown = result.next_step, shown + 1
            assert result.run.status == "resolved", "the true fix is always among the steps"
            results.append(shown)
    return SimulationResult(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from bench import _django

    _django.setup("learning")
    from django.contrib.auth import get_user_model
    from django.db import transaction

    user, _ = get_user_model().objects.get_or_create(username="learning-sim")
    report = {}
    for name, fleet in (("fleet", FLEET), ("uniform_control", UNIFORM)):
        curves = []
        for seed in range(args.seeds):
            # Each seed starts from nothing learned: everything it writes is rolled back.
            with transaction.atomic():
                procedure = procedure_create()
                curves.append(simulate_learning(procedure=procedure, user=user, sessions=args.sessions, fleet=fleet,
                                                seed=seed).block_means())  # fmt: skip
                transaction.set_rollback(True)
        mean_curve = [round(statistics.fmean(block), 2) for block in zip(*curves, strict=True)]
        report[name] = {
            "manual_order_mean": round(sum(n * w for n, w in fleet.items()) / sum(fleet.values()), 2),
            "block_means": mean_curve,
            "drop_last_vs_first": round(1 - mean_curve[-1] / mean_curve[0], 3),
            "per_seed_drop": [round(1 - c[-1] / c[0], 3) for c in curves],
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name, row in report.items():
        blocks = "  ".join(f"{value:.2f}" for value in row["block_means"])
        print(f"{name:16} mean steps per block of 10: {blocks}   drop {row['drop_last_vs_first']:.0%}"
              f"   (manual order: {row['manual_order_mean']:.2f})")  # fmt: skip
        print(f"{'':16} per-seed drop: {', '.join(f'{d:.0%}' for d in row['per_seed_drop'])}")


if __name__ == "__main__":
    main()

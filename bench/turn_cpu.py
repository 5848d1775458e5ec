"""CPU per chat turn (web process + database), by kind of turn: question, fault report, step answer.

    VAR_DIR=<a VAR_DIR with the dev manuals ingested> .venv/bin/python bench/turn_cpu.py [--turns 60] [--json]

Runs whole turns in-process through the engine the API calls (assistant.engine.turn.run_turn, the
offline responder, no LLM) against the database of VAR_DIR, and measures the CPU time this process
and the PostgreSQL server processes spent per turn (psutil), after a warm-up. The texts are the
dev-eval questions and fault descriptions in six languages, each with a per-turn suffix so that no
turn reuses another's cached query vector. SPEC §6 budget: ≤ 20 ms for a question, ≤ 25 ms for a
fault, ≤ 12 ms for a step answer. The script only uses interfaces that existed before issue 10, so
the same file measures an older checkout (docs/performance.md compares the two).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import psutil

REPO = Path(os.environ.get("BENCH_REPO", Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(REPO))
DEV_EVAL = Path(os.environ.get("DEV_EVAL", REPO.parent / "shared" / "dev-eval"))


def _db_cpu() -> float:
    """CPU seconds of the embedded PostgreSQL server of VAR_DIR: its postmaster and every child.

    Only this VAR_DIR's server: other embedded servers on the machine (a test run, another
    checkout) run the same binary and would otherwise be counted too.
    """
    pgdata = str(Path(os.environ.get("VAR_DIR", REPO / "var")).resolve() / "pgdata")
    total = 0.0
    for proc in psutil.process_iter(["exe", "cmdline"]):
        if "pgserver" not in (proc.info["exe"] or "") or pgdata not in (proc.info["cmdline"] or []):
            continue
        try:
            for member in [proc, *proc.children(recursive=True)]:
                times = member.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            pass
    return total


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=60, help="turns of each kind")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # as in the web workers (deploy/gunicorn.conf.py)
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from assistant.engine.turn import TurnInput, run_turn
    from assistant.services import session_start

    user, _ = get_user_model().objects.get_or_create(username="turn-cpu-bench")
    questions = [json.loads(line) for line in (DEV_EVAL / "queries.jsonl").read_text().splitlines() if line.strip()]
    scenarios = json.loads((DEV_EVAL / "troubleshooting" / "scenarios.json").read_text())
    faults = [
        (f["model"], lang, text) for f in scenarios["faults"] for lang, texts in f["symptoms"].items() for text in texts
    ]
    asks = [(q.get("machine_model") or "", q["language"], q["query"]) for q in questions if q["gold"]]

    def timed(turn) -> tuple[object, float, float]:
        """The turn's message, and the CPU ms of this process and of the database it took."""
        cpu, db = time.process_time(), _db_cpu()
        message = run_turn(turn)
        return message, (time.process_time() - cpu) * 1000, (_db_cpu() - db) * 1000

    def measure(kind: str, items, n: int, offset: int) -> list[float]:
        samples = []
        for i in range(n):
            model, language, text = items[(offset + i * 7) % len(items)]
            session = session_start(user=user, machine_model=model, language=language)
            text = f"{text} ({kind} {offset + i})"
            message, web, db = timed(TurnInput(session=session, text=text))
            samples.append(web + db)
            split.setdefault(kind, []).append((web, db))
            if kind == "fault" and message.run_step_id:
                # The operator answers the step: measured as its own kind.
                answer = {"el": "δεν δούλεψε", "ar": "ما نفع"}.get(language, "no")
                _, web, db = timed(TurnInput(session=session, text=answer))
                answers.append(web + db)
                split.setdefault("step answer", []).append((web, db))
        return samples

    answers: list[float] = []
    split: dict[str, list[tuple[float, float]]] = {}  # kind -> (web ms, database ms) per turn
    measure("warm-up", asks, 10, 1000)
    measure("warm-up", faults, 10, 2000)
    answers.clear()
    result = {
        "question": measure("question", asks, args.turns, 0),
        "fault": measure("fault", faults, args.turns, 0),
    }
    result["step answer"] = list(answers)
    summary = {
        kind: {
            "turns": len(v),
            "mean_ms": round(statistics.fmean(v), 1),
            "p50_ms": round(statistics.median(v), 1),
            "web_mean_ms": round(statistics.fmean(web for web, _ in split[kind]), 1),
            "db_mean_ms": round(statistics.fmean(db for _, db in split[kind]), 1),
        }
        for kind, v in result.items()
        if v
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for kind, row in summary.items():
            cpu = f"mean {row['mean_ms']} ms (web {row['web_mean_ms']} + db {row['db_mean_ms']})"
            cpu += f", p50 {row['p50_ms']} ms"
            print(f"{kind:<12} {row['turns']:>4} turns   CPU per turn (web + database): {cpu}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

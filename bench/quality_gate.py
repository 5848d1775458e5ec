"""The accuracy gate: retrieval and troubleshooting on shared/dev-eval, measured the way a user meets it.

    .venv/bin/python bench/quality_gate.py [--dev-eval ../shared/dev-eval] [--record] [--json]

Starts the product as `make run` does (`manage.py serve`: gunicorn, a Celery worker, beat, the
embedded database) in a fresh VAR_DIR, ingests the nine dev manuals with `manage.py
ingest_documents`, runs `manage.py evaluate_retrieval` on the 260 questions and the
troubleshooting runner's PROBE phase (`shared/dev-eval/troubleshooting/run.py`: 402 conversations
through the native API), and compares every figure with the values recorded in
`bench/quality_recorded.json`. A figure that drops more than 0.02 below its record (or, for the
false-abstention rate, rises more than 0.02 above it) fails the gate (exit 1). `--record` writes the
measured figures as the new record: do it only when a change is meant to move them, and say so in
the commit.

Every figure is reported for the whole set and for the two hold-out halves (odd ids / odd positions
in scenarios.json = tuning half, the rest = reporting half; docs/performance.md). Deterministic: the
embedded default has no LLM and the embedding model runs on the CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RECORD = REPO / "bench" / "quality_recorded.json"
TOLERANCE = 0.02
# Figures where lower is better; every other figure is higher-is-better.
LOWER_IS_BETTER = ("false_abstention",)
DOC_TYPES = {
    "manual": "manual",
    "quick-guide": "quick_guide",
    "operator-guide": "quick_guide",
    "bulletins": "service_bulletin",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _doc_type(file_name: str) -> str:
    for marker, kind in DOC_TYPES.items():
        if marker in file_name:
            return kind
    return "manual"


class Product:
    """The product in a fresh VAR_DIR, started like `make run`, stopped on exit."""

    def __init__(self, var_dir: Path, port: int):
        self.var_dir, self.port = var_dir, port
        self.env = {**os.environ, "VAR_DIR": str(var_dir), "PORT": str(port)}
        # A gate run is one operator sending 400 messages a minute: raise the per-operator throttles.
        self.env.update(THROTTLE_CHAT="100000/min", THROTTLE_USER="100000/min", LOG_LEVEL="WARNING")
        for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "LLM_BASE_URL"):
            self.env.pop(name, None)
        self.process: subprocess.Popen | None = None

    def manage(self, *args: str, capture: bool = False) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=REPO, env=self.env, check=True, text=True,
            stdout=subprocess.PIPE if capture else subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        return result.stdout if capture else ""

    def start(self, log: Path) -> None:
        with open(log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "serve"], cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the product stopped while starting (log: {log})")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health/ready", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(1)
        raise SystemExit(f"the product was not ready within 180 s (log: {log})")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 2)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)


def ingest(product: Product, dev_eval: Path) -> None:
    for source in sorted((dev_eval / "manuals" / "src").glob("*.json")):
        meta = json.loads(source.read_text(encoding="utf-8"))
        pdf = dev_eval / "manuals" / "pdf" / meta["file"]
        product.manage(
            "ingest_documents", str(pdf), "--machine-models", ",".join(meta["machine_models"]),
            "--language", meta["language"], "--type", _doc_type(meta["file"]), "--wait",
        )  # fmt: skip


def retrieval_figures(product: Product, dev_eval: Path) -> dict:
    summary = json.loads(product.manage("evaluate_retrieval", str(dev_eval / "queries.jsonl"), "--json", capture=True))
    hybrid = summary["hybrid"]
    figures = {}
    for scope, block in [("all", hybrid["overall"]), *hybrid["by_half"].items()]:
        for metric in ("recall@5", "mrr@10", "p@1", "abstain_no_answer", "false_abstention"):
            figures[f"retrieval {scope} {metric}"] = block[metric]
    for language, block in hybrid["by_language"].items():
        figures[f"retrieval lang {language} recall@5"] = block["recall@5"]
    figures["retrieval cross_lingual recall@5"] = hybrid["by_type"]["cross_lingual"]["recall@5"]
    return figures


def probe_figures(product: Product, dev_eval: Path, work: Path) -> dict:
    token = product.manage("demo_token", "quality-gate", "--create", capture=True).strip()
    out = work / "probe.json"
    # A runner that crashed (it once did in CI, with its output thrown away) is run once more, and
    # if it fails again its own error is what the gate reports: an accuracy figure is never guessed.
    for _attempt in range(2):
        runner = subprocess.run(
            [sys.executable, str(dev_eval / "troubleshooting" / "run.py"), "--base-url",
             f"http://127.0.0.1:{product.port}", "--token", token, "--phase", "probe", "--out", str(out)],
            check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=REPO,
        )  # fmt: skip
        if out.exists():
            break
        print(
            f"troubleshooting runner exited {runner.returncode} without results:\n{runner.stderr[-3000:]}",
            file=sys.stderr,
        )
    if not out.exists():
        raise SystemExit("the troubleshooting runner produced no results (its error is above)")
    return summarize_probe(json.loads(out.read_text(encoding="utf-8")), dev_eval)


def summarize_probe(result: dict, dev_eval: Path) -> dict:
    """PROBE figures, overall and per hold-out half (odd position in scenarios.json = tuning)."""
    scenarios = json.loads((dev_eval / "troubleshooting" / "scenarios.json").read_text(encoding="utf-8"))
    half = {}
    for kind, key in (("fault", "faults"), ("oos", "out_of_scope"), ("question", "questions")):
        for position, item in enumerate(scenarios[key], start=1):
            half[(kind, item["id"])] = "tuning" if position % 2 else "reporting"
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])

    def add(name: str, ok: bool) -> None:
        counts[name][0] += int(bool(ok))
        counts[name][1] += 1

    for probe in result["probes"]:
        for scope in ("all", half[(probe["kind"], probe["id"])]):
            if probe["kind"] == "fault":
                add(f"probe {scope} hit", probe["correct"])
                add(f"probe {scope} run_started", probe["run_started"])
                if scope == "all":
                    add(f"probe lang {probe['lang']} hit", probe["correct"])
            elif probe["kind"] == "oos":
                add(f"probe {scope} oos_no_wrong_run", not probe["run_started"])
                add(f"probe {scope} oos_expert_offered", probe["reply"].get("offers_escalation"))
            else:
                add(f"probe {scope} question_fact_found", probe.get("fact_found"))
    return {name: round(ok / total, 3) for name, (ok, total) in sorted(counts.items())}


def compare(measured: dict, recorded: dict) -> list[str]:
    failures = []
    for name, value in measured.items():
        if name not in recorded or value is None or recorded[name] is None:
            continue
        worse = recorded[name] - value if not name.endswith(LOWER_IS_BETTER) else value - recorded[name]
        if worse > TOLERANCE + 1e-9:
            failures.append(f"{name}: {value:.3f} (recorded {recorded[name]:.3f})")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev-eval", type=Path, default=REPO.parent / "shared" / "dev-eval")
    parser.add_argument("--record", action="store_true", help="write the measured figures as the new record")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary VAR_DIR (for a look at it)")
    args = parser.parse_args()
    if not (args.dev_eval / "queries.jsonl").exists():
        print(f"no dev-eval set at {args.dev_eval}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="quality-gate-"))
    product = Product(work / "var", _free_port())
    started = time.monotonic()
    try:
        product.manage("migrate", "--verbosity", "0")
        ingest(product, args.dev_eval)
        figures = retrieval_figures(product, args.dev_eval)
        product.start(work / "serve.log")
        figures.update(probe_figures(product, args.dev_eval, work))
    except BaseException:
        product.stop()
        log = work / "serve.log"
        if log.exists():
            print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
        print(f"kept {work} for a look", file=sys.stderr)
        raise
    product.stop()
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    recorded = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    failures = compare(figures, recorded)
    if args.json:
        print(json.dumps({"figures": figures, "failures": failures}, indent=2))
    else:
        for name, value in figures.items():
            mark = "  " if name not in recorded else ("↓ " if any(f.startswith(name + ":") for f in failures) else "  ")
            print(f"{mark}{name:<46} {value:>6.3f}   recorded {recorded.get(name, float('nan')):.3f}")
        print(f"{len(figures)} figures in {time.monotonic() - started:.0f} s; {len(failures)} below their record")
    if args.record:
        RECORD.write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n")
        print(f"recorded in {RECORD.relative_to(REPO)}")
        return 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

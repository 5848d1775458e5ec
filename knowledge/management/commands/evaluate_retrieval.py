"""`manage.py evaluate_retrieval queries.jsonl`: recall@5, MRR@10 and abstention, per language/type."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from knowledge.evaluation import evaluate, load_queries, summarize

METRICS = ("recall@5", "mrr@10", "p@1", "abstain_no_answer", "false_abstention")


class Command(BaseCommand):
    help = "Evaluate retrieval on a queries.jsonl file (ingest its manuals first)."

    def add_arguments(self, parser):
        parser.add_argument("queries", type=Path)
        parser.add_argument(
            "--mode", choices=["hybrid", "vector", "text", "all"], default="hybrid",
            help="retriever to evaluate; 'all' prints hybrid, full-text-only and vector-only",
        )  # fmt: skip
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")
        parser.add_argument("--run-file", type=Path, help="write per-query results (score.py format) here")
        parser.add_argument("--misses", action="store_true", help="list the queries without a hit in the top 5")

    def handle(self, *args, **options):
        try:
            queries = load_queries(options["queries"])
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        modes = ["hybrid", "text", "vector"] if options["mode"] == "all" else [options["mode"]]
        summaries = {}
        for mode in modes:
            outcomes = evaluate(queries, mode=mode)
            summaries[mode] = summarize(outcomes)
            if options["run_file"] and mode == modes[0]:
                with open(options["run_file"], "w", encoding="utf-8") as fh:
                    for o in outcomes:
                        fh.write(json.dumps({"id": o.id, "results": o.results, "abstained": o.abstained}) + "\n")
            if options["misses"]:
                by_id = {q["id"]: q for q in queries}
                for o in outcomes:
                    if o.answerable and not (o.first_hit_rank and o.first_hit_rank <= 5):
                        self.stdout.write(f"[{mode}] miss {o.id} ({o.language}/{o.type}): {by_id[o.id]['query']}")
                    elif o.answerable and o.abstained:
                        self.stdout.write(f"[{mode}] false abstention {o.id}: {by_id[o.id]['query']}")
                    elif not o.answerable and not o.abstained:
                        self.stdout.write(f"[{mode}] did not abstain {o.id}: {by_id[o.id]['query']}")
        if options["json"]:
            self.stdout.write(json.dumps(summaries, indent=2))
            return
        for mode, summary in summaries.items():
            self._table(mode, summary)

    def _table(self, mode: str, summary: dict) -> None:
        self.stdout.write(f"\n== {mode} (p50 {summary['latency_ms']['p50']} ms, p95 {summary['latency_ms']['p95']} ms)")
        header = f"{'':<16}{'n':>4}" + "".join(f"{m:>19}" for m in METRICS)
        self.stdout.write(header)
        rows = [("overall", summary["overall"])]
        rows += [(f"lang {k}", v) for k, v in summary["by_language"].items()]
        rows += [(f"type {k}", v) for k, v in summary["by_type"].items()]
        rows += [(f"half {k}", v) for k, v in summary.get("by_half", {}).items()]
        for name, values in rows:
            cells = "".join(f"{'-' if values[m] is None else format(values[m], '.3f'):>19}" for m in METRICS)
            self.stdout.write(f"{name:<16}{values['queries']:>4}{cells}")

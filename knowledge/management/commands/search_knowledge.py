"""`manage.py search_knowledge "<query>"`: run the hybrid search from the shell."""

from __future__ import annotations

import json
from dataclasses import asdict

from django.core.management.base import BaseCommand

from core.text.languages import normalize_language
from knowledge.search import chunks_hybrid_search


class Command(BaseCommand):
    help = "Search the knowledge base and print ranked chunks with pages and scores."

    def add_arguments(self, parser):
        parser.add_argument("query")
        parser.add_argument("--model", dest="machine_model", default=None, help="machine model filter, e.g. V4.0")
        parser.add_argument("--language", default=None, help="language of the query (stemming only)")
        parser.add_argument("-k", type=int, default=5)
        parser.add_argument("--mode", choices=["hybrid", "vector", "text"], default="hybrid")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, **options):
        result = chunks_hybrid_search(
            query=options["query"],
            k=options["k"],
            machine_model=options["machine_model"],
            language=normalize_language(options["language"]),
            mode=options["mode"],
        )
        if options["json"]:
            payload = asdict(result)
            payload.pop("query_vector")  # 384 floats for the chat turn's own use, not for reading
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"{len(result.results)} result(s) in {result.took_ms} ms"
            + (" — ABSTAINED (nothing relevant enough)" if result.abstained else "")
            + (f", best similarity {result.best_similarity}" if result.best_similarity is not None else "")
        )
        for rank, hit in enumerate(result.results, start=1):
            pages = f"p.{hit.page_start}" + (f"-{hit.page_end}" if hit.page_end != hit.page_start else "")
            self.stdout.write(f"\n{rank}. {hit.file_name} {pages} [{hit.section}] score={hit.score}")
            self.stdout.write("   " + hit.text[:240].replace("\n", " ") + ("…" if len(hit.text) > 240 else ""))

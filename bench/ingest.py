"""Ingestion benchmark: a generated N-page PDF (default 200) from upload to searchable.

    .venv/bin/python bench/ingest.py [--pages 200] [--json]

Runs the same code the Celery task runs (knowledge.services.document_ingest), in this process,
so the time excludes only queueing. Reports wall time to `ready`, pages/s, chunks, and peak RSS
before and after — run it with --pages 50 and --pages 400 to see that memory does not grow with
the page count (pages are streamed). Target (SPEC §6): 200 pages searchable in <= 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import _django

PARTS = ["inlet filter", "nozzle set", "pressure relief valve", "umbilical hose", "rotor bearing", "camera cable"]


def manual_pages(count: int) -> list[list]:
    """Realistic-looking pages: a numbered fault section per page, warnings, steps and a table."""
    pages: list[list] = [["AutoBoss V4.0 Service Manual (benchmark)", "Revision 1"]]
    for number in range(1, count):
        part = PARTS[number % len(PARTS)]
        pages.append(
            [
                f"{number}. Fault {number}: {part} problem on circuit {number % 17}",
                "",
                f"WARNING: Stop the pump and release the pressure before touching the {part}.",
                "",
                f"When fault {number} occurs the pressure reading falls to {100 + number % 90} bar and the",
                f"operator hears a change in pump noise. The {part} is the most common cause on machines",
                f"above {500 + number * 3} operating hours. Inspect it before replacing other parts.",
                "",
                f"1. Check the {part} for damage and wear.",
                f"2. Clean the {part} with fresh water and refit it.",
                f"3. Replace part AB-{2000 + number} if the fault remains.",
                "4. Run the pump for five minutes and watch the pressure.",
                "",
                [(72, "Interval"), (250, "Hours"), (400, "Part")],
                [(72, "Inspect"), (250, str(250 + number)), (400, f"AB-{2000 + number}")],
                [(72, "Replace"), (250, str(1000 + number)), (400, f"AB-{3000 + number}")],
            ]
        )
    return pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    _django.setup("ingest")

    from django.core.files import File

    from knowledge import services
    from knowledge.embeddings import get_embedder
    from knowledge.models import Document
    from knowledge.search import chunks_hybrid_search
    from knowledge.tests.fixtures.ingestion_files import write_text_pdf

    Document.objects.all().delete()
    get_embedder("active").embed_query("warm up")  # model load is not ingestion time
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as tmp:
        pdf = write_text_pdf(Path(tmp) / f"bench-{args.pages}.pdf", manual_pages(args.pages))
        size = pdf.stat().st_size
        started = time.perf_counter()
        with open(pdf, "rb") as fh:
            document = services.document_upload(uploaded_file=File(fh, name=pdf.name), enqueue=False).document
        uploaded = time.perf_counter()
        services.document_ingest(document_id=document.id)
        ready = time.perf_counter()
    document.refresh_from_db()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    probe = chunks_hybrid_search(query=f"fault {args.pages - 10} pressure reading", k=3)
    found = any(h.page_start <= args.pages - 9 <= h.page_end for h in probe.results)
    report = {
        "pages": args.pages,
        "pdf_bytes": size,
        "status": document.status,
        "chunks": document.chunks.count(),
        "upload_validation_s": round(uploaded - started, 2),
        "ingest_s": round(ready - uploaded, 2),
        "time_to_searchable_s": round(ready - started, 2),
        "pages_per_s": round(args.pages / (ready - started), 1),
        "peak_rss_mb_before": round(rss_before),
        "peak_rss_mb_after": round(rss_after),
        "late_page_found_by_search": found,
    }
    Document.objects.all().delete()
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>28}: {value}")


if __name__ == "__main__":
    main()

"""Search latency with a large index: p50/p95 of chunks_hybrid_search, query embedding included.

    .venv/bin/python bench/search_latency.py [--chunks 100000] [--queries 300] [--reload] [--json]

Builds (once; reused while the row count matches) an index of synthetic chunks in its own
database: 40 documents across V4.0 / V3.1B / all models and the six languages, chunk texts
assembled from manual-like sentences, vectors that cluster like real ones (each is a real
multilingual-e5 passage embedding of one of 256 base texts plus Gaussian noise, renormalised), and
table-row vectors for `--row-share` of the chunks (two rows each), as ingestion writes them. Rows
are loaded with COPY and every HNSW index is rebuilt afterwards (as a bulk import would). Queries
are the dev-eval questions in six languages (and variants), half of them with a machine-model
filter, run through the real code path (knowledge.search.chunks_hybrid_search) in one process.
Target (SPEC §6): p95 <= 50 ms on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import _django

REPO = Path(__file__).resolve().parent.parent
DEV_QUERIES = REPO.parent / "shared" / "dev-eval" / "queries.jsonl"

SUBJECTS = [
    "pump",
    "rotor",
    "nozzle",
    "filter",
    "umbilical hose",
    "camera",
    "depth sensor",
    "reel",
    "control box",
    "diesel engine",
    "pressure relief valve",
    "disc head",
    "net",
    "hydraulic motor",
    "cable",
    "tablet",
]
STATES = [
    "loses pressure",
    "vibrates",
    "overheats",
    "stops suddenly",
    "leaks water",
    "makes a grinding noise",
    "shows no picture",
    "reads the wrong depth",
    "will not start",
    "is blocked by jellyfish",
    "runs slowly",
]
ACTIONS = ["Check", "Clean", "Replace", "Tighten", "Inspect", "Flush", "Restart", "Calibrate", "Lubricate"]  # fmt: skip
MODELS = [["V4.0"], ["V3.1B"], []]
LANGS = ["en", "el", "es", "ar", "tr", "nb"]


def base_texts(rng: random.Random, count: int) -> list[str]:
    texts = []
    for i in range(count):
        subject, state = rng.choice(SUBJECTS), rng.choice(STATES)
        texts.append(
            f"{i % 30 + 1}. The {subject} {state}\n"
            f"When the {subject} {state}, stop the machine. {rng.choice(ACTIONS)} the {rng.choice(SUBJECTS)} "
            f"and {rng.choice(ACTIONS).lower()} the {rng.choice(SUBJECTS)}. Pressure {rng.randint(90, 250)} bar."
        )
    return texts


def _hnsw_indexes(cursor) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('knowledge_chunk', 'knowledge_chunkvector') "
        "AND indexdef ILIKE '%USING hnsw%'"
    )
    return cursor.fetchall()


def load(chunks: int, row_share: float, seed: int = 7) -> None:
    from django.db import connection

    from knowledge.embeddings import get_embedder
    from knowledge.models import Document

    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    started = time.perf_counter()
    Document.objects.all().delete()
    documents = [
        Document.objects.create(
            title=f"Benchmark manual {i}",
            file_name=f"bench-{i}.pdf",
            file=f"bench/bench-{i}.pdf",
            content_sha256=f"{i:064x}",
            status="ready",
            machine_models=MODELS[i % 3],
            language=LANGS[i % 6],
            pages_total=chunks // 40,
            pages_done=chunks // 40,
            content_type="pdf",
        )
        for i in range(40)
    ]
    texts = base_texts(rng, 256)
    base = get_embedder("active").embed_passages(texts)
    print(f"embedded 256 base passages in {time.perf_counter() - started:.1f}s", flush=True)

    with connection.cursor() as cursor:
        indexes = _hnsw_indexes(cursor)
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    per_doc = chunks // len(documents)
    written = 0
    raw = connection.connection
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY knowledge_chunk (document_id, ordinal, section, page_start, page_end, language, machine_models, "
            "text, embedding, embedding_model) FROM STDIN"
        ) as copy,
    ):
        for doc_index, document in enumerate(documents):
            for ordinal in range(per_doc):
                i = rng.randrange(len(texts))
                vector = base[i] + np_rng.normal(0, 0.025, base.shape[1]).astype(np.float32)
                vector /= np.linalg.norm(vector)
                text = texts[i] + f" Part AB-{rng.randint(1000, 9999)}. Interval {rng.randint(50, 2000)} h."
                section = text.split("\n", 1)[0]
                page = ordinal // 2 + 1
                models = "{" + ",".join(MODELS[doc_index % 3]) + "}"
                vec = "[" + ",".join(f"{x:.5f}" for x in vector) + "]"
                language = LANGS[doc_index % 6]
                body = text.replace("\n", "\\n")
                row = [str(document.id), str(ordinal), section, str(page), str(page), language, models, body, vec]
                row.append("bench")
                copy.write_row(row)
                written += 1
    raw.commit()
    print(f"copied {written} chunks in {time.perf_counter() - started:.1f}s", flush=True)
    rows = 0
    with raw.cursor() as cur:
        cur.execute("SELECT id, language FROM knowledge_chunk ORDER BY id")
        chunk_rows = cur.fetchall()
        with cur.copy(
            "COPY knowledge_chunkvector (chunk_id, kind, ordinal, language, text, embedding, embedding_model) "
            "FROM STDIN"
        ) as copy:
            for chunk_id, language in chunk_rows:
                if rng.random() >= row_share:
                    continue
                for ordinal in range(2):
                    vector = base[rng.randrange(len(base))] + np_rng.normal(0, 0.025, base.shape[1]).astype(np.float32)
                    vector /= np.linalg.norm(vector)
                    text = f"Interval: {rng.randint(50, 2000)} h; Part: AB-{rng.randint(1000, 9999)}"
                    vec = "[" + ",".join(f"{x:.5f}" for x in vector) + "]"
                    copy.write_row([str(chunk_id), "table_row", str(ordinal), language, text, vec, "bench"])
                    rows += 1
    raw.commit()
    print(f"copied {rows} table-row vectors in {time.perf_counter() - started:.1f}s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE knowledge_chunk SET search_vector = setweight(to_tsvector('english', section), 'A') "
            "|| to_tsvector('english', text) || to_tsvector('simple', lower(text))"
        )
        print(f"full-text vectors after {time.perf_counter() - started:.1f}s", flush=True)
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 1")
        cursor.execute("SET statement_timeout = 0")
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("ANALYZE knowledge_chunk")
        cursor.execute("ANALYZE knowledge_chunkvector")
    print(f"index built, total {time.perf_counter() - started:.1f}s", flush=True)


def queries(count: int) -> list[tuple[str, str | None, str | None]]:
    items = []
    if DEV_QUERIES.exists():
        for line in DEV_QUERIES.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            items.append((q["query"], q.get("language"), q.get("machine_model")))
    rng = random.Random(3)
    while len(items) < count:
        items.append((f"the {rng.choice(SUBJECTS)} {rng.choice(STATES)}", "en", None))
    out = []
    for i, (text, lang, _) in enumerate(items[:count]):
        out.append((text, lang, ["V4.0", "V3.1B"][i % 2] if i % 2 == 0 else None))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--row-share", type=float, default=0.3, help="share of chunks with two table-row vectors")
    parser.add_argument("--reload", action="store_true", help="rebuild the synthetic index")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    _django.setup("search")

    from knowledge.embeddings import get_embedder
    from knowledge.models import Chunk
    from knowledge.search import chunks_hybrid_search

    if args.reload or Chunk.objects.count() != args.chunks:
        load(args.chunks, args.row_share)
    embedder = get_embedder("active")
    # Every measured search must embed its query: no repeated-query cache (knowledge/embeddings/local.py).
    if hasattr(embedder, "query_cache_size"):
        embedder.query_cache_size = 0
    workload = queries(args.queries)
    for text, lang, model in workload[:20]:  # warm caches and the model
        chunks_hybrid_search(query=text, k=5, language=lang, machine_model=model)
    totals, embeds = [], []
    for text, lang, model in workload:
        started = time.perf_counter()
        embedder.embed_query(text)
        embeds.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        result = chunks_hybrid_search(query=text, k=5, language=lang, machine_model=model)
        totals.append((time.perf_counter() - started) * 1000)
        assert result.results or result.abstained
    report = {
        "chunks": Chunk.objects.count(),
        "queries": len(totals),
        "search_ms_p50": round(_django.percentile(totals, 50), 1),
        "search_ms_p95": round(_django.percentile(totals, 95), 1),
        "search_ms_p99": round(_django.percentile(totals, 99), 1),
        "query_embedding_ms_p50": round(_django.percentile(embeds, 50), 1),
        "query_embedding_ms_p95": round(_django.percentile(embeds, 95), 1),
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main()

"""Search latency with a large index: p50/p95/p99 of chunks_hybrid_search, query embeddings included.

    .venv/bin/python bench/search_latency.py [--chunks 100000] [--queries 300] [--reload] [--json]

Builds (once; reused while the build parameters match) an index of synthetic chunks in its own
database: 40 documents across the six languages, each language with documents for the V5.0, the
V2.8 and all models. Every chunk is real text in its document's language: a heading and shuffled
sentences, steps and table rows of the manuals written in that language (the nine dev-eval manuals
in shared/dev-eval/manuals/src and the demo manuals in demo/manuals), recombined with a fixed seed
into `--base-texts` texts of 80-350 words. Chunk vectors cluster like real ones: each is the real
multilingual-e5 passage embedding of its base text (title and heading included, as ingestion
embeds it) plus Gaussian noise, renormalised. `concepts` is the base text's real glossary
annotation (knowledge.indexing.chunk_concepts) and `search_vector` its real full-text vector, both
computed once per base text. About `--row-share` of the base texts carry one of their language's
tables; chunks made from them get table-row vectors (the first `--rows-per-chunk` rows, as
knowledge.indexing.table_rows writes them, embedded and noised the same way). Rows are loaded with
COPY and the secondary indexes (HNSW per language, GIN) rebuilt afterwards, as a bulk import would.

Queries are the dev-eval questions in six languages (repeated when `--queries` asks for more), half
of them with a machine-model filter (their own, or V5.0 / V2.8 in turn), run through the real code
path (knowledge.search.chunks_hybrid_search) in one process with the query-vector cache off, so
every search embeds its question and, for non-English questions, its English gloss.
Target (SPEC §6): p95 <= 50 ms on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import _django

REPO = Path(__file__).resolve().parent.parent
DEV_EVAL = REPO.parent / "shared" / "dev-eval"
DEV_QUERIES = DEV_EVAL / "queries.jsonl"
DEV_MANUALS = DEV_EVAL / "manuals" / "src"
DEMO_MANUALS = REPO / "demo" / "manuals"
CACHE_DIR = REPO / "var" / "bench"

LANGS = ["en", "el", "es", "ar", "tr", "nb"]
# Every language gets documents for each model and for all models: a language whose chunks are all
# for one model would let a filtered search skip it (knowledge.search._Profile.languages_for).
MODELS = [["V5.0"], ["V2.8"], []]
DOCUMENTS = 40
MIN_WORDS, MAX_WORDS = 80, 350
# Largest share of a chunk a table may take: the rest is sentences under its heading.
TABLE_MAX_WORDS = 220
NOISE = 0.025
# Bump when the generated index changes, so that an older build is not reused.
BUILD = 2

_SENTENCE_END = re.compile(r"(?<=\D[.!?؟])\s+(?=\S)")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$")
_MD_LIST = re.compile(r"^(?:[-*]|\d+[.)])\s+(.+)$")
_MD_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")


# --- source material: the manuals' sections, per language --------------------------------------


@dataclass
class Section:
    language: str
    title: str
    heading: str
    sentences: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)


def _sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(paragraph.strip()) if s.strip()]


def _dev_sections(path: Path) -> list[Section]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for raw in doc["sections"]:
        section = Section(doc["language"], doc["title"], raw["heading"])
        for key in ("warnings", "paragraphs", "notes"):
            for paragraph in raw.get(key, ()):
                section.sentences += _sentences(paragraph)
        section.steps += [step.strip() for step in raw.get("steps", ()) if step.strip()]
        if raw.get("table"):
            section.tables.append([[str(cell) for cell in row] for row in raw["table"]])
        out.append(section)
    return out


def _demo_sections(path: Path, language: str) -> list[Section]:
    lines = path.read_text(encoding="utf-8").splitlines()
    title = next((m.group(2) for line in lines if (m := _MD_HEADING.match(line))), path.stem)
    sections = [Section(language, title, title)]
    table: list[list[str]] = []
    for line in [*lines, ""]:
        line = line.strip()
        if table and not line.startswith("|"):
            sections[-1].tables.append(table)
            table = []
        if not line:
            continue
        if heading := _MD_HEADING.match(line):
            if heading.group(2) != title:
                sections.append(Section(language, title, heading.group(2)))
        elif line.startswith("|"):
            if not _MD_TABLE_RULE.match(line.strip("| ")) and not _MD_TABLE_RULE.match(line):
                table.append([cell.strip() for cell in line.strip("|").split("|")])
        elif item := _MD_LIST.match(line):
            sections[-1].steps.append(item.group(1))
        else:
            sections[-1].sentences += _sentences(line.lstrip("⚠ "))
    return [s for s in sections if s.sentences or s.steps or s.tables]


def source_sections() -> dict[str, list[Section]]:
    by_language: dict[str, list[Section]] = {lang: [] for lang in LANGS}
    for path in sorted(DEV_MANUALS.glob("*.json")):
        for section in _dev_sections(path):
            by_language[section.language].append(section)
    manifest = json.loads((DEMO_MANUALS / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest:
        for section in _demo_sections(DEMO_MANUALS / entry["file"], entry["language"]):
            by_language[section.language].append(section)
    missing = [lang for lang, sections in by_language.items() if not sections]
    if missing:
        raise SystemExit(f"no source manuals in {missing}")
    return by_language


# --- base texts: recombined real text, 80-350 words, one language each --------------------------


@dataclass(frozen=True)
class BaseText:
    language: str
    title: str
    section: str
    text: str
    rows: tuple[str, ...]


def _render_table(table: list[list[str]]) -> str:
    from knowledge.ingestion.blocks import count_words

    header, *rows = table
    kept = [header]
    for row in rows:
        if len(kept) > 1 and count_words("\n".join(" | ".join(r) for r in [*kept, row])) > TABLE_MAX_WORDS:
            break
        kept.append(row)
    return "\n".join(" | ".join(cell or "–" for cell in row) for row in kept)


def _render(rng: random.Random, sentences: list[str], steps: list[str], table: str | None) -> str:
    # Paragraphs of two to four sentences, one numbered step list, the table as its own block (the
    # chunk text convention of knowledge.ingestion.chunking), in a shuffled order.
    blocks = []
    while sentences:
        size = rng.randint(2, 4)
        blocks.append(" ".join(sentences[:size]))
        sentences = sentences[size:]
    if steps:
        blocks.append("\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1)))
    rng.shuffle(blocks)
    if table:
        blocks.insert(rng.randint(0, len(blocks)), table)
    return "\n\n".join(blocks)


def base_texts(count: int, row_share: float, rows_per_chunk: int, seed: int) -> list[BaseText]:
    """`count` texts, an equal share per language; a heading with its own section's sentences and
    steps first, then others of the same language, shuffled, up to a length drawn in 80-350 words."""
    from knowledge.indexing import table_rows
    from knowledge.ingestion.blocks import count_words

    sources = source_sections()
    per_language = max(1, count // len(LANGS))
    out: list[BaseText] = []
    for lang_index, lang in enumerate(LANGS):
        rng = random.Random(seed * 1000 + lang_index)
        sections = sources[lang]
        tabled = [s for s in sections if s.tables]
        pool = [("s", x) for s in sections for x in s.sentences] + [("p", x) for s in sections for x in s.steps]
        with_tables = round(row_share * per_language) if tabled else 0
        for j in range(per_language):
            section = tabled[j % len(tabled)] if j < with_tables else rng.choice(sections)
            table = _render_table(section.tables[j // len(tabled) % len(section.tables)]) if j < with_tables else None
            target = rng.randint(MIN_WORDS, MAX_WORDS)
            own = [("s", x) for x in section.sentences] + [("p", x) for x in section.steps]
            rng.shuffle(own)
            others = list(pool)
            rng.shuffle(others)
            words = count_words(table) if table else 0
            picked: list[tuple[str, str]] = []
            for unit in own + others:
                if words >= target:
                    break
                size = count_words(unit[1])
                if unit in picked or words + size > MAX_WORDS:
                    continue
                picked.append(unit)
                words += size
            text = _render(rng, [x for k, x in picked if k == "s"], [x for k, x in picked if k == "p"], table)
            rows = tuple(table_rows(section.heading, text, limit=rows_per_chunk)) if table else ()
            out.append(BaseText(lang, section.title, section.heading, text, rows))
    return out


# --- loading -------------------------------------------------------------------------------------


def _signature(args: argparse.Namespace) -> str:
    from knowledge.glossary import glossary

    parts = (BUILD, args.chunks, args.row_share, args.rows_per_chunk, args.base_texts, args.seed, glossary().version)
    return "bench-search:" + ":".join(str(p) for p in parts)


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    # Every index but those backing a constraint (primary keys, unique ordinals).
    cursor.execute(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.tablename IN ('knowledge_chunk', 'knowledge_chunkvector') "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
    )
    return cursor.fetchall()


def _vector_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.5f}" for x in vector.tolist()) + "]"


def _embed_passages(embedder, texts: list[str]) -> np.ndarray:
    # Embedding a few hundred passages takes minutes on two cores; a rebuild with the same texts
    # (another --chunks, a failed load) reuses them.
    digest = hashlib.sha256("\0".join([embedder.model_id, *texts]).encode()).hexdigest()[:16]
    path = CACHE_DIR / f"search-latency-{digest}.npy"
    if path.exists():
        return np.load(path)
    vectors = embedder.embed_passages(texts) if texts else np.zeros((0, embedder.dimensions), np.float32)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def _noisy(base: np.ndarray, np_rng: np.random.Generator) -> np.ndarray:
    vector = base + np_rng.normal(0, NOISE, base.shape[0]).astype(np.float32)
    return vector / np.linalg.norm(vector)


def load(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.utils import timezone

    from core.text.languages import ts_config
    from core.text.lexicon import fold
    from knowledge.embeddings import get_embedder
    from knowledge.indexing import chunk_concepts, passage_text
    from knowledge.models import Document

    started = time.perf_counter()
    with connection.cursor() as cursor:
        indexes = _secondary_indexes(cursor)
        if not any("USING hnsw" in definition for _, definition in indexes):
            raise SystemExit("the bench database has no HNSW index: drop database autoboss_bench_search and rerun")
        # COPY of 100 000 rows and the index builds take longer than the product's statement timeout.
        cursor.execute("SET statement_timeout = 0")
        cursor.execute("TRUNCATE knowledge_chunkvector, knowledge_chunk, knowledge_document RESTART IDENTITY CASCADE")
    signature = _signature(args)
    now = timezone.now()
    documents = []
    for i in range(DOCUMENTS):
        language, models = LANGS[i % len(LANGS)], MODELS[i // len(LANGS) % len(MODELS)]
        documents.append(
            Document.objects.create(
                title=f"Benchmark manual {i} ({language}, {'/'.join(models) or 'all models'})",
                doc_type="manual" if language == "en" else "quick_guide",
                file_name=f"bench-{i}.pdf",
                file=f"bench/bench-{i}.pdf",
                content_sha256=f"{i:064x}",
                status="ready",
                ready_at=now,
                machine_models=models,
                language=language,
                revision=signature,
                pages_total=args.chunks // DOCUMENTS // 2 + 1,
                pages_done=args.chunks // DOCUMENTS // 2 + 1,
                content_type="pdf",
            )
        )

    texts = base_texts(args.base_texts, args.row_share, args.rows_per_chunk, args.seed)
    embedder = get_embedder("active")
    base = _embed_passages(embedder, [passage_text(t.title, t.section, t.text) for t in texts])
    row_texts = [row for t in texts for row in t.rows]
    row_base = _embed_passages(embedder, row_texts)
    row_index = {row: i for i, row in enumerate(row_texts)}
    concepts = [json.dumps(chunk_concepts(t.language, t.section, t.text), ensure_ascii=False) for t in texts]
    with connection.cursor() as cursor:
        search_vectors = []
        for t in texts:
            # The tsvector ingestion writes (knowledge.indexing.index_full_text), as COPY text.
            cursor.execute(
                "SELECT (setweight(to_tsvector(%s::regconfig, %s), 'A') || to_tsvector(%s::regconfig, %s) "
                "|| to_tsvector('simple', %s))::text",
                [ts_config(t.language), t.section, ts_config(t.language), t.text, fold(f"{t.section}\n{t.text}")],
            )
            search_vectors.append(cursor.fetchone()[0])
    words = [len(t.text.split()) for t in texts]
    print(
        f"{len(texts)} base texts ({min(words)}-{max(words)} words, median {sorted(words)[len(words) // 2]}), "
        f"{len(row_texts)} table rows embedded in {time.perf_counter() - started:.1f}s",
        flush=True,
    )

    with connection.cursor() as cursor:
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    try:
        _copy_chunks(args, documents, texts, base, row_base, row_index, search_vectors, concepts, started)
    finally:
        # Also after a failed load: the index definitions exist only in the migrations otherwise.
        connection.connection.rollback()  # a failed COPY leaves its transaction aborted
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute("SET max_parallel_maintenance_workers = 1")
            for _, definition in indexes:
                cursor.execute(definition)
            # As autovacuum would leave a settled index: hint bits set, statistics current.
            for table in ("knowledge_document", "knowledge_chunk", "knowledge_chunkvector"):
                cursor.execute(f"VACUUM ANALYZE {table}")
            cursor.execute("RESET statement_timeout")
    print(f"{len(indexes)} indexes built, total {time.perf_counter() - started:.1f}s", flush=True)


def _copy_chunks(args, documents, texts, base, row_base, row_index, search_vectors, concepts, started) -> None:
    from django.db import connection

    from knowledge.embeddings import get_embedder
    from knowledge.glossary import glossary

    rng = random.Random(args.seed)
    np_rng = np.random.default_rng(args.seed)
    model_id = get_embedder("active").model_id
    version = glossary().version
    by_language: dict[str, list[int]] = {}
    for i, t in enumerate(texts):
        by_language.setdefault(t.language, []).append(i)
    per_doc = args.chunks // len(documents)
    chunk_base: list[int] = []
    raw = connection.connection
    with (
        raw.cursor() as cur,
        cur.copy(
            "COPY knowledge_chunk (document_id, ordinal, section, page_start, page_end, language, machine_models, "
            "text, embedding, embedding_model, search_vector, concepts, concepts_version) FROM STDIN"
        ) as copy,
    ):
        for document in documents:
            models = "{" + ",".join(document.machine_models) + "}"
            for ordinal in range(per_doc):
                i = rng.choice(by_language[document.language])
                t = texts[i]
                page = ordinal // 2 + 2  # page 1 is the title page
                copy.write_row(
                    [
                        document.id, ordinal, t.section, page, page, t.language, models, t.text,
                        _vector_literal(_noisy(base[i], np_rng)), model_id, search_vectors[i], concepts[i], version,
                    ]
                )  # fmt: skip
                chunk_base.append(i)
    raw.commit()
    print(f"copied {len(chunk_base)} chunks in {time.perf_counter() - started:.1f}s", flush=True)
    rows = 0
    with raw.cursor() as cur:
        cur.execute("SELECT id FROM knowledge_chunk ORDER BY id")
        chunk_ids = [row[0] for row in cur.fetchall()]
        with cur.copy(
            "COPY knowledge_chunkvector (chunk_id, kind, ordinal, language, text, embedding, embedding_model) "
            "FROM STDIN"
        ) as copy:
            for chunk_id, i in zip(chunk_ids, chunk_base, strict=True):
                t = texts[i]
                for ordinal, row in enumerate(t.rows):
                    vector = _vector_literal(_noisy(row_base[row_index[row]], np_rng))
                    copy.write_row([chunk_id, "table_row", ordinal, t.language, row, vector, model_id])
                    rows += 1
    raw.commit()
    print(f"copied {rows} table-row vectors in {time.perf_counter() - started:.1f}s", flush=True)


def _needs_load(args: argparse.Namespace) -> bool:
    from knowledge.models import Chunk, Document

    signatures = set(Document.objects.values_list("revision", flat=True))
    expected = args.chunks // DOCUMENTS * DOCUMENTS
    return args.reload or signatures != {_signature(args)} or Chunk.objects.count() != expected


# --- the workload --------------------------------------------------------------------------------


def queries(count: int) -> list[tuple[str, str | None, str | None]]:
    """(question, language, machine model): every other question filtered by a model."""
    items = []
    for line in DEV_QUERIES.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        items.append((q["query"], q.get("language"), q.get("machine_model")))
    out = []
    for i in range(count):
        text, lang, own_model = items[i % len(items)]
        model = (own_model or ("V5.0", "V2.8")[i // 2 % 2]) if i % 2 == 0 else None
        out.append((text, lang, model))
    return out


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {f"p{q}": round(_django.percentile(values, q), 1) for q in (50, 95, 99)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--base-texts", type=int, default=384, help="real texts the chunks are drawn from")
    parser.add_argument("--row-share", type=float, default=0.3, help="share of chunks with table-row vectors")
    parser.add_argument("--rows-per-chunk", type=int, default=2, help="table-row vectors of such a chunk")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reload", action="store_true", help="rebuild the synthetic index")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    # As deploy/gunicorn.conf.py runs the product: one OpenMP thread per embedding. With the
    # default (one per core) a query embedding spins on both cores and, whenever anything else
    # runs on the machine, waits for a time slice: tens of milliseconds become a second.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _django.setup("search")

    from django.conf import settings

    from knowledge.embeddings import get_embedder
    from knowledge.models import Chunk, ChunkVector
    from knowledge.search import chunks_hybrid_search

    if _needs_load(args):
        load(args)
    embedder = get_embedder(settings.KNOWLEDGE_SEARCH.get("EMBEDDING_BACKEND", "active"))
    # Every measured search must embed its query: no repeated-query cache (knowledge/embeddings/local.py).
    if hasattr(embedder, "query_cache_size"):
        embedder.query_cache_size = 0
    # Time the embeddings search makes (the question, and the English gloss of a non-English one).
    embed_calls: list[float] = []
    embed_query = embedder.embed_query

    def timed_embed_query(text: str) -> np.ndarray:
        started = time.perf_counter()
        try:
            return embed_query(text)
        finally:
            embed_calls.append((time.perf_counter() - started) * 1000)

    embedder.embed_query = timed_embed_query
    workload = queries(args.queries)
    for text, lang, model in workload[:20]:  # warm caches and the model
        chunks_hybrid_search(query=text, k=5, language=lang, machine_model=model)
    totals, embeds, counts = [], [], []
    by_filter: dict[str, list[float]] = {"filtered": [], "unfiltered": []}
    by_language: dict[str, list[float]] = {}
    for text, lang, model in workload:
        embed_calls.clear()
        started = time.perf_counter()
        result = chunks_hybrid_search(query=text, k=5, language=lang, machine_model=model)
        elapsed = (time.perf_counter() - started) * 1000
        assert result.results or result.abstained
        totals.append(elapsed)
        embeds.append(sum(embed_calls))
        counts.append(len(embed_calls))
        by_filter["filtered" if model else "unfiltered"].append(elapsed)
        by_language.setdefault(lang or "?", []).append(elapsed)
    report = {
        "chunks": Chunk.objects.count(),
        "row_vectors": ChunkVector.objects.count(),
        "queries": len(totals),
        "search_ms": _percentiles(totals),
        "search_ms_filtered": _percentiles(by_filter["filtered"]),
        "search_ms_unfiltered": _percentiles(by_filter["unfiltered"]),
        "search_ms_p95_by_language": {lang: _percentiles(v)["p95"] for lang, v in sorted(by_language.items())},
        "embedding_ms_per_query": _percentiles(embeds),
        "embeddings_per_query": round(sum(counts) / len(counts), 2),
        "embedding_share": round(sum(embeds) / sum(totals), 3),
        "search_ms_excluding_embedding": _percentiles([t - e for t, e in zip(totals, embeds, strict=True)]),
        # Other work on the machine shows up in every figure; 1-minute load average after the run.
        "load_average": round(os.getloadavg()[0], 2),
        "omp_num_threads": os.environ["OMP_NUM_THREADS"],
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>30}: {value}")


if __name__ == "__main__":
    main()

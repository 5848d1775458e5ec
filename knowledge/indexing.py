"""How a chunk is represented for retrieval: the embedded text, extra row vectors, the full-text vector.

All search signals are built here, at ingestion, so that search.py only has to query them:

* the chunk's own embedding, of `passage_text` (title and section heading give a short chunk its
  context);
* one extra embedding per table row (`ChunkVector`), because a chunk's embedding averages all of
  its text and a single value in a table ("Weight of rig R5: 165 kg") barely moves it. Each row is
  written out with its column headers and the section heading, so it reads as a sentence-like fact;
  search takes the best of the chunk's and its rows' similarities (max-sim). Bounded per chunk, so
  ingestion cost stays linear in pages;
* a tsvector: the chunk language's stemmer (heading weighted A) plus accent-folded 'simple' tokens,
  which keep codes, part numbers and accent-less spellings matchable across languages.
"""

from __future__ import annotations

from django.conf import settings

from core.text.languages import ts_config
from core.text.lexicon import fold

from .glossary import glossary

# Cells that mean "nothing here"; they add no information to a row's text.
_EMPTY_CELLS = frozenset({"", "-", "–", "—", "n/a", "/"})
DEFAULT_ROW_VECTORS_PER_CHUNK = 24


def passage_text(title: str, section: str, text: str) -> str:
    # The title and heading give a short chunk its context ("Pressure loss" under "V4.0 manual").
    header = " — ".join(part for part in (title, section) if part)
    return f"{header}\n{text}" if header else text


def table_rows(section: str, text: str, *, limit: int = DEFAULT_ROW_VECTORS_PER_CHUNK) -> list[str]:
    """One text per table row of a chunk: "<heading>\\n<col>: <value>; <col>: <value>".

    Tables follow the chunk text convention of ingestion.chunking: a block of `a | b | c` lines,
    header first. A row without a header (a one-line "table") is not a table.
    """
    rows: list[str] = []
    for block in text.split("\n\n"):
        lines = [line.strip() for line in block.strip().split("\n") if line.strip()]
        if len(lines) < 2 or not all(" | " in line for line in lines):
            continue
        header = [cell.strip() for cell in lines[0].split("|")]
        for line in lines[1:]:
            cells = [cell.strip() for cell in line.split("|")]
            facts = []
            for position, value in enumerate(cells):
                if value.lower() in _EMPTY_CELLS:
                    continue
                name = header[position] if position < len(header) else ""
                facts.append(f"{name}: {value}" if name else value)
            if facts:
                rows.append(f"{section}\n" + "; ".join(facts) if section else "; ".join(facts))
            if len(rows) >= limit:
                return rows
    return rows


def index_chunks(chunks: list, embedder) -> None:
    """Everything search needs besides the chunk's own embedding, for freshly inserted chunks."""
    index_full_text([c.id for c in chunks], [(c.language, c.section, c.text) for c in chunks])
    index_row_vectors(chunks, embedder)
    index_concepts(chunks)


def chunk_concepts(language: str, section: str, text: str) -> dict[str, int]:
    """The glossary concepts a chunk names, with counts (its heading counts like its text)."""
    return glossary().concept_counts(f"{section}\n{text}", language)


def index_concepts(chunks: list) -> None:
    """Store the glossary concepts of saved Chunk rows (no embedding: milliseconds per chunk)."""
    from .models import Chunk

    version = glossary().version
    for chunk in chunks:
        chunk.concepts = chunk_concepts(chunk.language, chunk.section, chunk.text)
        chunk.concepts_version = version
    Chunk.objects.bulk_update(chunks, ["concepts", "concepts_version"], batch_size=500)


def refresh_concepts(*, batch_size: int = 500) -> int:
    """Re-annotate chunks whose concepts come from another glossary version; returns how many.

    Run after the glossary data changes (a deploy): `manage.py reindex_concepts` and the beat task
    `knowledge.refresh_concepts` call it; search uses whatever is stored meanwhile.
    """
    from .models import Chunk

    version = glossary().version
    done = 0
    while True:
        stale = list(
            Chunk.objects.exclude(concepts_version=version)
            .only("id", "language", "section", "text")
            .order_by("id")[:batch_size]
        )
        if not stale:
            if done:
                # The search profile (concept statistics) is keyed on IndexState: rebuild it.
                from django.utils import timezone

                from .models import IndexState

                IndexState.objects.update(updated_at=timezone.now())
            return done
        index_concepts(stale)
        done += len(stale)


def index_row_vectors(chunks: list, embedder) -> int:
    """Embed the table rows of `chunks` (saved Chunk rows) as ChunkVector rows; returns how many."""
    from .models import ChunkVector

    limit = settings.KNOWLEDGE_SEARCH.get("ROW_VECTORS_PER_CHUNK", DEFAULT_ROW_VECTORS_PER_CHUNK)
    if limit <= 0:
        return 0
    owners: list = []
    texts: list[str] = []
    for chunk in chunks:
        for text in table_rows(chunk.section, chunk.text, limit=limit):
            owners.append(chunk)
            texts.append(text)
    if not texts:
        return 0
    vectors = embedder.embed_passages(texts)
    ordinals: dict[int, int] = {}
    rows = []
    for chunk, text, vector in zip(owners, texts, vectors, strict=True):
        ordinal = ordinals.get(chunk.id, 0)
        ordinals[chunk.id] = ordinal + 1
        rows.append(
            ChunkVector(
                chunk_id=chunk.id,
                kind=ChunkVector.Kind.TABLE_ROW,
                ordinal=ordinal,
                language=chunk.language,
                text=text,
                embedding=vector,
                embedding_model=embedder.model_id,
            )
        )
    ChunkVector.objects.bulk_create(rows)
    return len(rows)


def refresh_row_vectors(embedder, *, batch_size: int = 256) -> int:
    """Re-embed the row vectors whose model is not their chunk's; returns how many were redone.

    After `manage.py reembed` switches the chunks to another model, search ignores row vectors of
    the old model (it compares ChunkVector.embedding_model with Chunk.embedding_model); this brings
    them back. Meant to run after the switch (reembedding.reembed_all does not call it yet).
    """
    from django.db.models import F

    from .models import ChunkVector

    done = 0
    while True:
        stale = list(
            ChunkVector.objects.exclude(embedding_model=F("chunk__embedding_model"))
            .filter(chunk__embedding_model=embedder.model_id)
            .order_by("id")[:batch_size]
        )
        if not stale:
            return done
        for row, vector in zip(stale, embedder.embed_passages([r.text for r in stale]), strict=True):
            row.embedding = vector
            row.embedding_model = embedder.model_id
        ChunkVector.objects.bulk_update(stale, ["embedding", "embedding_model"])
        done += len(stale)


def index_full_text(chunk_ids: list[int], contents: list[tuple[str, str, str]]) -> None:
    """tsvector = the chunk language's stemmer || accent-folded 'simple' tokens (codes, numbers)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for chunk_id, (language, section, text) in zip(chunk_ids, contents, strict=True):
            body = f"{section}\n{text}"
            cursor.execute(
                "UPDATE knowledge_chunk SET search_vector = "
                "setweight(to_tsvector(%s::regconfig, %s), 'A') || to_tsvector(%s::regconfig, %s) "
                "|| to_tsvector('simple', %s) WHERE id = %s",
                [ts_config(language), section, ts_config(language), text, fold(body), chunk_id],
            )

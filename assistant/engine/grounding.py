"""What a reply may be built from: the retrieved manual sections and their citations."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from knowledge.metrics import SEARCH_SECONDS
from knowledge.search import ScoredChunk, SearchHit, chunks_hybrid_search

# Sources handed to the LLM / the offline responder. More sources dilute the answer; fewer miss
# the page that a cross-lingual question needs.
SOURCES_PER_TURN = 4


@dataclass(frozen=True)
class Grounding:
    query: str
    language: str
    abstained: bool
    # The retrieved sections, best first; a source's number ([1], [2]... in prompts and
    # citations) is its position here.
    sources: tuple[SearchHit, ...] = field(default_factory=tuple)
    retrieval_ms: float = 0.0
    # Every scored candidate of the search (procedure matching reads beyond the sources), and the
    # glossary concepts the question names.
    candidates: tuple[ScoredChunk, ...] = field(default_factory=tuple)
    concepts: tuple[str, ...] = field(default_factory=tuple)
    # Concepts of things (parts, equipment) the question names that no document mentions.
    unsupported: tuple[str, ...] = field(default_factory=tuple)
    # The question's vector as the search embedded it: procedure matching scores experts' procedures
    # with it instead of embedding the question again (an embedding endpoint call per reuse).
    query_vector: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def citations(self) -> list[dict]:
        return [citation(number, hit) for number, hit in enumerate(self.sources, start=1)]

    def source_text(self) -> str:
        return "\n".join(f"{s.section}\n{s.text}" for s in self.sources)


def retrieve(*, query: str, language: str, machine_model: str | None) -> Grounding:
    result = chunks_hybrid_search(
        query=query, k=SOURCES_PER_TURN, machine_model=machine_model or None, language=language
    )
    SEARCH_SECONDS.observe(result.took_ms / 1000)
    sources = tuple(result.results)
    return Grounding(
        query=query,
        language=language,
        abstained=result.abstained or not sources,
        sources=() if result.abstained else sources,
        retrieval_ms=result.took_ms,
        candidates=result.candidates,
        concepts=result.concepts,
        unsupported=result.unsupported,
        query_vector=result.query_vector,
    )


def citation(number: int, hit: SearchHit) -> dict:
    return {
        "source": number,
        "chunk_id": hit.chunk_id,
        "document_id": hit.document_id,
        "document_title": hit.document_title,
        "file_name": hit.file_name,
        "page_start": hit.page_start,
        "page_end": hit.page_end,
        "section": hit.section,
    }

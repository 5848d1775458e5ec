"""What a reply may be built from: the retrieved manual sections and their citations."""

from __future__ import annotations

from dataclasses import dataclass, field

from knowledge.search import SearchHit, chunks_hybrid_search

# Sources handed to the LLM / the offline responder. More sources dilute the answer; fewer miss
# the page that a cross-lingual question needs.
SOURCES_PER_TURN = 4


@dataclass(frozen=True)
class Source:
    number: int  # [1], [2]... as referenced in the prompt
    chunk_id: int
    document_id: int
    document_title: str
    file_name: str
    page_start: int
    page_end: int
    section: str
    language: str
    text: str

    def citation(self) -> dict:
        return {
            "source": self.number,
            "chunk_id": self.chunk_id,
            "document_id": self.document_id,
            "document_title": self.document_title,
            "file_name": self.file_name,
            "page_start": self.page_start,
            "page_end": self.page_end,
            "section": self.section,
        }


@dataclass(frozen=True)
class Grounding:
    query: str
    language: str
    abstained: bool
    sources: tuple[Source, ...] = field(default_factory=tuple)
    retrieval_ms: float = 0.0

    @property
    def citations(self) -> list[dict]:
        return [source.citation() for source in self.sources]

    def source_text(self) -> str:
        return "\n".join(f"{s.section}\n{s.text}" for s in self.sources)


def retrieve(*, query: str, language: str, machine_model: str | None) -> Grounding:
    result = chunks_hybrid_search(
        query=query, k=SOURCES_PER_TURN, machine_model=machine_model or None, language=language
    )
    sources = tuple(_source(number, hit) for number, hit in enumerate(result.results, start=1))
    return Grounding(
        query=query,
        language=language,
        abstained=result.abstained or not sources,
        sources=() if result.abstained else sources,
        retrieval_ms=result.took_ms,
    )


def _source(number: int, hit: SearchHit) -> Source:
    return Source(
        number=number,
        chunk_id=hit.chunk_id,
        document_id=hit.document_id,
        document_title=hit.document_title,
        file_name=hit.file_name,
        page_start=hit.page_start,
        page_end=hit.page_end,
        section=hit.section,
        language=hit.language,
        text=hit.text,
    )

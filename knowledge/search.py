"""Hybrid retrieval: pgvector similarity + PostgreSQL full-text rank, fused by reciprocal rank.

Read-only (a selector in CONVENTIONS' terms). One SQL round trip fetches both candidate lists;
fusion, the model preference and abstention happen here in Python where they are easy to read.
See docs/knowledge.md for the reasoning and the calibration of the numbers below.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from .embeddings import get_embedder
from .ingestion.lexicon import fold
from .languages import LANGUAGES, ts_config

# Reciprocal rank fusion constant (Cormack et al. use 60; smaller favours the top of each list).
RRF_K = 60
# How many candidates each retriever contributes before fusion.
CANDIDATES = 50
_WORD = re.compile(r"[\w][\w\-./]*", re.UNICODE)
_MAX_QUERY_TERMS = 32


@dataclass(frozen=True)
class SearchHit:
    chunk_id: int
    document_id: int
    document_title: str
    file_name: str
    page_start: int
    page_end: int
    section: str
    language: str
    text: str
    score: float
    vector_similarity: float | None
    text_rank: float | None


@dataclass(frozen=True)
class SearchResult:
    results: list[SearchHit]
    abstained: bool
    took_ms: float
    mode: str
    best_similarity: float | None = None
    debug: dict = field(default_factory=dict)


def _query_terms(query: str) -> list[str]:
    terms = []
    for raw in _WORD.findall(query):
        term = re.sub(r"[^\w\-]", "", raw).strip("-")
        if term and term not in terms:
            terms.append(term)
    return terms[:_MAX_QUERY_TERMS]


def _or_query(terms: list[str]) -> str:
    # Every term is quoted, so nothing a user types can become tsquery syntax.
    return " | ".join("'" + t.replace("'", "") + "'" for t in terms)


def chunks_hybrid_search(
    *,
    query: str,
    k: int = 5,
    machine_model: str | None = None,
    language: str | None = None,
    mode: str = "hybrid",
) -> SearchResult:
    """Rank chunks of ready documents for `query`.

    `machine_model` keeps chunks for that model or for all models (the other model's sections are
    excluded) and prefers the model-specific ones. `language` is the query's language when known;
    it only chooses the stemmer for full-text matching — results in every language are searched.
    `mode` is "hybrid", "vector" or "text" (the last two for evaluation).
    """
    started = time.perf_counter()
    query = (query or "").strip()
    conf = settings.KNOWLEDGE_SEARCH
    if not query:
        return SearchResult([], True, 0.0, mode)
    language = language if language in LANGUAGES else None
    use_vector = mode in ("hybrid", "vector")
    use_text = mode in ("hybrid", "text")

    vector = get_embedder(conf["EMBEDDING_BACKEND"]).embed_query(query) if use_vector else None
    terms = _query_terms(query)
    folded_terms = _query_terms(fold(query))
    use_text = use_text and bool(terms)

    model_filter = ""
    params: dict = {"n": CANDIDATES}
    if machine_model:
        model_filter = "AND (cardinality(c.machine_models) = 0 OR %(model)s = ANY(c.machine_models))"
        params["model"] = machine_model

    parts = []
    if use_vector:
        params["qv"] = vector.tolist()
        parts.append(f"""
            vec AS MATERIALIZED (
                SELECT c.id, c.embedding <=> %(qv)s::vector AS dist
                FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
                WHERE d.status = 'ready' AND c.embedding IS NOT NULL {model_filter}
                ORDER BY c.embedding <=> %(qv)s::vector
                LIMIT %(n)s
            )""")
    if use_text:
        params["cfg"] = ts_config(language)
        params["terms"] = _or_query(terms)
        params["folded"] = _or_query(folded_terms)
        parts.append(f"""
            txt AS MATERIALIZED (
                SELECT c.id, ts_rank_cd(c.search_vector, q.tsq, 1) AS rank
                FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id,
                     (SELECT to_tsquery(%(cfg)s::regconfig, %(terms)s)
                             || to_tsquery('simple', %(folded)s) AS tsq) q
                WHERE d.status = 'ready' AND c.search_vector @@ q.tsq {model_filter}
                ORDER BY rank DESC
                LIMIT %(n)s
            )""")
    if not parts:
        return SearchResult([], True, round((time.perf_counter() - started) * 1000, 2), mode)

    selects = []
    if use_vector:
        selects.append("SELECT id, dist, NULL::float8 AS rank FROM vec")
    if use_text:
        selects.append("SELECT id, NULL::float8 AS dist, rank FROM txt")
    sql = "WITH " + ",".join(parts) + "\n" + "\nUNION ALL\n".join(selects)

    with transaction.atomic(), connection.cursor() as cursor:
        # Iterative index scans keep the HNSW scan going until enough rows pass the filters
        # (pgvector >= 0.8), so a model filter cannot starve the result list.
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        cursor.execute("SET LOCAL hnsw.ef_search = %s", [conf["EF_SEARCH"]])
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    distances: dict[int, float] = {}
    ranks: dict[int, float] = {}
    for chunk_id, dist, rank in rows:
        if dist is not None:
            distances[chunk_id] = float(dist)
        if rank is not None:
            ranks[chunk_id] = float(rank)
    vec_order = sorted(distances, key=distances.get)
    txt_order = sorted(ranks, key=lambda cid: -ranks[cid])
    fused: dict[int, float] = {}
    for position, chunk_id in enumerate(vec_order, start=1):
        fused[chunk_id] = fused.get(chunk_id, 0.0) + conf["VECTOR_WEIGHT"] / (RRF_K + position)
    for position, chunk_id in enumerate(txt_order, start=1):
        fused[chunk_id] = fused.get(chunk_id, 0.0) + conf["TEXT_WEIGHT"] / (RRF_K + position)

    candidates = _load_chunks(list(fused))
    if machine_model:
        # A section written for this model beats a generic one of similar rank.
        for chunk_id, chunk in candidates.items():
            if machine_model in chunk["machine_models"]:
                fused[chunk_id] += conf["MODEL_BONUS"] / RRF_K
    ordered = sorted(fused, key=lambda cid: -fused[cid])[: max(1, k)]

    best_similarity = (1.0 - distances[vec_order[0]]) if vec_order else None
    abstained = _should_abstain(best_similarity, bool(txt_order), conf, mode)
    hits = [
        SearchHit(
            chunk_id=cid,
            document_id=candidates[cid]["document_id"],
            document_title=candidates[cid]["document_title"],
            file_name=candidates[cid]["file_name"],
            page_start=candidates[cid]["page_start"],
            page_end=candidates[cid]["page_end"],
            section=candidates[cid]["section"],
            language=candidates[cid]["language"],
            text=candidates[cid]["text"],
            score=round(fused[cid], 6),
            vector_similarity=round(1.0 - distances[cid], 4) if cid in distances else None,
            text_rank=round(ranks[cid], 4) if cid in ranks else None,
        )
        for cid in ordered
        if cid in candidates
    ]
    return SearchResult(
        results=hits,
        abstained=abstained,
        took_ms=round((time.perf_counter() - started) * 1000, 2),
        mode=mode,
        best_similarity=round(best_similarity, 4) if best_similarity is not None else None,
    )


def _should_abstain(best_similarity: float | None, any_text_match: bool, conf: dict, mode: str) -> bool:
    """Abstain when the best passage is not similar enough to be about the question.

    The threshold is calibrated on shared/dev-eval (docs/knowledge.md); in text-only mode there is
    no similarity, so "no full-text match at all" is the only signal.
    """
    if mode == "text":
        return not any_text_match
    if best_similarity is None:
        return True
    return best_similarity < conf["ABSTAIN_BELOW"]


def _load_chunks(chunk_ids: list[int]) -> dict[int, dict]:
    if not chunk_ids:
        return {}
    from .models import Chunk

    rows = Chunk.objects.filter(id__in=chunk_ids).values(
        "id", "document_id", "document__title", "document__file_name", "page_start", "page_end",
        "section", "language", "text", "machine_models",
    )  # fmt: skip
    return {
        row["id"]: {
            **row,
            "document_title": row["document__title"],
            "file_name": row["document__file_name"],
        }
        for row in rows
    }

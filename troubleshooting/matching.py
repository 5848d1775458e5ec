"""Which procedure fits the fault an operator describes, for their machine model.

Two signals, because each misses cases the other finds:

* the chat turn's own hybrid search (knowledge.search): when one of the best sections IS a
  procedure's section (same document, overlapping pages), that procedure is what the manual says
  about this fault. This is strong for extracted procedures and for cross-lingual questions, which
  the search was tuned for (docs/knowledge.md).
* the similarity of the operator's words to the procedure's title and symptom: the only signal for
  procedures experts wrote in the admin, which are not in any document.

Procedure vectors are computed on first use and kept per process (keyed by the row's updated_at):
there are tens to hundreds of procedures, so this costs one batch embedding after a change and
saves a column, a migration and an indexing step for every edit in the admin.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db.models import Count, Max, Q

from knowledge.embeddings import get_embedder
from knowledge.indexing import passage_text
from knowledge.models import DocumentStatus, Procedure
from knowledge.search import SearchHit

# Similarity (cosine, multilingual-e5) above which a procedure matches on the words alone.
MIN_SIMILARITY = 0.84
# Added for a procedure whose section the search ranked r-th: HIT_BONUS / (1 + r).
HIT_BONUS = 0.06
# A procedure in the operator's language reads better quoted verbatim (offline responder).
SAME_LANGUAGE_BONUS = 0.01
# A procedure written for this very model beats one for all models.
MODEL_BONUS = 0.01


@dataclass(frozen=True)
class ProcedureMatch:
    procedure: Procedure
    score: float
    similarity: float
    search_rank: int | None  # rank of the procedure's section in the turn's search, None if absent
    confidence: float  # 0..1, shown to the operator


_vectors: dict[int, tuple[datetime, str, np.ndarray]] = {}
_lock = threading.Lock()


def procedures_for_fault(
    *, text: str, language: str, machine_model: str, hits: tuple[SearchHit, ...] | list[SearchHit] = ()
) -> list[ProcedureMatch]:
    """Procedures that fit the described fault, best first (empty when none fits well enough)."""
    candidates = list(_candidates(machine_model))
    if not candidates:
        return []
    embedder = get_embedder(settings.KNOWLEDGE_SEARCH.get("EMBEDDING_BACKEND", "active"))
    query = np.asarray(embedder.embed_query(text), dtype=np.float32)
    vectors = _procedure_vectors(candidates, embedder)
    matches = []
    for procedure in candidates:
        similarity = float(query @ vectors[procedure.id])
        rank = _search_rank(procedure, hits)
        if rank is None and similarity < MIN_SIMILARITY:
            continue
        score = similarity + (HIT_BONUS / (1 + rank) if rank is not None else 0.0)
        score += SAME_LANGUAGE_BONUS if procedure.language == language else 0.0
        score += MODEL_BONUS if machine_model and machine_model in procedure.machine_models else 0.0
        matches.append(ProcedureMatch(procedure, score, similarity, rank, _confidence(similarity, rank)))
    matches.sort(key=lambda m: -m.score)
    return matches


def _candidates(machine_model: str):
    queryset = (
        Procedure.objects.filter(is_active=True)
        .filter(Q(document__isnull=True) | Q(document__status=DocumentStatus.READY))
        .annotate(step_count=Count("steps"), last_page=Max("steps__source_page"))
        .filter(step_count__gt=0)
        .select_related("document")
    )
    if machine_model:
        # The other model's procedures are never offered (SPEC §3.1): model-specific or for all models.
        queryset = queryset.filter(Q(machine_models=[]) | Q(machine_models__contains=[machine_model]))
    return queryset


def _search_rank(procedure: Procedure, hits) -> int | None:
    if procedure.document_id is None or procedure.source_page is None:
        return None
    first, last = procedure.source_page, max(procedure.source_page, procedure.last_page or 0)
    for rank, hit in enumerate(hits):
        if hit.document_id == procedure.document_id and hit.page_start <= last and hit.page_end >= first:
            return rank
    return None


def _confidence(similarity: float, rank: int | None) -> float:
    """A 0..1 figure for "how sure is this diagnosis": half words, half search rank."""
    words = min(1.0, max(0.0, (similarity - 0.78) / 0.12))
    search = 1.0 / (1 + rank) if rank is not None else 0.0
    # Never shown as certain: a description can fit a procedure perfectly and the cause be elsewhere.
    return round(min(0.95, 0.5 * words + 0.5 * search), 2)


def _procedure_text(procedure: Procedure) -> str:
    return passage_text(procedure.document.title if procedure.document else "", procedure.title, procedure.symptom)


def _procedure_vectors(procedures: list[Procedure], embedder) -> dict[int, np.ndarray]:
    model = getattr(embedder, "model_id", "")
    stale = [p for p in procedures if (cached := _vectors.get(p.id)) is None or cached[:2] != (p.updated_at, model)]
    if stale:
        fresh = embedder.embed_passages([_procedure_text(p) for p in stale])
        with _lock:
            for procedure, vector in zip(stale, fresh, strict=True):
                _vectors[procedure.id] = (procedure.updated_at, model, np.asarray(vector, dtype=np.float32))
    return {p.id: _vectors[p.id][2] for p in procedures}


def forget_procedure_vectors() -> None:
    """Drop the per-process vectors (tests that switch embedding backends)."""
    with _lock:
        _vectors.clear()

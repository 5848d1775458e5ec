"""Which procedure fits the fault an operator describes, for their machine model.

Procedures are retrieval targets like any manual section: a procedure extracted from a manual is
scored with the chat turn's own hybrid search (knowledge.search) — the best score of a candidate
chunk on the procedure's pages. That score already carries everything search knows (the vectors
adjusted for language, the English gloss, the glossary concepts, the machine model), so a Greek
description finds the English procedure, and the scores of different procedures are comparable.
A procedure an expert wrote in the admin has no pages: it is scored by the similarity of the
description to its title and symptom, adjusted for language the same way.

On top of the search score, two priors: a service bulletin's steps are a retrofit, not fault
finding (it is cited, but a run follows the manual's procedure when both fit), and a quick guide in
another language than the operator's only translates a procedure they can read elsewhere.

A run starts only when the best procedure fits (`MIN_FIT`, calibrated on the tuning half of
shared/dev-eval/troubleshooting, docs/troubleshooting.md); a weak fit (`CONFIDENT_FIT`) starts the
run but offers an expert alongside.

Expert procedure vectors are computed on first use and kept per process (keyed by the row's
updated_at): there are a handful, so this costs one batch embedding after a change.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Count, Max, Q

from knowledge.embeddings import get_embedder
from knowledge.glossary import glossary
from knowledge.indexing import passage_text
from knowledge.models import DocumentStatus, Procedure
from knowledge.search import ScoredChunk, language_adjusted

# Score (knowledge.search's scale) below which no procedure fits: no run, an expert is offered.
MIN_FIT = 0.64
# The same when the description names a thing no document mentions (a zinc anode, an engine mount):
# the manuals rarely have its fix, so only a clearly better fit starts a run.
UNSUPPORTED_FIT = 0.71
# The same when the description names a part that no procedure for this model mentions (a level
# wind, a lifting strop): the fix is probably not in a procedure, so only a clear fit starts a run.
UNCOVERED_PART_FIT = 0.70
# Below this a run still starts, but the operator is offered an expert alongside the first step.
CONFIDENT_FIT = 0.71
# A bulletin's steps retrofit a part; a manual's procedure that fits about as well is the run.
BULLETIN_BONUS = -0.05
# A quick guide in a language the operator did not write in (on top of search's own prior).
FOREIGN_GUIDE_BONUS = -0.02
# Confidence shown to the operator: the fit mapped linearly from MIN_FIT (0.3) to FULL_FIT (0.95).
FULL_FIT = 0.80


@dataclass(frozen=True)
class ProcedureMatch:
    procedure: Procedure
    score: float
    similarity: float  # the search score before the priors of this module
    search_rank: int | None  # rank of the procedure's best chunk among the search candidates
    confidence: float  # 0..1, shown to the operator

    @property
    def fits(self) -> bool:
        return self.score >= MIN_FIT

    def fits_with(self, *, unsupported: bool, uncovered: bool) -> bool:
        """Whether a run may start. `unsupported`: the description names a thing no document
        mentions; `uncovered`: it names a part no procedure for this model mentions."""
        needed = MIN_FIT
        if unsupported:
            needed = max(needed, UNSUPPORTED_FIT)
        if uncovered:
            needed = max(needed, UNCOVERED_PART_FIT)
        return self.score >= needed

    @property
    def confident(self) -> bool:
        return self.score >= CONFIDENT_FIT


_vectors: dict[int, tuple[datetime, str, np.ndarray]] = {}
_lock = threading.Lock()


def procedures_for_fault(
    *,
    text: str,
    language: str,
    machine_model: str,
    candidates: tuple[ScoredChunk, ...] | list[ScoredChunk] = (),
    query_vector: np.ndarray | None = None,
) -> list[ProcedureMatch]:
    """Procedures for this model that a search candidate (or, for expert procedures, the words)
    points at, best first. Whether the best one fits is `matches[0].fits`.

    `query_vector`: the question as the turn's search embedded it (the `candidates`' search); expert
    procedures are scored with it, so a turn embeds its question once with any backend."""
    procedures = list(_procedures(machine_model))
    if not procedures:
        return []
    by_document: dict[int, list[tuple[int, ScoredChunk]]] = {}
    for rank, chunk in enumerate(candidates):
        by_document.setdefault(chunk.document_id, []).append((rank, chunk))
    matches = []
    expert = [p for p in procedures if p.document_id is None]
    expert_scores = _expert_scores(text, expert, query_vector) if expert else {}
    for procedure in procedures:
        if procedure.document_id is None:
            similarity, rank = expert_scores[procedure.id], None
        else:
            found = _best_chunk(procedure, by_document.get(procedure.document_id, ()))
            if found is None:
                continue
            rank, similarity = found
        score = similarity + _prior(procedure, language)
        matches.append(ProcedureMatch(procedure, score, similarity, rank, _confidence(score)))
    matches.sort(key=lambda m: -m.score)
    return matches


# Concept kinds that name a component: a description naming one no procedure mentions is probably
# about something the procedures do not fix.
_PART_KINDS = frozenset(("part", "other_equipment"))
_covered: dict[str, tuple[tuple, frozenset[str]]] = {}


def uncovered_parts(*, concepts: tuple[str, ...] | list[str], machine_model: str) -> list[str]:
    """The component concepts of a description that no procedure for `machine_model` mentions."""
    terms = glossary()
    parts = [c for c in concepts if c in terms.concepts and terms.kind(c) in _PART_KINDS]
    if not parts:
        return []
    covered = _procedure_concepts(machine_model)
    return [c for c in parts if c not in covered]


def _procedure_concepts(machine_model: str) -> frozenset[str]:
    """Glossary concepts named on the pages of this model's procedures (and in experts' procedures),
    cached per process until procedures or documents change."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*), max(p.updated_at), (SELECT max(ready_at) FROM knowledge_document)
               FROM knowledge_procedure p"""
        )
        fingerprint = tuple(cursor.fetchone())
    cached = _covered.get(machine_model)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    terms = glossary()
    concepts: set[str] = set()
    procedures = list(_procedures(machine_model))
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT DISTINCT key FROM knowledge_procedure p
               JOIN knowledge_chunk c ON c.document_id = p.document_id
                AND c.page_start <= coalesce((SELECT max(s.source_page) FROM knowledge_procedurestep s
                                              WHERE s.procedure_id = p.id), p.source_page)
                AND c.page_end >= p.source_page,
               jsonb_object_keys(c.concepts) key
               WHERE p.id = ANY(%s)""",
            [[p.id for p in procedures if p.document_id is not None]],
        )
        concepts.update(row[0] for row in cursor.fetchall())
    for procedure in procedures:
        if procedure.document_id is None:
            text = "\n".join(
                [procedure.title, procedure.symptom, *procedure.steps.values_list("instruction", flat=True)]
            )
            concepts.update(terms.concepts_in(text, procedure.language))
    result = frozenset(concepts)
    with _lock:
        _covered[machine_model] = (fingerprint, result)
    return result


def _procedures(machine_model: str):
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


def _best_chunk(procedure: Procedure, chunks) -> tuple[int, float] | None:
    if procedure.source_page is None:
        return None
    first, last = procedure.source_page, max(procedure.source_page, procedure.last_page or 0)
    for rank, chunk in chunks:  # candidates come best first
        if chunk.page_start <= last and chunk.page_end >= first:
            return rank, chunk.score
    return None


def _prior(procedure: Procedure, language: str) -> float:
    prior = 0.0
    document = procedure.document
    if document is not None and document.doc_type == "service_bulletin":
        prior += BULLETIN_BONUS
    if document is not None and document.doc_type == "quick_guide" and procedure.language != language:
        prior += FOREIGN_GUIDE_BONUS
    return prior


def _confidence(score: float) -> float:
    """A 0..1 figure for "how sure is this diagnosis"."""
    share = (score - MIN_FIT) / (FULL_FIT - MIN_FIT)
    # Never shown as certain: a description can fit a procedure perfectly and the cause be elsewhere.
    return round(min(0.95, max(0.3, 0.3 + 0.65 * share)), 2)


def _expert_scores(text: str, procedures: list[Procedure], query_vector: np.ndarray | None) -> dict[int, float]:
    embedder = get_embedder(settings.KNOWLEDGE_SEARCH.get("EMBEDDING_BACKEND", "active"))
    # The search's vector (the question with its English gloss, as the candidates were scored) keeps
    # expert and manual procedures on one scale; embedding `text` again cost an endpoint call.
    vector = query_vector if query_vector is not None else embedder.embed_query(text)
    query = np.asarray(vector, dtype=np.float32)
    vectors = _procedure_vectors(procedures, embedder)
    return {p.id: language_adjusted(query, vectors[p.id], p.language) for p in procedures}


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

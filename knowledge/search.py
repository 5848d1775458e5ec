"""Hybrid retrieval: language-adjusted vectors and glossary concepts in one score.

Read-only (a selector in CONVENTIONS' terms). docs/knowledge.md ("Retrieval: how ranking and
abstention work") explains every step and how the numbers in settings.KNOWLEDGE_SEARCH were chosen
(on the tuning half of shared/dev-eval; both halves are reported). In short, for a question q:

1. The glossary (knowledge/glossary) names q's concepts in any of the six languages. A non-English
   question is embedded together with its English gloss ("… \npressure drop boost pump"), which
   the embedding model reads far better than Norwegian or Arabic (decision 0008).
2. Candidates, in one SQL statement: for every chunk language in the index, the nearest chunks and
   the chunks of the nearest table-row vectors (a partial HNSW index per language, iterative scans
   so filters cannot starve the lists), plus every chunk containing a code quoted in the question
   ("P-227", "AB5-2120"). The same statement computes each candidate's exact similarity (chunk and
   best table row) and returns its glossary concepts. A second, bounded statement fetches the text
   of the best ones.
3. Vector relevance = max(similarity of the chunk, of its best table row) - alpha * q.mean(L), where
   mean(L) is the mean embedding of the index's chunks in the chunk's language L: a multilingual
   embedding gives a question a higher similarity to *every* passage in its own language, and the
   mean similarity to a language is that offset (decision 0004).
4. Score = VECTOR_WEIGHT * vector relevance + CONCEPT_WEIGHT * concept match (BM25 of q's concepts
   against each chunk's stored concepts) + small priors (a quoted code found, a quick guide in
   another language than the question's, a title page, a generic chunk when a model is selected).
   Pseudo-relevance feedback then adds the centred mean of the best few chunks to the query and
   re-scores the head.
5. Abstention: the question names a thing (a part, a piece of other equipment, a workplace topic)
   that no document mentions, or the best vector relevance is below a floor — unless the question
   quotes a code found verbatim in the index.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from core.pgvector import supports_iterative_scan
from core.text.detect import detect_language
from core.text.languages import LANGUAGES, ts_config
from core.text.lexicon import fold

from .embeddings import ACTIVE, get_embedder, note_active_backend
from .glossary import glossary

# Defaults for settings.KNOWLEDGE_SEARCH keys (config/settings/providers.py sets them all).
DEFAULTS = {
    "LANGUAGE_CENTERING": 0.5,
    "VECTOR_WEIGHT": 1.5,
    "CONCEPT_WEIGHT": 0.045,
    "FEEDBACK_WEIGHT": 0.25,
    "FEEDBACK_DOCS": 5,
    "CODE_BONUS": 0.02,
    "MODEL_BONUS": 0.08,
    "FRONT_MATTER_BONUS": -0.1,
    "FOREIGN_GUIDE_BONUS": -0.02,
    "ABSTAIN_BELOW": 0.36,
    "EF_SEARCH": 40,
    "CANDIDATES_PER_LANGUAGE": 20,
    "ROW_CANDIDATES_PER_LANGUAGE": 10,
    "TEXT_CANDIDATES": 50,
}
# How many of the best candidates are re-scored with the feedback query.
_RESCORE = 30
# BM25 constants of the concept match (the usual values; concept counts behave like term counts).
_BM25_K1 = 1.2
_BM25_B = 0.75
# Concepts of these kinds name a thing; a question about a thing no document mentions is not
# answered by the manuals, however similar its words are to some page.
_THING_KINDS = frozenset(("part", "other_equipment", "work", "site"))
_WORD = re.compile(r"[\w][\w\-./]*", re.UNICODE)
_MAX_QUERY_TERMS = 32
# A code: letters and digits in one token ("P-227", "AB5-2120", "E17"). Bare numbers are values,
# not identifiers ("2 months", "190 bar"). Machine-model names ("V5.0") are left out: they name
# the product rather than a topic, the model filter handles them, and they occur everywhere.
_CODE = re.compile(r"^(?=[\w\-./]*\d)(?=[\w\-./]*[^\W\d_])[\w][\w\-./]*$", re.UNICODE)
_MODEL_NAME = re.compile(r"^v\d{1,2}(?:\.\d{1,2}[a-z]?)?$")


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
    # Cosine similarity of the query to the chunk, or to its best table row when that is higher.
    vector_similarity: float | None
    text_rank: float | None
    # vector_similarity minus the query's similarity to the chunk language (step 2 above).
    relevance: float | None = None
    # The table row that matched the question better than the chunk as a whole ("Weight of rig: 165
    # kg"), for answers that should lead with the value; None otherwise.
    row_text: str | None = None
    doc_type: str = ""
    # The glossary-concept match (BM25 / ln(1 + chunks)) before its weight; None outside hybrid mode.
    concept_score: float | None = None


@dataclass(frozen=True)
class ScoredChunk:
    """A candidate's place in the ranking, without its text (what procedure matching needs)."""

    chunk_id: int
    document_id: int
    page_start: int
    page_end: int
    score: float


@dataclass(frozen=True)
class SearchResult:
    results: list[SearchHit]
    abstained: bool
    took_ms: float
    mode: str
    # The vector-relevance abstention signal: the best language-adjusted chunk similarity. None in
    # text mode.
    best_similarity: float | None = None
    # The plain cosine similarity of the best chunk, for reference.
    raw_similarity: float | None = None
    # Every scored candidate, best first (procedure matching reads scores beyond the first k).
    candidates: tuple[ScoredChunk, ...] = ()
    # The question's glossary concepts, and those of a thing no document mentions.
    concepts: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()
    debug: dict = field(default_factory=dict)
    # The question's vector as the search embedded it (question + gloss), for the turn's other uses
    # (scoring experts' procedures): one embedding per turn, whatever the backend. None in text mode.
    query_vector: np.ndarray | None = field(default=None, compare=False, repr=False)


def _conf() -> dict:
    return {**DEFAULTS, **settings.KNOWLEDGE_SEARCH}


def _query_terms(query: str) -> list[str]:
    terms = []
    for raw in _WORD.findall(query):
        term = re.sub(r"[^\w\-]", "", raw).strip("-")
        if term and term not in terms:
            terms.append(term)
    return terms[:_MAX_QUERY_TERMS]


def _codes(query: str) -> list[str]:
    codes = []
    for raw in _WORD.findall(fold(query)):
        token = raw.strip("-./")
        if _CODE.match(token) and not _MODEL_NAME.match(token) and token not in codes:
            codes.append(token)
    return codes[:_MAX_QUERY_TERMS]


def _or_query(terms: list[str]) -> str:
    # Every term is quoted, so nothing a user types can become tsquery syntax.
    return " | ".join("'" + t.replace("'", "").replace("\\", "") + "'" for t in terms)


# --- the profile of the index: language means, concept statistics -------------------------------

# A chunk is front matter when it is the untitled text of page 1 of a multi-page document: a title
# page (title, models, document number, revision). It matches many questions a little and answers
# none, so it neither shapes the language means nor counts for abstention.
_FRONT_MATTER = "(c.page_end = 1 AND c.section = d.title AND d.pages_total > 1)"
# Changes whenever documents enter or leave search, the index switches embedding model or the
# chunks' concepts are refreshed (knowledge.indexing.refresh_concepts touches IndexState).
_FINGERPRINT = """(SELECT concat_ws(':', count(*), max(id), max(ready_at))
                   FROM knowledge_document WHERE status = 'ready')
                  || '/' || coalesce((SELECT max(updated_at)::text FROM knowledge_indexstate), '')"""


@dataclass(frozen=True)
class _Profile:
    fingerprint: str
    means: dict[str, np.ndarray]
    # Per language: the machine models its chunks name, and whether any chunk is for all models.
    models: dict[str, frozenset[str]] = field(default_factory=dict)
    generic: dict[str, bool] = field(default_factory=dict)
    # Concept statistics over the ready chunks: document frequency, chunk count, mean concept count.
    concept_df: dict[str, int] = field(default_factory=dict)
    chunks: int = 0
    mean_concepts: float = 1.0

    def languages_for(self, machine_model: str | None) -> list[str]:
        """Languages that can hold a result under the model filter.

        A language whose chunks are all for other models would make its filtered index scan walk
        the whole language partition (an iterative scan stops only when enough rows pass) and
        return nothing: hundreds of milliseconds for no candidate.
        """
        return sorted(
            lang
            for lang in self.means
            if not machine_model or self.generic.get(lang, True) or machine_model in self.models.get(lang, ())
        )

    def idf(self, concept: str) -> float:
        df = self.concept_df.get(concept, 0)
        return math.log(1 + (self.chunks - df + 0.5) / (df + 0.5))


_profile: _Profile | None = None
_profile_lock = threading.Lock()


def _language_profile(*, stale: str | None = None) -> _Profile:
    """Language means and concept statistics, cached per process until the fingerprint changes.

    `stale` is a fingerprint just read from the database; the cache is rebuilt when it differs.
    """
    global _profile
    current = _profile
    if current is not None and (stale is None or stale == current.fingerprint):
        return current
    with _profile_lock:
        current = _profile
        if current is not None and (stale is None or stale == current.fingerprint):
            return current
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {_FINGERPRINT}")
            fingerprint = cursor.fetchone()[0]
            cursor.execute(f"""
                SELECT c.language, avg(c.embedding)::text
                FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
                WHERE d.status = 'ready' AND c.embedding IS NOT NULL AND NOT {_FRONT_MATTER}
                GROUP BY c.language""")
            means = {lang: _parse_vector(text) for lang, text in cursor.fetchall() if lang in LANGUAGES}
            cursor.execute("""
                SELECT DISTINCT c.language, c.machine_models
                FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
                WHERE d.status = 'ready' AND c.embedding IS NOT NULL""")
            models: dict[str, set[str]] = {}
            generic: dict[str, bool] = {}
            for lang, names in cursor.fetchall():
                models.setdefault(lang, set()).update(names or [])
                generic[lang] = generic.get(lang, False) or not names
            cursor.execute("""
                SELECT key, count(*)
                FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id,
                     jsonb_object_keys(c.concepts) key
                WHERE d.status = 'ready' GROUP BY key""")
            concept_df = dict(cursor.fetchall())
            cursor.execute("""
                SELECT count(*), avg((SELECT coalesce(sum(value::int), 0) FROM jsonb_each_text(c.concepts)))
                FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
                WHERE d.status = 'ready'""")
            chunks, mean_concepts = cursor.fetchone()
        _profile = _Profile(
            fingerprint, means, {k: frozenset(v) for k, v in models.items()}, generic,
            concept_df, int(chunks or 0), float(mean_concepts or 0) or 1.0,
        )  # fmt: skip
        return _profile


def reset_language_profile() -> None:
    """Forget the cached profile (tests; it is rebuilt on the next search anyway)."""
    global _profile
    _profile = None


def language_adjusted(query: np.ndarray, passage: np.ndarray, language: str) -> float:
    """The vector relevance of one passage outside the index (an expert's procedure), on the scale of
    search scores: similarity minus alpha times the query's mean similarity to that language."""
    profile = _language_profile()
    conf = _conf()
    means = profile.means
    mean = means.get(language)
    if mean is None:
        mean = np.mean(list(means.values()), axis=0) if means else np.zeros_like(query)
    return float(query @ passage) - conf["LANGUAGE_CENTERING"] * float(query @ mean)


def _parse_vector(text: str) -> np.ndarray:
    return np.array(text.strip("[]").split(","), dtype=np.float32)


# --- search ---------------------------------------------------------------------------------------


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
    excluded). `language` is the query's language when known (detected otherwise); it chooses the
    glossary's words and the stemmer — results in every language are searched. `mode` is "hybrid",
    "vector" or "text" (the last two for evaluation: vectors alone with the same priors, or plain
    full text over the whole index).
    """
    started = time.perf_counter()
    query = (query or "").strip()
    conf = _conf()
    if not query:
        return SearchResult([], True, 0.0, mode)
    language = language if language in LANGUAGES else detect_language(query)
    use_vector = mode in ("hybrid", "vector")
    hybrid = mode == "hybrid"
    codes = _codes(query) if mode != "vector" else []
    embedder = get_embedder(conf["EMBEDDING_BACKEND"]) if use_vector else None
    terms = glossary()
    concepts: tuple[str, ...] = ()
    if hybrid:
        concepts = tuple(terms.concepts_in(query, language))
        # The conversation's language is not always the message's ("when is the staff party?" in a
        # Spanish session): the words are also read in the language they are written in.
        written_in = detect_language(query)
        if written_in and written_in != language:
            concepts = tuple(dict.fromkeys(concepts + tuple(terms.concepts_in(query, written_in))))
    # The question is embedded together with its English gloss ("… \npressure drop boost pump"): the
    # model reads the gloss far better than Arabic or Norwegian, and one embedding of both measured
    # better on the tuning half than two separate ones (docs/knowledge.md). An English question is
    # its own gloss.
    gloss = terms.gloss_of(concepts) if language != "en" else ""
    embedded_text = f"{query}\n{gloss}" if gloss else query
    vector = embedder.embed_query(embedded_text) if use_vector else None
    plan = _Plan(
        vector=vector, terms=_query_terms(query) if mode == "text" else [],
        codes=codes, language=language, machine_model=machine_model, text_mode=mode == "text", conf=conf,
    )  # fmt: skip

    profile = _language_profile() if use_vector else None
    rows = _fetch_candidates(plan, profile.languages_for(machine_model) if profile else [])
    if use_vector and conf["EMBEDDING_BACKEND"] == ACTIVE and rows:
        # The statement read the active backend in the same snapshot as the vectors it compared
        # (knowledge.embeddings._active says why this replaces a per-call read of IndexState).
        note_active_backend(rows[0]["index_backend"] or "default")
        if get_embedder(ACTIVE) is not embedder:  # another process switched the index: ask again
            embedder = get_embedder(ACTIVE)
            vector = embedder.embed_query(embedded_text)
            plan = dataclasses.replace(plan, vector=vector)
            rows = _fetch_candidates(plan, profile.languages_for(machine_model))
    if use_vector and rows and rows[0]["fingerprint"] != profile.fingerprint:
        languages = profile.languages_for(machine_model)
        profile = _language_profile(stale=rows[0]["fingerprint"])
        if profile.languages_for(machine_model) != languages:
            # A language entered or left the index since the last query: search it too.
            rows = _fetch_candidates(plan, profile.languages_for(machine_model))
    unsupported = ()
    if profile is not None and concepts:
        unsupported = tuple(c for c in concepts if terms.kind(c) in _THING_KINDS and not profile.concept_df.get(c))
    if not rows:
        return SearchResult(
            [], True, _ms(started), mode, concepts=concepts, unsupported=unsupported, query_vector=vector
        )
    by_id = {row["id"]: row for row in rows}
    code_found = any(row["code_rank"] is not None for row in rows)

    relevance: dict[int, float] = {}
    concept_score: dict[int, float] = {}
    best = raw_best = None
    if use_vector:
        relevance, best, raw_best = _relevance(vector, rows, profile, conf)
        score = {chunk_id: conf["VECTOR_WEIGHT"] * value for chunk_id, value in relevance.items()}
        if concepts and profile.chunks:
            scale = math.log(1 + profile.chunks)
            for chunk_id in score:
                concept_score[chunk_id] = _bm25(concepts, by_id[chunk_id]["concepts"] or {}, profile) / scale
                score[chunk_id] += conf["CONCEPT_WEIGHT"] * concept_score[chunk_id]
    else:
        score = {row["id"]: float(row["rank"] or 0.0) for row in rows}
    for chunk_id, row in by_id.items():
        score[chunk_id] = score.get(chunk_id, -1.0) + _prior(row, plan, conf)
    details: dict[int, dict] = {}
    if use_vector:
        order = sorted(score, key=lambda cid: -score[cid])
        head = order[:_RESCORE]
        details = _load_chunks(head, vector=vector, with_embeddings=True)
        score = _feedback(score, head, by_id, details, profile, conf)
    ordered = sorted(score, key=lambda cid: (-score[cid], -relevance.get(cid, 0.0)))

    if mode == "text":
        abstained = not ordered
    else:
        # A code quoted from the question and found verbatim is about the indexed machines.
        abstained = not code_found and (best is None or best < conf["ABSTAIN_BELOW"] or bool(unsupported))

    top = ordered[: max(1, k)]
    missing = [cid for cid in top if cid not in details]
    if missing:
        details.update(_load_chunks(missing, vector=vector))
    hits = [
        SearchHit(
            chunk_id=cid,
            document_id=details[cid]["document_id"],
            document_title=details[cid]["document_title"],
            file_name=details[cid]["file_name"],
            page_start=details[cid]["page_start"],
            page_end=details[cid]["page_end"],
            section=details[cid]["section"],
            language=details[cid]["language"],
            text=details[cid]["text"],
            score=round(score[cid], 6),
            vector_similarity=_round(by_id[cid].get("best_similarity")),
            text_rank=_round(by_id[cid]["rank"]),
            relevance=_round(relevance.get(cid)),
            row_text=details[cid].get("row_text") if _row_won(by_id[cid]) else None,
            doc_type=by_id[cid]["doc_type"],
            concept_score=_round(concept_score.get(cid)) if hybrid else None,
        )
        for cid in top
        if cid in details
    ]
    return SearchResult(
        results=hits,
        abstained=abstained,
        took_ms=_ms(started),
        mode=mode,
        best_similarity=_round(best),
        raw_similarity=_round(raw_best),
        candidates=tuple(
            ScoredChunk(cid, by_id[cid]["document_id"], by_id[cid]["page_start"], by_id[cid]["page_end"], score[cid])
            for cid in ordered
        ),
        concepts=concepts,
        unsupported=unsupported,
        debug={"code_match": code_found, "gloss": gloss if use_vector else ""},
        query_vector=vector,
    )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _round(value: float | None) -> float | None:
    return round(float(value), 4) if value is not None else None


def _row_won(row: dict) -> bool:
    return row.get("row_similarity") is not None and row["row_similarity"] > (row["similarity"] or -1.0)


def _prior(row: dict, plan: _Plan, conf: dict) -> float:
    prior = 0.0
    if row["code_rank"] is not None:
        prior += conf["CODE_BONUS"]
    if plan.machine_model and not row["machine_models"]:
        # A section written for the selected model beats a generic one. Applied as a penalty to the
        # generic ones, so that selecting a model does not shift every score (thresholds on the
        # score, like troubleshooting's MIN_FIT, keep their meaning).
        prior -= conf["MODEL_BONUS"]
    if row["front_matter"]:
        prior += conf["FRONT_MATTER_BONUS"]
    if row["doc_type"] == "quick_guide" and plan.language and row["language"] != plan.language:
        prior += conf["FOREIGN_GUIDE_BONUS"]
    return prior


def _bm25(concepts: tuple[str, ...], counts: dict[str, int], profile: _Profile) -> float:
    length = sum(counts.values())
    norm = _BM25_K1 * (1 - _BM25_B + _BM25_B * length / profile.mean_concepts)
    total = 0.0
    for concept in concepts:
        tf = counts.get(concept, 0)
        if tf:
            total += profile.idf(concept) * tf * (_BM25_K1 + 1) / (tf + norm)
    return total


@dataclass(frozen=True)
class _Plan:
    vector: np.ndarray | None
    terms: list[str]
    codes: list[str]
    language: str | None
    machine_model: str | None
    # Text-only mode retrieves by full text from the whole index; the other modes rank vector candidates.
    text_mode: bool
    conf: dict


def _literal(vector: np.ndarray) -> str:
    # One text literal: adapting a float list costs milliseconds per use in the statement.
    return "[" + ",".join(format(x, ".7g") for x in vector.tolist()) + "]"


# At most this many chunks naming a fault code are looked at per query (see the code branch below).
_CODE_SCAN_LIMIT = 500


def _fetch_candidates(plan: _Plan, languages: list[str]) -> list[dict]:
    """One statement: the candidate chunks with every score search needs (no text, no vectors)."""
    conf = plan.conf
    params: dict = {
        "n": conf["CANDIDATES_PER_LANGUAGE"],
        "nr": conf["ROW_CANDIDATES_PER_LANGUAGE"],
        "nt": conf["TEXT_CANDIDATES"],
    }
    model_filter = ""
    if plan.machine_model:
        model_filter = "AND (cardinality(c.machine_models) = 0 OR %(model)s = ANY(c.machine_models))"
        params["model"] = plan.machine_model
    ready = f"d.status = 'ready' {model_filter}"
    ctes: list[str] = []
    sources: list[str] = []
    # Each scan reads one table only, its other conditions in scalar subqueries: a join would let the
    # planner start from the few ready documents and sort all their chunks by distance (an exact
    # scan, ~100x slower at 100 000 chunks) whenever statistics are off. The language is inlined
    # as a literal (it is one of LANGUAGES) so that the planner uses that language's partial HNSW
    # index (migration 0004).
    chunk_scan = f"""
            SELECT c.id FROM knowledge_chunk c
            WHERE c.language = {{lang}} AND c.embedding IS NOT NULL {model_filter}
              AND (SELECT d.status = 'ready' FROM knowledge_document d WHERE d.id = c.document_id)
            ORDER BY c.embedding <=> %({{vec}})s::vector LIMIT %(n)s"""
    if plan.vector is not None:
        params["qv"] = _literal(plan.vector)
        for i, lang in enumerate(languages):
            literal = "'" + lang + "'" if lang in LANGUAGES else "NULL"
            ctes.append(f"vec{i} AS MATERIALIZED ({chunk_scan.format(lang=literal, vec='qv')})")
            ctes.append(f"""
            row{i} AS MATERIALIZED (
                SELECT v.chunk_id AS id FROM knowledge_chunkvector v
                WHERE v.language = {literal}
                  AND (SELECT d.status = 'ready' AND c.embedding_model = v.embedding_model {model_filter}
                       FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
                       WHERE c.id = v.chunk_id)
                ORDER BY v.embedding <=> %(qv)s::vector LIMIT %(nr)s
            )""")
            sources += [f"SELECT id FROM vec{i}", f"SELECT id FROM row{i}"]
    rank = "NULL::float8"
    if plan.text_mode and plan.terms:
        params["cfg"] = ts_config(plan.language)
        params["terms"] = _or_query(plan.terms)
        params["folded"] = _query_terms(fold(" ".join(plan.terms)))
        # Accent-folded 'simple' tokens catch "valvula" for "válvula", but 'simple' has no stop
        # words: keep only the folded terms that the query language's configuration keeps.
        ctes.append(f"""
            words AS (
                SELECT to_tsquery(%(cfg)s::regconfig, %(terms)s) || to_tsquery('simple', coalesce(
                    (SELECT string_agg(quote_literal(t), ' | ') FROM unnest(%(folded)s::text[]) t
                     WHERE to_tsvector(%(cfg)s::regconfig, t) <> ''::tsvector), '')) AS tsq
            ),
            txt AS MATERIALIZED (
                SELECT c.id, ts_rank(c.search_vector, words.tsq, 1) AS rank
                FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id, words
                WHERE {ready} AND c.search_vector @@ words.tsq
                ORDER BY rank DESC LIMIT %(nt)s
            )""")
        sources.append("SELECT id FROM txt")
        rank = "(SELECT rank FROM txt WHERE txt.id = c.id)"
    if plan.codes:
        params["codes"] = _or_query(plan.codes)
        # Scoring only asks whether a chunk names the code (CODE_BONUS); which of the chunks naming
        # it become candidates is decided by closeness to the question, among at most
        # CODE_SCAN_LIMIT of them. Unbounded, a code named in thousands of chunks (the 100 000-chunk
        # benchmark) cost 100-250 ms in the phrase recheck of every match (docs/performance.md); a
        # manual names a code in a handful of sections, far below the bound.
        order = (
            "c.embedding <=> %(qv)s::vector" if plan.vector is not None else "ts_rank(c.search_vector, q.tsq, 1) DESC"
        )
        params["code_scan"] = _CODE_SCAN_LIMIT
        ctes.append(f"""
            code AS MATERIALIZED (
                SELECT c.id, 1.0::float8 AS rank
                FROM (SELECT c.id FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id,
                             (SELECT to_tsquery('simple', %(codes)s) AS tsq) q
                      WHERE {ready} AND c.search_vector @@ q.tsq LIMIT %(code_scan)s) named
                JOIN knowledge_chunk c ON c.id = named.id,
                     (SELECT to_tsquery('simple', %(codes)s) AS tsq) q
                ORDER BY {order} LIMIT %(nt)s
            )""")
        sources.append("SELECT id FROM code")
    if not sources:
        return []
    ctes.append("cand AS (" + " UNION ".join(sources) + ")")

    def similarities(param: str) -> str:
        # Exact similarity to the chunk and to its best table row (rows of the chunk's own model).
        return f"""1 - (c.embedding <=> %({param})s::vector),
               (SELECT 1 - min(v.embedding <=> %({param})s::vector) FROM knowledge_chunkvector v
                WHERE v.chunk_id = c.id AND v.embedding_model = c.embedding_model)"""

    null_pair = "NULL::float8, NULL::float8"
    sql = f"""
        WITH {", ".join(ctes)}
        SELECT c.id, c.language, c.document_id, c.page_start, c.page_end,
               {similarities("qv") if plan.vector is not None else null_pair},
               {rank} AS rank,
               {"(SELECT rank FROM code WHERE code.id = c.id)" if plan.codes else "NULL::float8"} AS code_rank,
               {_FRONT_MATTER} AS front_matter, d.doc_type, c.machine_models, c.concepts,
               {_FINGERPRINT} AS fingerprint,
               (SELECT embedding_backend FROM knowledge_indexstate LIMIT 1) AS index_backend
        FROM cand JOIN knowledge_chunk c ON c.id = cand.id JOIN knowledge_document d ON d.id = c.document_id
    """
    columns = (
        "id", "language", "document_id", "page_start", "page_end", "similarity", "row_similarity", "rank",
        "code_rank", "front_matter", "doc_type", "machine_models", "concepts", "fingerprint", "index_backend",
    )  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        # Iterative index scans keep the HNSW scan going until enough rows pass the filters, so a
        # model filter cannot starve the candidate lists. They need pgvector >= 0.8; an older one
        # rejects the setting, and search goes on without them (core/pgvector.py).
        # Both as SET LOCAL, in one round trip (set_config(..., true) is SET LOCAL).
        if supports_iterative_scan():
            cursor.execute(
                "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), "
                "set_config('hnsw.ef_search', %s, true)",
                [str(conf["EF_SEARCH"])],
            )
        else:
            cursor.execute("SELECT set_config('hnsw.ef_search', %s, true)", [str(conf["EF_SEARCH"])])
        cursor.execute(sql, params)
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    for row in rows:
        # Django's psycopg setup hands jsonb to raw cursors as text.
        if isinstance(row["concepts"], str):
            row["concepts"] = json.loads(row["concepts"])
    return rows


def _relevance(vector: np.ndarray, rows: list[dict], profile: _Profile, conf: dict):
    """Language-adjusted similarity of every candidate; returns (relevance, best, raw best).

    relevance = max(chunk similarity, best row similarity) - alpha * q.mean(language). `best` is
    the abstention signal: the same for chunks alone (table rows are short and match unrelated
    questions a little too well), front matter excluded.
    """
    alpha = conf["LANGUAGE_CENTERING"]
    offsets = {lang: float(vector @ mean) for lang, mean in profile.means.items()}
    default_offset = float(np.mean(list(offsets.values()))) if offsets else 0.0
    relevance: dict[int, float] = {}
    best = raw_best = None
    for row in rows:
        if row["similarity"] is None:
            row["best_similarity"] = None
            continue
        chunk_similarity = float(row["similarity"])
        row["best_similarity"] = max(chunk_similarity, float(row["row_similarity"] or -1.0))
        shift = alpha * offsets.get(row["language"], default_offset)
        relevance[row["id"]] = row["best_similarity"] - shift
        if not row["front_matter"] and (best is None or chunk_similarity - shift > best):
            best, raw_best = chunk_similarity - shift, chunk_similarity
    return relevance, best, raw_best


def _feedback(score: dict, head: list[int], by_id: dict, details: dict, profile: _Profile, conf: dict) -> dict:
    """Pseudo-relevance feedback (Rocchio) on the head of the ranking.

    The centred mean of the best few chunks is added to the query and the head is re-scored: what
    those chunks share (the topic) is reinforced; the question's own language is not, because the
    chunks are centred on their language's mean.
    """
    beta, wanted = conf["FEEDBACK_WEIGHT"], conf["FEEDBACK_DOCS"]
    head = [cid for cid in head if cid in details and "embedding" in details[cid]]
    seeds = [cid for cid in head if not by_id[cid]["front_matter"]][:wanted]
    if not beta or not seeds:
        return score
    means = profile.means
    fallback = np.mean(list(means.values()), axis=0)

    def centred(cid: int) -> np.ndarray:
        return details[cid]["embedding"] - means.get(by_id[cid]["language"], fallback)

    centroid = np.mean([centred(cid) for cid in seeds], axis=0)
    rescored = dict(score)
    for cid in head:
        rescored[cid] = score[cid] + beta * float(centroid @ centred(cid))
    return rescored


def _load_chunks(chunk_ids: list[int], *, vector: np.ndarray | None = None, with_embeddings: bool = False):
    """What a result shows (its best table row too, and for feedback its vector), for a bounded list."""
    if not chunk_ids:
        return {}
    params: list = [list(chunk_ids)]
    row_text = "NULL"
    if vector is not None:
        row_text = """(SELECT v.text FROM knowledge_chunkvector v
                       WHERE v.chunk_id = c.id AND v.embedding_model = c.embedding_model
                       ORDER BY v.embedding <=> %s::vector LIMIT 1)"""
        params.insert(0, _literal(vector))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT c.id, c.document_id, d.title, d.file_name, c.page_start, c.page_end, c.section,
                       c.language, c.text, {row_text}, {"c.embedding::text" if with_embeddings else "NULL"}
                FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
                WHERE c.id = ANY(%s)""",
            params,
        )
        rows = cursor.fetchall()
    keys = (
        "id", "document_id", "document_title", "file_name", "page_start", "page_end", "section", "language", "text",
        "row_text",
    )  # fmt: skip
    out = {}
    for row in rows:
        item = dict(zip(keys, row[:10], strict=True))
        if row[10] is not None:
            item["embedding"] = _parse_vector(row[10])
        out[row[0]] = item
    return out

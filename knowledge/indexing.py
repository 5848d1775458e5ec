"""How a chunk is represented for retrieval: the text that is embedded and the full-text vector.

Both search signals are built here, at ingestion, so that search.py only has to query them.
"""

from __future__ import annotations

from .ingestion.lexicon import fold
from .languages import ts_config


def passage_text(title: str, section: str, text: str) -> str:
    # The title and heading give a short chunk its context ("Pressure loss" under "V4.0 manual").
    header = " — ".join(part for part in (title, section) if part)
    return f"{header}\n{text}" if header else text


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

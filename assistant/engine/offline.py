"""The offline grounded responder (SPEC §3.4): answers without any language model.

It never writes a sentence of its own about the machine. It uses fixed phrases (translated into
the six languages in core/text/phrases.py) and quotes the manual's own text, with its citation.
When the manual is in another language than the reply, the quote stays in the manual's language:
an exact quote is safer than no answer, and the framing tells the operator where it comes from.
It is the default when no LLM is configured and the last resort when every LLM fails.
"""

from __future__ import annotations

import re

from core.text.phrases import phrase
from knowledge.search import SearchHit

from .grounding import Grounding

# Longest quote of one section; a long section is cut at a paragraph or step boundary.
QUOTE_CHARS = 1200
# How many of the best sources may contribute a matched table row to lead the answer, and how many
# rows lead at most: the best-matching row is often a neighbour of the asked one (the rotor's data
# row for a question about the rotor's nozzle part number), so the second candidate is shown too.
_ROW_SOURCES = 3
_ROWS_SHOWN = 2

_GREETING = re.compile(
    r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|γει[αά]( σου| σας)?|καλημ[εέ]ρα|καλησπ[εέ]ρα|"
    r"hola|buen[oa]s( d[ií]as| tardes| noches)?|merhaba|selam|g[uü]nayd[ıi]n|hei|hallo|god morgen|"
    r"مرحبا|السلام عليكم|أهلا|اهلا)[\s!.,]*$",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"^\s*(thanks?( you)?|thx|ευχαριστ[ωώ]|gracias|te[sş]ekk[uü]rler|sa[gğ] ?ol|takk|شكرا)[\s!.,]*$",
    re.IGNORECASE,
)


def small_talk(text: str) -> str | None:
    """'greeting' / 'thanks' for a message that is only that, else None."""
    if _GREETING.match(text or ""):
        return "greeting"
    if _THANKS.match(text or ""):
        return "thanks"
    return None


def citation_line(source: SearchHit, language: str) -> str:
    if source.page_start == source.page_end:
        return phrase("source_page", language, document=source.document_title, page=source.page_start)
    return phrase(
        "source_pages", language, document=source.document_title, start=source.page_start, end=source.page_end
    )


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit]
    # Prefer ending at a paragraph, then at a line (a step), then at a sentence.
    for boundary in ("\n\n", "\n", ". "):
        position = cut.rfind(boundary)
        if position > limit // 2:
            return cut[:position].rstrip() + " …"
    return cut.rstrip() + " …"


def offline_reply(*, grounding: Grounding | None, language: str, intent: str | None = None) -> str:
    if intent == "greeting":
        return phrase("greeting", language)
    if intent == "thanks":
        return phrase("thanks_feedback", language)
    if grounding is None or grounding.abstained or not grounding.sources:
        return "\n\n".join([phrase("abstain", language), phrase("offer_escalation", language)])
    top = grounding.sources[0]
    blocks = [phrase("manual_says", language)]
    # A table row that matched the question better than its section as a whole is the answer to a
    # "how much / which part number" question: it leads, so a long section's quote cannot cut it off.
    row_sources = [s for s in grounding.sources[:_ROW_SOURCES] if s.row_text][:_ROWS_SHOWN]
    for row_source in row_sources:
        fact = row_source.row_text.split("\n", 1)[-1]
        blocks.append(f"› {fact}\n{citation_line(row_source, language)}")
    body = quote(top.text)
    if top.section and not body.startswith(top.section):
        body = f"{top.section}\n{body}"
    blocks.append(body)
    # Other pages that matched: cited, not quoted, so the operator can open them.
    others = [s for s in grounding.sources[1:3] if (s.document_id, s.page_start) != (top.document_id, top.page_start)]
    citations = [citation_line(s, language) for s in [top, *others]]
    return "\n\n".join(blocks) + "\n\n" + "\n".join(citations)

"""How a troubleshooting step is shown: the structured `step` object, its source, its offline text.

The structured object (step_payload) is the product's own and the same with or without an LLM; the
LLM only rephrases the text around it. The offline text quotes the manual's step verbatim, in the
manual's language, framed by fixed phrases in the operator's language (SPEC §3.4).
"""

from __future__ import annotations

from core.text.phrases import phrase
from knowledge.models import Chunk
from knowledge.search import SearchHit

from .models import RunStatus, RunStep, TroubleshootingRun


def step_payload(step: RunStep, run: TroubleshootingRun | None = None) -> dict:
    """The `step` object of the API (docs/api.md)."""
    run = run or step.run
    return {
        "id": step.id,
        "run_id": run.id,
        "number": step.number,
        "total": len(run.plan) or step.number,
        "procedure_title": run.procedure_title,
        "instruction": step.instruction,
        "safety_warnings": [step.safety_warning] if step.safety_warning else [],
        "expected_outcomes": [step.expected_outcome] if step.expected_outcome else [],
        "estimated_minutes": step.estimated_minutes,
        # From real outcomes on this machine model only (0 = never tried): what "NN % success rate" shows.
        "success_rate": step.success_rate,
        "confidence": run.confidence,
        "source": {"document_id": step.document_id, "document_title": step.document_title, "page": step.page}
        if step.document_id
        else None,
        "requires_feedback": not step.outcome and run.status == RunStatus.ACTIVE,
        "outcome": step.outcome or None,
        "run_status": run.status,
    }


def step_source(step: RunStep) -> SearchHit | None:
    """The manual section the step is printed in, as a search hit: its citation and the LLM's source."""
    if not step.document_id or not step.page:
        return None
    chunk = (
        Chunk.objects.filter(document_id=step.document_id, page_start__lte=step.page, page_end__gte=step.page)
        .select_related("document")
        .order_by("ordinal")
        .first()
    )
    if chunk is None:
        return None
    return SearchHit(
        chunk_id=chunk.id,
        document_id=chunk.document_id,
        document_title=chunk.document.title,
        file_name=chunk.document.file_name,
        page_start=step.page,
        page_end=step.page,
        section=chunk.section,
        language=chunk.language,
        text=chunk.text,
        score=1.0,
        vector_similarity=None,
        text_rank=None,
    )


def step_text(step: RunStep, run: TroubleshootingRun, language: str) -> str:
    """The step as the offline responder says it: header, warning, the manual's words, result, time, source."""
    lines = [phrase("step_header", language, number=step.number, total=len(run.plan) or step.number)]
    if step.safety_warning:
        lines.append(f"⚠ {step.safety_warning}")
    lines.append(step.instruction)
    if step.expected_outcome:
        lines.append(f"{phrase('expected_result', language)} {step.expected_outcome}")
    if step.estimated_minutes:
        lines.append(phrase("step_minutes", language, minutes=step.estimated_minutes))
    if step.document_title and step.page:
        lines.append(phrase("source_page", language, document=step.document_title, page=step.page))
    return "\n".join(lines)

"""Troubleshooting procedures drafted from chunks: every section with a numbered step list.

Any section with at least two numbered steps is a procedure, whatever its heading says: a fault
report is answered as often by a start-up sequence, a stopping or lay-up routine, a trim or
cleaning-pattern section or a bulletin's retrofit steps as by a section titled after a fault, and
a section left out here can never be reached from a fault report. (An earlier rule kept only
headings that named a fault or sections citing fault codes; the Procedure model has no field for
that classification, so none is kept.) Each step keeps its instruction verbatim and gets the
section's safety warnings, an expected outcome and estimated minutes when the text states them;
the fault codes the description cites stay on the draft.

Manual text is data: it is parsed into fields and stored, never interpreted as instructions to
this system, whatever it says.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from core.text.lexicon import CONDITIONAL_STARTS, MINUTE_UNITS, OUTCOME_CUES, SAFETY_STARTS, fold

from .chunking import PATH_SEPARATOR, Chunk

_STEP_RE = re.compile(r"^(?P<num>\d{1,3})\.\s+(?P<text>\S.*)$")
_WARNING_RE = re.compile(r"^⚠\s*(?P<label>[^:]+?)\s*(?::\s*(?P<text>.*))?$")
_FAULT_CODE_RE = re.compile(r"\b(?:[A-Z]{1,3}-\d{2,4}|[A-Z]{1,2}\d{2,4})\b")
_HEADING_NUMBER_RE = re.compile(r"^[\d.]+\s*")
_MINUTES_RE = re.compile(
    rf"\(\s*(?:approx\.?|ca\.?|about|~|≈)?\s*(?P<low>\d{{1,3}})(?:\s*[-\u2013]\s*(?P<high>\d{{1,3}}))?\s*{MINUTE_UNITS}\s*\)",
    re.IGNORECASE,
)
# Clauses, not just sentences: "Turn the rotor by hand: it should move evenly." holds an outcome.
_CLAUSE_RE = re.compile(r"(?:[^.!?;:؟]|[.:](?=\S))+(?:[.!?;:؟]+|$)")
_MAX_SYMPTOM_CHARS = 500
_MIN_STEPS = 2


@dataclass(frozen=True, slots=True)
class StepDraft:
    order: int
    instruction: str
    safety_warning: str | None = None
    expected_outcome: str | None = None
    minutes: int | None = None
    page: int | None = None  # the page the step is printed on, when its chunk is a single page


@dataclass(frozen=True, slots=True)
class ProcedureDraft:
    title: str  # the heading without its number: "Pressure fluctuation or loss"
    symptom: str  # the section's description of the fault, or the title
    steps: tuple[StepDraft, ...]
    page: int  # first page of the section: the citation for the whole procedure
    page_end: int
    language: str | None
    section: str  # Chunk.section of the source chunks
    fault_codes: tuple[str, ...] = ()


@dataclass
class _Parsed:
    warnings_before: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    steps: list[tuple[int, str, list[str], int | None]] = field(default_factory=list)  # number, text, warnings, page
    trailing_warnings: list[str] = field(default_factory=list)
    table_headers: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    in_steps: bool = False


def extract_procedures(chunks: Iterable[Chunk], *, language: str | None = None) -> Iterator[ProcedureDraft]:
    """Procedures found in a document's chunks (in document order; chunks of one section are adjacent).

    `language` is used for chunks whose own language is unknown.
    """
    group: list[Chunk] = []
    for chunk in chunks:
        if group and chunk.section != group[0].section:
            if (procedure := procedure_from_chunks(group, language=language)) is not None:
                yield procedure
            group = []
        group.append(chunk)
    if group and (procedure := procedure_from_chunks(group, language=language)) is not None:
        yield procedure


def procedure_from_chunks(chunks: list[Chunk], *, language: str | None = None) -> ProcedureDraft | None:
    """The procedure of one section (all of its chunks), or None when it is not one."""
    if not chunks or not chunks[0].section:
        return None
    section = chunks[0].section
    language = chunks[0].language or language
    parsed = _Parsed()
    for chunk in chunks:
        _parse(chunk.text, parsed, page=chunk.page_start if chunk.page_start == chunk.page_end else None)
    _finish(parsed)
    if len(parsed.steps) < _MIN_STEPS:
        return None
    title = _HEADING_NUMBER_RE.sub("", section.split(PATH_SEPARATOR)[-1]).strip()
    description = " ".join(parsed.paragraphs + parsed.warnings_before)
    codes = tuple(dict.fromkeys(_FAULT_CODE_RE.findall(description)))
    steps = _steps(parsed, language)
    symptom = parsed.paragraphs[0] if parsed.paragraphs else title
    return ProcedureDraft(
        title=title,
        symptom=_shorten(symptom),
        steps=steps,
        page=min(c.page_start for c in chunks),
        page_end=max(c.page_end for c in chunks),
        language=language,
        section=section,
        fault_codes=codes,
    )


def _parse(text: str, parsed: _Parsed, *, page: int | None) -> None:
    """Add one chunk's text to `parsed` (chunks of a section are parsed in order)."""
    pending = parsed.pending  # warnings met since the last step
    in_steps = parsed.in_steps
    for block in text.split("\n\n"):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if all(" | " in line for line in lines):
            parsed.table_headers.extend(lines[0].split(" | "))
            continue
        for line in lines:
            warning = _WARNING_RE.match(line)
            step = _STEP_RE.match(line)
            if warning:
                pending.append((warning["text"] or "").strip() or warning["label"])
            elif step and _continues_steps(parsed, int(step["num"]), in_steps):
                parsed.steps.append((int(step["num"]), step["text"], pending, page))
                pending, in_steps = [], True
            elif parsed.steps:
                in_steps = False  # a later paragraph ends the step list
            else:
                parsed.paragraphs.append(line)
    parsed.pending, parsed.in_steps = pending, in_steps


def _finish(parsed: _Parsed) -> None:
    pending = parsed.pending
    if pending and parsed.steps:
        parsed.trailing_warnings = pending
    elif pending:
        parsed.warnings_before = pending
    # Warnings met before the first step are the section's boxed warnings.
    if parsed.steps and parsed.steps[0][2]:
        parsed.warnings_before = list(parsed.steps[0][2])


def _continues_steps(parsed: _Parsed, number: int, in_steps: bool) -> bool:
    if not parsed.steps:
        return True
    # A second list after other text is only taken when it carries the numbering on.
    return number == parsed.steps[-1][0] + 1 and (in_steps or number > 1)


def _steps(parsed: _Parsed, language: str | None) -> tuple[StepDraft, ...]:
    out: list[StepDraft] = []
    last = len(parsed.steps) - 1
    for order, (_number, text, warnings, page) in enumerate(parsed.steps, start=1):
        clauses = [c.strip() for c in _CLAUSE_RE.findall(text) if c.strip()]
        safety = [*warnings]
        if order - 1 == last:
            safety.extend(parsed.trailing_warnings)
        safety.extend(c.rstrip(";:") for c in clauses if _starts_with_any(c, SAFETY_STARTS, language))
        # The first clause is the action; a conditional clause ("if it is stiff, ...") is a branch.
        outcome = next(
            (
                c.rstrip(";:")
                for c in clauses[1:]
                if _contains_any(c, OUTCOME_CUES, language)
                and not _starts_with_any(c, SAFETY_STARTS, language)
                and not _starts_with_any(c, CONDITIONAL_STARTS, language)
            ),
            None,
        )
        out.append(
            StepDraft(
                order=order,
                instruction=text,
                safety_warning=" ".join(dict.fromkeys(safety)) or None,
                expected_outcome=outcome,
                minutes=_minutes(text),
                page=page,
            )
        )
    return tuple(out)


def _cues(table: dict[str, tuple[str, ...]], language: str | None) -> tuple[str, ...]:
    if language in table:
        return table[language]
    return tuple(cue for cues in table.values() for cue in cues)


def _starts_with_any(sentence: str, table: dict[str, tuple[str, ...]], language: str | None) -> bool:
    folded = fold(sentence)
    return any(folded == cue or folded.startswith(cue + " ") for cue in _cues(table, language))


def _contains_any(sentence: str, table: dict[str, tuple[str, ...]], language: str | None) -> bool:
    folded = fold(sentence)
    return any(re.search(rf"(?<!\w){re.escape(cue)}(?!\w)", folded) for cue in _cues(table, language))


def _minutes(text: str) -> int | None:
    match = _MINUTES_RE.search(text)
    if match is None:
        return None
    return int(match["high"] or match["low"])


def _shorten(text: str) -> str:
    if len(text) <= _MAX_SYMPTOM_CHARS:
        return text
    cut = text[:_MAX_SYMPTOM_CHARS]
    end = max(cut.rfind(". "), cut.rfind("; "))
    return cut[: end + 1] if end > 0 else cut.rstrip() + "…"

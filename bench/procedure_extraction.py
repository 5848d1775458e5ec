"""Procedure extraction and section boundaries on the dev-eval manuals, without a database.

    .venv/bin/python bench/procedure_extraction.py [--dev-eval ../shared/dev-eval] [--json]

Each PDF goes through the same pure pipeline the ingestion task runs (PDF → pages → blocks →
chunks → procedures) and is compared with its structured source (manuals/src/*.json) and
manuals/pages.json:

* procedures: every source section with >= 2 steps must become exactly one procedure whose title
  is the source heading, with the same number of steps, the same step texts (whitespace
  normalised) and each step on a page the section occupies;
* section boundaries: every source section must open its own chunk, on its first page, under its
  own heading (chunks are matched on the last part of `Chunk.section`, without the number), and
  no chunk after the title page may sit under a heading that is not a source section;
* text: every heading, paragraph, step, warning, note and table row of a section must be found
  verbatim (whitespace normalised) in the chunks under that section's heading; for the Arabic
  guide this measures the right-to-left extraction.

Target: 100 % of the sections with steps extracted with the right title and step count. The
exit status is 1 when a procedure or a section boundary is wrong, so CI can run it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from core.text.lexicon import ascii_digits
from knowledge.ingestion import Chunk, ProcedureDraft, chunk_pages, extract_procedures, iter_pdf_pages
from knowledge.ingestion.chunking import PATH_SEPARATOR

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DEV_EVAL = REPO.parent / "shared" / "dev-eval"
_HEADING_NUMBER_RE = re.compile(r"^[\d.]+\s*")


def norm(text: str) -> str:
    return " ".join(text.split())


def heading_title(section_label: str) -> str:
    return _HEADING_NUMBER_RE.sub("", ascii_digits(section_label.split(PATH_SEPARATOR)[-1])).strip()


@dataclass
class SectionResult:
    doc: str
    section: str
    steps_expected: int
    found: bool = False
    title_ok: bool = False
    count_ok: bool = False
    texts_ok: bool = False
    pages_ok: bool = False
    got_title: str = ""
    steps_got: int = 0

    @property
    def ok(self) -> bool:
        return self.found and self.title_ok and self.count_ok and self.texts_ok and self.pages_ok


@dataclass
class DocResult:
    doc: str
    sections: list[SectionResult] = field(default_factory=list)
    extra_procedures: list[str] = field(default_factory=list)  # procedures no source section accounts for
    boundary_errors: list[str] = field(default_factory=list)
    text_items: int = 0
    text_found: int = 0
    text_missing: list[str] = field(default_factory=list)


def bench_document(pdf: Path, source: dict, pages: dict[str, list[int]]) -> DocResult:
    chunks = list(chunk_pages(iter_pdf_pages(pdf), title=source["title"], language=source["language"]))
    procedures = list(extract_procedures(chunks, language=source["language"]))
    result = DocResult(doc=pdf.name)
    # Every section starts on a new page, so a procedure belongs to the section that starts on its page.
    by_page: dict[int, list[ProcedureDraft]] = {}
    for procedure in procedures:
        by_page.setdefault(procedure.page, []).append(procedure)
    claimed: set[int] = set()
    for section in source["sections"]:
        sid, expected = section["id"], [norm(s) for s in section.get("steps") or []]
        section_pages = pages[sid]
        if len(expected) >= 2:
            row = SectionResult(doc=pdf.name, section=sid, steps_expected=len(expected))
            candidates = by_page.get(section_pages[0], [])
            if candidates:
                procedure = candidates[0]
                claimed.add(id(procedure))
                got = [norm(s.instruction) for s in procedure.steps]
                row.found = True
                row.got_title = procedure.title
                row.title_ok = norm(ascii_digits(procedure.title)) == norm(section["heading"])
                row.steps_got = len(got)
                row.count_ok = len(got) == len(expected)
                row.texts_ok = got == expected
                step_pages = [s.page or procedure.page for s in procedure.steps]
                row.pages_ok = all(p in section_pages for p in step_pages)
            result.sections.append(row)
        _check_boundary(result, section, section_pages, chunks)
        _check_text(result, section, chunks)
    headings = {norm(section["heading"]) for section in source["sections"]}
    for label in dict.fromkeys(c.section for c in chunks[1:]):
        if heading_title(label) not in headings:
            result.boundary_errors.append(f"a chunk under '{label}', which is no source section")
    result.extra_procedures = [f"{p.title} (p. {p.page})" for p in procedures if id(p) not in claimed]
    return result


def _check_boundary(result: DocResult, section: dict, section_pages: list[int], chunks: list[Chunk]) -> None:
    heading = norm(section["heading"])
    opening = [c for c in chunks if heading_title(c.section) == heading]
    if not opening:
        on_page = sorted({c.section for c in chunks if c.page_start == section_pages[0]})
        result.boundary_errors.append(f"{section['id']}: no chunk under '{heading}' (chunks there: {on_page})")
    elif opening[0].page_start != section_pages[0]:
        result.boundary_errors.append(
            f"{section['id']}: first chunk on p. {opening[0].page_start}, not {section_pages[0]}"
        )


def _check_text(result: DocResult, section: dict, chunks: list[Chunk]) -> None:
    heading = norm(section["heading"])
    blob = norm("\n".join(f"{c.section}\n{c.text}" for c in chunks if heading_title(c.section) == heading))
    items = [section["heading"]]
    for key in ("warnings", "paragraphs", "steps", "notes"):
        items.extend(section.get(key) or [])
    items.extend(" | ".join(norm(cell) for cell in row) for row in section.get("table") or [])
    for item in items:
        result.text_items += 1
        if norm(item) in blob:
            result.text_found += 1
        else:
            result.text_missing.append(f"{section['id']}: {norm(item)[:90]}")


def _mark(value: bool) -> str:
    return "ok" if value else "--"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev-eval", type=Path, default=DEFAULT_DEV_EVAL)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--missing", type=int, default=5, help="missing text items listed per document")
    args = parser.parse_args()
    manuals = args.dev_eval / "manuals"
    pages = json.loads((manuals / "pages.json").read_text(encoding="utf-8"))
    results = []
    for pdf in sorted((manuals / "pdf").glob("*.pdf")):
        source = json.loads((manuals / "src" / f"{pdf.stem}.json").read_text(encoding="utf-8"))
        results.append(bench_document(pdf, source, pages[pdf.name]))
    if args.json:
        print(json.dumps([asdict(r) for r in results], ensure_ascii=False, indent=1))
    else:
        _print(results, args.missing)
    rows = [s for r in results for s in r.sections]
    failed = any(not s.ok for s in rows) or any(r.boundary_errors or r.extra_procedures for r in results)
    return 1 if failed else 0


def _print(results: list[DocResult], missing: int) -> None:
    header = f"{'document':44} {'sec':4} {'found':5} {'title':5} {'steps':7} {'texts':5} {'pages':5}"
    print(header)
    print("-" * len(header))
    for result in results:
        for s in result.sections:
            steps = f"{s.steps_got}/{s.steps_expected}"
            print(
                f"{s.doc[:44]:44} {s.section:4} {_mark(s.found):5} {_mark(s.title_ok):5} {steps:7} "
                f"{_mark(s.texts_ok):5} {_mark(s.pages_ok):5}"
                + ("" if s.title_ok or not s.found else f"  {s.got_title!r}")
            )
    rows = [s for r in results for s in r.sections]
    total = len(rows)

    def share(count: int, of: int) -> str:
        return f"{count}/{of} ({100 * count / of:.0f} %)" if of else "0/0"

    print()
    print(f"sections with steps:        {total}")
    print(f"became a procedure:         {share(sum(s.found for s in rows), total)}")
    print(f"title equals the heading:   {share(sum(s.title_ok for s in rows), total)}")
    print(f"step count matches:         {share(sum(s.count_ok for s in rows), total)}")
    print(f"step texts match:           {share(sum(s.texts_ok for s in rows), total)}")
    print(f"step pages right:           {share(sum(s.pages_ok for s in rows), total)}")
    print(f"all of the above:           {share(sum(s.ok for s in rows), total)}")
    extra = [(r.doc, e) for r in results for e in r.extra_procedures]
    print(f"procedures without a source section with steps: {len(extra)}")
    for doc, title in extra:
        print(f"  {doc}: {title}")
    sections = sum(len(r.boundary_errors) for r in results)
    print()
    print(f"section boundaries wrong:   {sections}")
    for r in results:
        for error in r.boundary_errors:
            print(f"  {r.doc}: {error}")
    print()
    print(
        "source text found verbatim under the section's heading "
        "(headings, paragraphs, steps, warnings, notes, table rows):"
    )
    for r in results:
        print(f"  {r.doc:44} {share(r.text_found, r.text_items)}")
        for item in r.text_missing[:missing]:
            print(f"      missing {item}")
    items = sum(r.text_items for r in results)
    print(f"  {'total':44} {share(sum(r.text_found for r in results), items)}")


if __name__ == "__main__":
    sys.exit(main())

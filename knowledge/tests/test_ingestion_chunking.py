"""Structure-aware chunking, checked against the dev-eval manuals and against small made-up documents."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator

import pytest

from knowledge.ingestion import (
    Chunk,
    DocumentKind,
    PageText,
    chunk_pages,
    iter_docx_pages,
    iter_pdf_pages,
    iter_text_pages,
)
from knowledge.tests.fixtures.ingestion_files import (
    DEV_EVAL,
    DEV_EVAL_PDFS,
    needs_dev_eval,
    require_dev_eval,
    write_sample_docx,
    write_text_pdf,
)

# The section-structure checks run on every dev-eval PDF: the bulletins have headings that wrap
# onto a second line, and the Arabic guide is laid out right to left.
ALL_DEV_EVAL_PDFS = (
    *DEV_EVAL_PDFS,
    "autoboss-service-bulletins-v28-v50-en.pdf",
    "autoboss-v28-operator-guide-el.pdf",
    "autoboss-v28-service-manual-en.pdf",
    "autoboss-v50-quick-guide-ar.pdf",
    "autoboss-v50-quick-guide-nb.pdf",
    "autoboss-v50-quick-guide-tr.pdf",
)
FOOTER_RE = re.compile(r"(?:\b(?:Page|Σελίδα|Página|Side|Sayfa)|صفحة)\s+\d+\b")


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) > 2}


@pytest.fixture(scope="module")
def dev_eval() -> dict[str, tuple[dict, dict[str, list[int]], list[Chunk]]]:
    """file name → (source JSON, section pages, chunks) for every dev-eval PDF."""
    require_dev_eval(DEV_EVAL / "manuals" / "pages.json")
    pages = json.loads((DEV_EVAL / "manuals" / "pages.json").read_text(encoding="utf-8"))
    out = {}
    for name in ALL_DEV_EVAL_PDFS:
        source = json.loads((DEV_EVAL / "manuals" / "src" / name.replace(".pdf", ".json")).read_text(encoding="utf-8"))
        chunks = list(chunk_pages(iter_pdf_pages(DEV_EVAL / "manuals" / "pdf" / name), title=source["title"]))
        out[name] = (source, pages[name], chunks)
    return out


def _section_chunks(chunks: list[Chunk], index: int, heading: str) -> list[Chunk]:
    label = f"{index}. {heading}"
    return [c for c in chunks if c.section == label]


@needs_dev_eval
@pytest.mark.parametrize("name", ALL_DEV_EVAL_PDFS)
def test_every_section_maps_to_chunks_on_its_pages(dev_eval, name):
    source, section_pages, chunks = dev_eval[name]
    for index, section in enumerate(source["sections"], start=1):
        found = _section_chunks(chunks, index, section["heading"])
        expected_pages = section_pages[section["id"]]
        assert found, f"{section['id']} has no chunk"
        covered = {p for c in found for p in range(c.page_start, c.page_end + 1)}
        assert covered == set(expected_pages), f"{section['id']}: chunks cover {covered}, pages.json {expected_pages}"
    titled = {f"{i}. {s['heading']}" for i, s in enumerate(source["sections"], start=1)}
    assert {c.section for c in chunks[1:]} == titled  # nothing else was taken for a heading


@needs_dev_eval
@pytest.mark.parametrize("name", ALL_DEV_EVAL_PDFS)
def test_section_text_is_all_in_its_chunks(dev_eval, name):
    source, _pages, chunks = dev_eval[name]
    for index, section in enumerate(source["sections"], start=1):
        body = " ".join(
            (section.get("warnings") or [])
            + (section.get("paragraphs") or [])
            + (section.get("steps") or [])
            + [cell for row in section.get("table") or [] for cell in row]
            + (section.get("notes") or [])
        )
        got = _words(" ".join(c.text for c in _section_chunks(chunks, index, section["heading"])))
        missing = _words(body) - got
        assert not missing, f"{section['id']} lost words: {sorted(missing)[:10]}"


@needs_dev_eval
@pytest.mark.parametrize("name", ALL_DEV_EVAL_PDFS)
def test_title_page_is_its_own_chunk(dev_eval, name):
    source, _pages, chunks = dev_eval[name]
    first = chunks[0]
    assert (first.ordinal, first.page_start, first.page_end, first.section) == (0, 1, 1, source["title"])
    assert source["doc_number"] in first.text
    assert all(c.page_start >= 2 for c in chunks[1:])
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


@needs_dev_eval
@pytest.mark.parametrize("name", ALL_DEV_EVAL_PDFS)
def test_numbered_steps_stay_in_one_chunk_in_order(dev_eval, name):
    source, _pages, chunks = dev_eval[name]
    for index, section in enumerate(source["sections"], start=1):
        if not section.get("steps"):
            continue
        holders = [c for c in _section_chunks(chunks, index, section["heading"]) if re.search(r"(?m)^1\. ", c.text)]
        assert len(holders) == 1, f"{section['id']}: steps spread over {len(holders)} chunks"
        step_lines = re.findall(r"(?m)^(\d+)\. (.*)$", holders[0].text)
        assert [int(n) for n, _ in step_lines] == list(range(1, len(section["steps"]) + 1))
        assert [" ".join(t.split()) for _, t in step_lines] == [" ".join(s.split()) for s in section["steps"]]


@needs_dev_eval
@pytest.mark.parametrize("name", ALL_DEV_EVAL_PDFS)
def test_tables_are_whole_with_one_line_per_row(dev_eval, name):
    source, _pages, chunks = dev_eval[name]
    for index, section in enumerate(source["sections"], start=1):
        table = section.get("table")
        if not table:
            continue
        header = " | ".join(table[0])
        holders = [c for c in _section_chunks(chunks, index, section["heading"]) if header in c.text]
        assert len(holders) == 1, f"{section['id']}: table header found in {len(holders)} chunks"
        lines = holders[0].text.split("\n")
        start = lines.index(header)
        rows = lines[start : start + len(table)]
        assert rows == [" | ".join(row) for row in table], f"{section['id']}: table rows differ"


@needs_dev_eval
@pytest.mark.parametrize("name", ALL_DEV_EVAL_PDFS)
def test_page_footers_are_removed(dev_eval, name):
    _source, _pages, chunks = dev_eval[name]
    assert not [c.ordinal for c in chunks if FOOTER_RE.search(c.text)]


@needs_dev_eval
def test_section_over_two_pages_keeps_its_continued_paragraph_whole(dev_eval):
    _source, _pages, chunks = dev_eval["autoboss-v50-operator-manual-en.pdf"]
    fault_list = [c for c in chunks if c.section == "12. Fault code list"]
    spanning = [c for c in fault_list if (c.page_start, c.page_end) == (13, 14)]
    assert len(spanning) == 1
    assert "which clear by themselves once the link is back." in spanning[0].text


@needs_dev_eval
@pytest.mark.parametrize("name", ALL_DEV_EVAL_PDFS)
def test_chunk_language_is_detected_per_manual(dev_eval, name):
    source, _pages, chunks = dev_eval[name]
    assert {c.language for c in chunks} == {source["language"]}


@needs_dev_eval
def test_chunk_sizes_suit_the_embedding_model(dev_eval):
    sizes = [c.word_count for name in DEV_EVAL_PDFS for c in dev_eval[name][2][1:]]
    assert max(sizes) <= 350
    assert min(sizes) >= 60


# -- made-up documents ------------------------------------------------------------------------


def _pages(*texts: str, layout: bool = False) -> list[PageText]:
    return [PageText(number=i, text=t, layout=layout) for i, t in enumerate(texts, start=1)]


def test_long_section_splits_between_paragraphs_with_the_heading_repeated():
    paragraphs = [f"Paragraph {i} " + " ".join(f"word{i}x{j}" for j in range(80)) + "." for i in range(8)]
    text = "1. Long chapter\n\n" + "\n\n".join(paragraphs)
    chunks = list(chunk_pages(_pages(text), title="Doc", kind=DocumentKind.TEXT, max_words=350))
    assert len(chunks) == 2  # 656 words: two even chunks rather than 350 + 306
    assert {c.section for c in chunks} == {"1. Long chapter"}
    rebuilt = "\n\n".join(c.text for c in chunks).split("\n\n")
    assert rebuilt == paragraphs  # split only between paragraphs, nothing lost or reordered
    assert all(c.word_count <= 350 for c in chunks)


def test_very_long_section_is_emitted_in_order_without_loss():
    paragraphs = [f"Paragraph {n} says something about the pump, item {n}." for n in range(2000)]
    pages = [PageText(1, "1. Only chapter\n\n" + "\n\n".join(paragraphs[:20]))]
    pages += [PageText(p, "\n\n".join(paragraphs[(p - 1) * 20 : p * 20])) for p in range(2, 101)]
    chunks = list(chunk_pages(pages, title="Doc", kind=DocumentKind.TEXT))
    assert "\n\n".join(c.text for c in chunks).split("\n\n") == paragraphs
    assert all(c.section == "1. Only chapter" and c.word_count <= 350 for c in chunks)
    assert all(a.page_end <= b.page_start for a, b in itertools.pairwise(chunks))


def test_step_list_is_not_split_even_when_the_section_is_long():
    intro = "\n\n".join("Background " + " ".join(f"w{i}{j}" for j in range(60)) + "." for i in range(4))
    steps = "\n".join(f"{n}. Do step number {n} " + " ".join(f"s{n}{j}" for j in range(20)) + "." for n in range(1, 9))
    text = f"7. Rotor does not turn\n\n{intro}\n\n{steps}"
    chunks = list(chunk_pages(_pages(text), title="Doc", kind=DocumentKind.TEXT, max_words=250))
    with_steps = [c for c in chunks if "1. Do step" in c.text or "8. Do step" in c.text]
    assert len(chunks) > 1
    assert len(with_steps) == 1
    assert [int(n) for n in re.findall(r"(?m)^(\d+)\. Do step", with_steps[0].text)] == list(range(1, 9))


def test_step_numbers_continuing_the_section_number_are_not_headings():
    text = (
        "3. Start-up\n\nBefore starting:\n1. Open the valve.\n2. Close the drain.\n"
        "4. Lower the boost pump hose into the sea\n5. Press START.\n\n4. Stopping\n\nPress STOP."
    )
    chunks = list(chunk_pages(_pages(text), title="Doc", kind=DocumentKind.TEXT))
    assert [c.section for c in chunks] == ["3. Start-up", "4. Stopping"]
    assert "4. Lower the boost pump hose into the sea" in chunks[0].text


def test_running_headers_and_page_labels_are_removed():
    header = "ACME Pump Manual - Revision 3"
    bodies = ["Grease it.", "Check the oil.", "Clean the filter.", "Test the alarm.", "Drain the tank.", "Store dry."]
    texts = [f"{header}\n\n{n}. Chapter {n}\n\n{body}\n\nPage {n} of 6" for n, body in enumerate(bodies, start=1)]
    chunks = list(chunk_pages(_pages(*texts), title="ACME", kind=DocumentKind.TEXT))
    assert [c.section for c in chunks] == [f"{n}. Chapter {n}" for n in range(1, 7)]
    assert [c.text for c in chunks] == bodies


def test_data_lines_at_page_edges_are_not_taken_for_running_footers():
    texts = [f"{n}. Model {n}\n\nSpecification of model {n}.\n\nWeight {150 + 5 * n} kg" for n in range(1, 7)]
    chunks = list(chunk_pages(_pages(*texts), title="Data", kind=DocumentKind.TEXT))
    assert [c.text.split("\n\n")[-1] for c in chunks] == [f"Weight {150 + 5 * n} kg" for n in range(1, 7)]


def test_paragraph_running_over_a_page_break_is_one_block_on_both_pages():
    first = "2. Filter faults\n\nThe flush valve opens every 15 minutes and flushes the dirt overboard for"
    second = "eight seconds.\n\nClean the screen by hand."
    chunks = list(chunk_pages(_pages("Title page", first, second), title="Doc", kind=DocumentKind.PDF))
    body = chunks[1]
    assert (body.section, body.page_start, body.page_end) == ("2. Filter faults", 2, 3)
    assert "overboard for eight seconds." in body.text


def test_untitled_pages_are_chunked_page_by_page():
    chunks = list(chunk_pages(_pages("Cover", "Some text.", "More text."), title="Doc", kind=DocumentKind.PDF))
    assert [(c.section, c.page_start, c.page_end, c.text) for c in chunks] == [
        ("Doc", 1, 1, "Cover"),
        ("Doc", 2, 2, "Some text."),
        ("Doc", 3, 3, "More text."),
    ]


def test_warning_stays_with_the_steps_it_precedes():
    text = "5. Cleaning\n\nIntro text.\n\nCAUTION: Stop the pump first.\n\n1. Open the cover.\n2. Brush the screen."
    (chunk,) = chunk_pages(_pages(text), title="Doc", kind=DocumentKind.TEXT)
    assert "⚠ CAUTION: Stop the pump first.\n\n1. Open the cover.\n2. Brush the screen." in chunk.text


def test_upper_case_headings_and_markdown_headings_in_plain_text():
    text = "SAFETY RULES\n\nWear gloves.\n\n# Maintenance\n\nGrease weekly."
    chunks = list(chunk_pages(_pages(text), title="Doc", kind=DocumentKind.TEXT))
    assert [(c.section, c.text) for c in chunks] == [
        ("SAFETY RULES", "Wear gloves."),
        ("Maintenance", "Grease weekly."),
    ]


def test_subsection_label_includes_its_chapter():
    text = "3. Maintenance\n\nGeneral rules.\n\n3.1 Daily checks\n\nCheck the oil."
    chunks = list(chunk_pages(_pages(text), title="Doc", kind=DocumentKind.TEXT))
    assert [c.section for c in chunks] == ["3. Maintenance", "3. Maintenance \u203a 3.1 Daily checks"]


def test_huge_table_is_split_by_rows_with_the_header_repeated():
    rows = [f"P-{n:03d} | Fault number {n} " + "detail " * 10 + f"| Fix number {n}" for n in range(120)]
    text = "# Fault codes\n\n| Code | Meaning | Action |\n|---|---|---|\n" + "\n".join(f"| {r} |" for r in rows)
    chunks = list(chunk_pages(_pages(text), title="Doc", kind=DocumentKind.MARKDOWN, max_words=350))
    assert len(chunks) > 1
    assert all(c.text.startswith("Code | Meaning | Action\n") for c in chunks)
    body_rows = [line for c in chunks for line in c.text.split("\n")[1:]]
    assert body_rows == [" | ".join(cell.strip() for cell in r.split("|")) for r in rows]


def test_docx_chunks_follow_its_headings_and_pages(tmp_path):
    path = write_sample_docx(tmp_path / "guide.docx")
    chunks = list(chunk_pages(iter_docx_pages(path), title="Guide", kind=DocumentKind.DOCX, language="en"))
    assert [(c.section, c.page_start, c.page_end) for c in chunks] == [
        ("Pump unit service guide", 1, 1),
        ("Pressure loss", 1, 1),
        ("Storage", 2, 2),
    ]
    steps = "1. Check the boost pressure (2 min).\n2. Clean the filter screen.\n3. Replace the nozzle set."
    assert steps in chunks[1].text
    assert "Code | Meaning\nP-206 | Low pressure\nP-212 | Filter blocked" in chunks[1].text
    assert chunks[1].text.startswith("⚠ WARNING: Switch off the supply")


def test_heading_rules_follow_the_source_format_of_the_pages(tmp_path):
    # In a DOCX "1. Open the valve" is always a step; read as PDF text it could be a chapter heading.
    path = tmp_path / "steps.md"
    path.write_text("# Valve\n\n1. Open the valve\n\nWait.\n\n2. Close the valve\n", encoding="utf-8")
    chunks = list(chunk_pages(iter_text_pages(path, kind=DocumentKind.MARKDOWN), title="Doc"))
    assert [c.section for c in chunks] == ["Valve"]
    assert "1. Open the valve" in chunks[0].text and "2. Close the valve" in chunks[0].text


def test_layout_pdf_table_and_warning_are_recognised(tmp_path):
    path = write_text_pdf(
        tmp_path / "m.pdf",
        [
            ["Pump manual"],
            [
                "1. Fault codes",
                "",
                "WARNING: Stop the pump before servicing.",
                "",
                [(72, "Code"), (200, "Meaning")],
                "",
                [(72, "P-1"), (200, "Low pressure")],
                "",
                [(72, "P-2"), (200, "High pressure")],
                "",
                "Page 2",
            ],
        ],
    )
    chunks = list(chunk_pages(iter_pdf_pages(path), title="Pump manual"))
    assert chunks[1].section == "1. Fault codes"
    assert chunks[1].text == (
        "⚠ WARNING: Stop the pump before servicing.\n\nCode | Meaning\nP-1 | Low pressure\nP-2 | High pressure"
    )


def test_layout_table_with_numbered_rows_is_a_table_not_steps():
    text = (
        "2. Parts list\n\n"
        "1.   Pump head      AB5-1000     1\n"
        "2.   Nozzle set     AB5-2120     12\n"
        "3.   Filter         AB5-1310     1\n\n"
        "Order parts from the dealer."
    )
    chunks = list(chunk_pages([PageText(1, "Title", True), PageText(2, text, True)], title="Parts"))
    assert chunks[1].text == (
        "1. | Pump head | AB5-1000 | 1\n2. | Nozzle set | AB5-2120 | 12\n3. | Filter | AB5-1310 | 1"
        "\n\nOrder parts from the dealer."
    )


def test_text_file_pages_and_markdown_lists(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text("# Start\n\n1. Plug in.\n2. Switch on.\n\f# Stop\n\n1. Switch off.\n", encoding="utf-8")
    chunks = list(chunk_pages(iter_text_pages(path, kind=DocumentKind.MARKDOWN), title="G", kind="markdown"))
    assert [(c.section, c.page_start, c.text) for c in chunks] == [
        ("Start", 1, "1. Plug in.\n2. Switch on."),
        ("Stop", 2, "1. Switch off."),
    ]


def test_chunking_streams_pages():
    pulled: list[int] = []

    def pages() -> Iterator[PageText]:
        for n in range(1, 51):
            pulled.append(n)
            yield PageText(n, f"{n}. Chapter {n}\n\nText of chapter {n}.\n\nIt has {n * 7} parts.")

    chunks = chunk_pages(pages(), title="Doc", kind=DocumentKind.TEXT)
    first = next(chunks)
    assert first.section == "1. Chapter 1"
    assert len(pulled) < 10  # only a few pages of look-ahead, not the whole document
    assert len(list(chunks)) == 49


def test_document_language_is_kept_for_short_or_ambiguous_chunks():
    text = "1. Codes\n\nP-201 | P-202\n\n2. Drift\n\n" + "Der Motor läuft nicht und die Pumpe steht. " * 2
    chunks = list(chunk_pages(_pages(text), title="Doc", kind=DocumentKind.TEXT, language="no"))
    assert [c.language for c in chunks] == ["nb", "nb"]


# -- headings that wrap onto a second line ------------------------------------------------------

BULLETIN_PAGES = [
    ["Technical bulletins"],
    [
        "1. TB-28-09 (V2.8) - Oil cooler fan switches on earlier",
        "",
        "Applies to V2.8 power packs 28-0100 to 28-0349.",
        "",
        "1.   Stop the engine and let it cool.",
        "2.   Fit the new thermostat switch AB28-221.",
        "",
        "Page 2",
    ],
    [
        "2. TB-28-12 (V2.8) - Case drain check valve for the",
        "rotor motors",
        "",
        "Applies to all V2.8 rigs.",
        "",
        "1.   Release the pressure in both hydraulic hoses.",
        "2.   Run the rotors at 25 rpm for 5 minutes at the surface, then look",
        "     for leaks.",
        "",
        "Page 3",
    ],
    [
        # Its number continues the step list of the previous section, and no blank line follows
        # its first line: only the wrap makes it stand apart.
        "3. TN-50-02 (V5.0) - New distance sensor cover for thin",
        "and knotless nets",
        "",
        "Applies to V5.0 rigs R5-001 to R5-006.",
        "",
        "1.   Switch the rig off and land it on deck.",
        "2.   Fit the new cover.",
        "",
        "Page 4",
    ],
]


def test_heading_wrapped_onto_a_second_line_is_one_heading(tmp_path):
    path = write_text_pdf(tmp_path / "bulletins.pdf", BULLETIN_PAGES)
    chunks = list(chunk_pages(iter_pdf_pages(path), title="Bulletins"))
    assert [(c.section, c.page_start) for c in chunks[1:]] == [
        ("1. TB-28-09 (V2.8) - Oil cooler fan switches on earlier", 2),
        ("2. TB-28-12 (V2.8) - Case drain check valve for the rotor motors", 3),
        ("3. TN-50-02 (V5.0) - New distance sensor cover for thin and knotless nets", 4),
    ]
    assert chunks[2].text.startswith("Applies to all V2.8 rigs.")
    assert chunks[2].text.endswith("2. Run the rotors at 25 rpm for 5 minutes at the surface, then look for leaks.")
    assert chunks[3].text.startswith("Applies to V5.0 rigs")


@pytest.mark.parametrize(
    "step",
    [
        # A wrapped step hangs in its text column, even when it reads like a title...
        "3. Check the valve seat and the spring\n   for wear",
        # ...and one that does not hang is a sentence: it ends with a full stop.
        "3. Check the valve seat and the spring\nfor wear.",
    ],
)
def test_wrapped_last_step_is_not_taken_for_a_heading(step):
    steps = "1.   Open the cover.\n2.   Remove the spring.\n\nKeep the parts clean."
    text = f"2. Valve service\n\n{steps}\n\n{step}\n\nRefit."
    chunks = list(chunk_pages([PageText(1, "Title", True), PageText(2, text, True)], title="Doc"))
    assert [c.section for c in chunks[1:]] == ["2. Valve service"]
    assert "\n3. Check the valve seat and the spring for wear" in chunks[1].text


@pytest.mark.parametrize(
    "text",
    [
        # The next line is a sentence, not the heading's wrap...
        "3. Stopping\nPress STOP and wait until the rotor has stopped.\n\nThen switch off.",
        # ...and a short heading did not wrap: the short line under it is its own text.
        "3. Technical data\nPump unit PU-5\n\nThe pump unit is supplied with 400 V three-phase power from the vessel.",
    ],
)
def test_heading_with_text_right_under_it_keeps_its_own_title(text):
    chunks = list(chunk_pages([PageText(1, "Title", True), PageText(2, text, True)], title="Doc"))
    assert [c.section for c in chunks[1:]] == [text.split("\n")[0]]


def test_table_continued_on_a_new_page_uses_that_pages_columns():
    # Layout positions are computed per page: the repeated header shows where this page's columns are.
    first = (
        "14. F-code list\n\n"
        "Code     Meaning                   Action\n\n"
        "F-11     Oil pressure low          Check the oil level\n\n"
        "F-12     Oil too hot               Clean the cylinder fins"
    )
    second = (
        "Code   Meaning          Action\n\n"
        "F-52   Emergency stop   Pull the button out, key OFF and\n"
        "                        ON\n\n"
        "F-54   Reel brake on    Section 13"
    )
    pages = [PageText(1, "Title", True), PageText(2, first, True), PageText(3, second, True)]
    (_title, table) = chunk_pages(pages, title="Doc")
    assert (table.page_start, table.page_end) == (2, 3)
    assert table.text.split("\n") == [
        "Code | Meaning | Action",
        "F-11 | Oil pressure low | Check the oil level",
        "F-12 | Oil too hot | Clean the cylinder fins",
        "F-52 | Emergency stop | Pull the button out, key OFF and ON",
        "F-54 | Reel brake on | Section 13",
    ]

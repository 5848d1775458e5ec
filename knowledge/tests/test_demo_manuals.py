"""The demo manuals (demo/manuals/, ingested by `seed_demo`) through the real ingestion and search.

Each manifest entry is chunked and its troubleshooting procedures extracted exactly as the
ingestion task does it; one database test ingests them all and asks hybrid search questions in
several languages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from knowledge.ingestion import DocumentKind, chunk_pages, extract_procedures, iter_document_pages
from knowledge.ingestion.chunking import PATH_SEPARATOR
from knowledge.models import DocumentType

MANUALS = Path(__file__).resolve().parents[2] / "demo" / "manuals"
MANIFEST: list[dict] = json.loads((MANUALS / "manifest.json").read_text(encoding="utf-8"))
BY_FILE = {entry["file"]: entry for entry in MANIFEST}

# Per document: the procedures it must yield, in document order, with their number of steps.
EXPECTED = {
    "autoboss-v40-operator-manual-en.md": [
        ("Pump loses pressure", 6),
        ("Rotor does not turn", 6),
        ("Cleaning head drifts / does not hold net contact", 6),
        ("Camera image lost", 6),
        ("Pump overheats / alarm P-206", 6),
        ("Umbilical reel does not turn", 6),
    ],
    "autoboss-v31b-service-manual-en.md": [
        ("Pump loses pressure", 7),
        ("Pressure fluctuates / pump knocks", 6),
        ("Rotor does not turn", 6),
        ("Pump overheats / alarm E-15", 6),
        ("No video signal on the monitor", 6),
    ],
    "autoboss-v40-quick-guide-el.md": [
        ("Η αντλία χάνει πίεση", 5),
        ("Ο ρότορας δεν γυρίζει", 5),
        ("Υπερθέρμανση αντλίας – συναγερμός P-206", 5),
    ],
    "autoboss-v40-quick-guide-es.md": [
        ("La bomba pierde presión", 5),
        ("El rotor no gira", 5),
        ("Pérdida de imagen de la cámara", 5),
    ],
    "autoboss-v40-quick-guide-nb.md": [
        ("Pumpen mister trykk", 5),
        ("Rotoren går ikke rundt", 5),
        ("Vaskehodet driver og holder ikke kontakt med nota", 5),
    ],
    "autoboss-v31b-quick-guide-tr.md": [
        ("Pompa basınç kaybediyor", 6),
        ("Rotor dönmüyor", 6),
        ("Pompa aşırı ısınıyor (alarm E-15)", 5),
    ],
    "autoboss-v40-quick-guide-ar.md": [
        ("المضخة تفقد الضغط", 5),
        ("الدوّار لا يدور", 5),
        ("ارتفاع حرارة المضخة – الإنذار P-206", 5),
    ],
}

# Sections with numbered steps that are not troubleshooting, in document order before the fault
# sections. Every section with steps is a procedure (a fault report can lead to a start-up, stop or
# maintenance routine), so these are extracted too; the checks below on minutes, outcomes and
# warnings are about the troubleshooting sections only.
ROUTINES = {
    "autoboss-v40-operator-manual-en.md": [
        ("Start-up", 9),
        ("Shut-down", 7),
        ("Changing the pump oil", 6),
        ("Replacing the rotor bearing and swivel seal", 6),
    ],
    "autoboss-v31b-service-manual-en.md": [
        ("Start-up", 7),
        ("Shut-down", 5),
        ("Replacing the pump valves and seals", 7),
        ("Checking and adjusting the V-belt tension", 5),
    ],
    "autoboss-v40-quick-guide-el.md": [("Εκκίνηση", 6), ("Σβήσιμο", 4)],
    "autoboss-v40-quick-guide-es.md": [("Arranque y parada", 6)],
    "autoboss-v40-quick-guide-nb.md": [("Oppstart og stopp", 6)],
    "autoboss-v31b-quick-guide-tr.md": [("Çalıştırma", 6)],
    "autoboss-v40-quick-guide-ar.md": [("التشغيل والإيقاف", 6)],
}

# Service intervals (operating hours) in each document's maintenance schedule table.
INTERVALS = {
    "autoboss-v40-operator-manual-en.md": [50, 250, 500, 1000, 2000],
    "autoboss-v31b-service-manual-en.md": [50, 250, 500, 1000, 2000],
    "autoboss-v40-quick-guide-el.md": [50, 250, 500, 1000],
    "autoboss-v40-quick-guide-es.md": [50, 250, 500, 1000],
    "autoboss-v40-quick-guide-nb.md": [50, 250, 500, 1000],
    "autoboss-v31b-quick-guide-tr.md": [50, 250, 500, 1000],
    "autoboss-v40-quick-guide-ar.md": [50, 250, 500, 1000],
}
_HOURS = {
    "en": r"Every (\d[\d ]*) operating hours",
    "el": r"Κάθε (\d[\d ]*) ώρες λειτουργίας",
    "es": r"Cada (\d[\d ]*) horas de funcionamiento",
    "nb": r"Hver (\d[\d ]*) driftstimer",
    "tr": r"Her (\d[\d ]*) çalışma saatinde",
    "ar": r"كل (\d[\d ]*) ساعة تشغيل",
}
_STEP = re.compile(r"^(\d{1,2})\. ")
_WARNING = re.compile(r"^⚠ [^:]+: (.+)$")


def _chunks(entry: dict) -> list:
    pages = iter_document_pages(MANUALS / entry["file"], kind=DocumentKind.MARKDOWN)
    return list(chunk_pages(pages, title=entry["title"], language=entry["language"]))


def _procedures(entry: dict) -> list:
    return list(extract_procedures(_chunks(entry), language=entry["language"]))


def _source_warnings(name: str) -> dict[str, dict[int, str]]:
    """Per `###` section of the Markdown source: step number -> the ⚠ line written just before it."""
    sections: dict[str, dict[int, str]] = {}
    current: dict[int, str] | None = None
    pending: str | None = None
    for line in (MANUALS / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            current = sections.setdefault(re.sub(r"^#+\s+[\d.]+\s+", "", line), {}) if line.startswith("### ") else None
            pending = None
        elif current is not None and (warning := _WARNING.match(line)):
            pending = warning[1]
        elif current is not None and (step := _STEP.match(line)):
            if pending:
                current[int(step[1])] = pending
            pending = None
    return sections


def test_manifest_lists_every_manual_with_valid_metadata():
    on_disk = {p.name for p in MANUALS.glob("*.md")} - {"README.md"}
    assert set(BY_FILE) == on_disk == set(EXPECTED)
    assert len(BY_FILE) == len(MANIFEST)
    for entry in MANIFEST:
        assert set(entry) == {"file", "title", "machine_models", "language", "document_type"}
        assert entry["machine_models"] in (["V4.0"], ["V3.1B"])
        assert entry["language"] in _HOURS
        assert entry["document_type"] in DocumentType.values
        # The model named in the file name is the model the entry declares.
        assert ("v40" in entry["file"]) == (entry["machine_models"] == ["V4.0"])
        assert entry["file"].endswith(f"-{entry['language']}.md")


@pytest.mark.parametrize("name", list(EXPECTED))
def test_troubleshooting_sections_become_procedures(name):
    entry = BY_FILE[name]
    procedures = _procedures(entry)
    assert [(p.title, len(p.steps)) for p in procedures] == ROUTINES[name] + EXPECTED[name]
    procedures = procedures[len(ROUTINES[name]) :]
    minimum = 5 if entry["document_type"] == "manual" else 3
    warnings = _source_warnings(name)
    for procedure in procedures:
        assert len(procedure.steps) >= minimum
        assert procedure.language == entry["language"]
        assert procedure.symptom and procedure.symptom != procedure.title
        assert [s.order for s in procedure.steps] == list(range(1, len(procedure.steps) + 1))
        # Every step states its time, and the first (cheap) check says what to expect.
        assert all(s.minutes for s in procedure.steps), procedure.title
        assert procedure.steps[0].expected_outcome, procedure.title
        expected = warnings[procedure.title]
        assert expected, f"{procedure.title}: no ⚠ line in the source section"
        for step in procedure.steps:
            if step.order in expected:
                assert step.safety_warning and step.safety_warning.startswith(expected[step.order])
            else:
                # No boxed warning of another step leaks here; a "Never ..." clause of its own may.
                assert step.safety_warning is None or step.safety_warning in step.instruction


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_chunk_keeps_the_declared_language(name):
    entry = BY_FILE[name]
    chunks = _chunks(entry)
    assert chunks and {c.language for c in chunks} == {entry["language"]}
    # Form feeds split the files into pages, and troubleshooting does not start on page 1.
    assert max(c.page_end for c in chunks) >= 3
    assert _procedures(entry)[len(ROUTINES[name])].page >= 2


@pytest.mark.parametrize("name", list(EXPECTED))
def test_maintenance_schedule_lists_the_service_intervals(name):
    entry = BY_FILE[name]
    pattern = re.compile(_HOURS[entry["language"]])
    rows = [
        (chunk.section, line)
        for chunk in _chunks(entry)
        for line in chunk.text.split("\n")
        if " | " in line and pattern.match(line)
    ]
    hours = [int(pattern.match(line)[1].replace(" ", "")) for _section, line in rows]
    assert hours == INTERVALS[name]
    # The whole schedule is one table in one chunk, so a search hit shows every interval.
    assert len({section for section, _line in rows}) == 1
    thousand = next(line for _section, line in rows if pattern.match(line)[1] == "1 000")
    assert len(thousand.split(" | ")[1]) > 40  # the 1 000 h row names its tasks


# --- the database: every manifest document ingested and searched --------------------------------

# (question, its language, machine model, the procedure titles whose section should come first)
QUESTIONS = [
    ("η αντλία χάνει πίεση", "el", "V4.0", {"Η αντλία χάνει πίεση", "Pump loses pressure"}),
    ("el rotor no gira", "es", "V4.0", {"El rotor no gira", "Rotor does not turn"}),
    ("kamerabildet er borte", "nb", "V4.0", {"Camera image lost", "Pérdida de imagen de la cámara"}),
    ("pompa aşırı ısınıyor", "tr", "V3.1B", {"Pompa aşırı ısınıyor (alarm E-15)", "Pump overheats / alarm E-15"}),
    ("المضخة تفقد الضغط", "ar", "V4.0", {"المضخة تفقد الضغط", "Pump loses pressure"}),
    ("pump pressure keeps fluctuating and knocking", "en", "V3.1B", {"Pressure fluctuates / pump knocks"}),
]


def _title(section: str) -> str:
    return re.sub(r"^[\d.]+\s*", "", section.split(PATH_SEPARATOR)[-1]).strip()


@pytest.mark.django_db
def test_ingested_manuals_answer_questions_in_several_languages(media_root):
    from knowledge.models import Chunk, DocumentStatus
    from knowledge.search import chunks_hybrid_search
    from knowledge.tests.conftest import ingest_file

    documents = {}
    for entry in MANIFEST:
        document = ingest_file(
            MANUALS / entry["file"],
            title=entry["title"],
            doc_type=entry["document_type"],
            machine_models=entry["machine_models"],
            language=entry["language"],
        )
        assert document.status == DocumentStatus.READY, (entry["file"], document.error)
        assert document.procedures.count() == len(ROUTINES[entry["file"]]) + len(EXPECTED[entry["file"]])
        documents[entry["file"]] = document

    v40 = documents["autoboss-v40-operator-manual-en.md"]
    service = Chunk.objects.get(document=v40, text__contains="Every 1 000 operating hours | High-pressure pump service")
    assert _title(service.section) == "Maintenance schedule"
    assert "replace valves and seals" in service.text

    model_of = {documents[entry["file"]].id: entry["machine_models"] for entry in MANIFEST}
    for question, language, model, titles in QUESTIONS:
        result = chunks_hybrid_search(query=question, k=5, machine_model=model, language=language)
        assert not result.abstained, question
        top = result.results[0]
        assert _title(top.section) in titles, (question, [(h.file_name, h.section) for h in result.results])
        assert top.page_start >= 2
        assert all(model_of[h.document_id] == [model] for h in result.results), question

    # A question about the interval finds the schedule table.
    hits = chunks_hybrid_search(query="what maintenance is due at 1000 hours", k=3, machine_model="V4.0").results
    assert hits[0].chunk_id == service.id

"""Service intervals from the manuals (abparts.intervals) and the suggestions built on them (abparts.context)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from abparts.context import HoursHistory, maintenance_suggestions
from abparts.intervals import ServiceInterval, intervals_in_text, service_intervals
from knowledge.models import DocumentStatus
from knowledge.tests.conftest import ingest_file


# --- recognising intervals in chunk text ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "section", "hours"),
    [
        ("Every 50 h | Check the hydraulic oil level", "Maintenance schedule", 50),
        ("500 h | Replace the hydraulic return filter", "7. Maintenance schedule", 500),
        ("Every 1 000 operating hours | Replace the pump seals", "", 1000),
        ("Every 1\u202f000 h | Replace the pump seals", "", 1000),  # narrow no-break space
        ("1\u2009000 h | Replace the pump seals", "Service intervals", 1000),  # thin space, schedule table
        ("Every 12 months or 1,000 h | Replace seals", "Service intervals", 1000),
        ("- Every 250 h: grease the brush arm pivots.", "", 250),
        ("- 500 h: replace the filter", "Maintenance", 500),
        ("2000-hour service: full overhaul by an authorised technician.", "", 2000),
        ("Κάθε 500 ώρες λειτουργίας: αντικαταστήστε το φίλτρο λαδιού.", "", 500),
        ("Σέρβις 1000 ωρών: πλήρης έλεγχος της αντλίας", "", 1000),
        ("Cada 1.000 horas de funcionamiento, sustituya las juntas.", "", 1000),
        ("Servicio de 500 horas: cambie el filtro", "", 500),
        ("Her 500 saatte bir hidrolik filtreyi değiştirin.", "", 500),
        ("500 saatlik bakım: filtre değişimi", "", 500),
        ("Hver 500. driftstime: skift hydraulikkfilteret.", "", 500),
        ("Hver 1 000 driftstimer: skift pumpepakningene.", "", 1000),
        ("500-timersservice: skift filter", "", 500),
        ("كل 500 ساعة تشغيل: استبدل مرشح الزيت", "", 500),
        ("كل ١٬٠٠٠ ساعة: استبدل الحشوات", "", 1000),  # Arabic-Indic digits and separator
        ("Her 1 000 çalışma saatinde | Pompa bakımı", "Bakım", 1000),
        ("Her 250 saatte bir motor yağını değiştirin.", "", 250),
    ],
)
def test_interval_lines_in_six_languages(line, section, hours):
    schedule = "|" in line or line.startswith("- ")
    assert intervals_in_text(line, section=section) == [(hours, " ".join(line.removeprefix("- ").split()), schedule)]


@pytest.mark.parametrize(
    ("line", "section"),
    [
        ("The tablet battery lasts about 6 hours; charge it between shifts.", ""),
        ("Check the pressure again after 24 hours of operation.", ""),
        ("Battery runtime | 12 h", "2. Key data"),  # a data table, not a schedule
        ("Hose length | 150 m", "Maintenance"),
        ("1. Check the inlet filter for blockage and clean it.", "Maintenance"),
        ("Part AB40-2023 | Brush disc", "Maintenance"),
        ("Every 2 h: look at the umbilical", ""),  # too short to be a service interval
    ],
)
def test_non_intervals_are_ignored(line, section):
    assert intervals_in_text(line, section=section) == []


def test_a_heading_that_is_the_interval_applies_to_its_text():
    found = intervals_in_text("- Replace the filter\n- Check the seals", section="Service manual › Every 500 hours")
    assert found == [(500, "Every 500 hours: Replace the filter; Check the seals", True)]


def test_later_interval_on_a_line_is_found_after_a_too_short_one():
    assert intervals_in_text("Clean the nozzles every 2 h, replace the filter every 500 h.") == [
        (500, "Clean the nozzles every 2 h, replace the filter every 500 h.", False)
    ]


# --- from the knowledge base ----------------------------------------------------------------------------
GREEK_SCHEDULE = """# AutoBoss V3.1B Εγχειρίδιο συντήρησης

## 4. Πρόγραμμα συντήρησης

- Κάθε 250 ώρες λειτουργίας: λίπανση των αρθρώσεων των βραχιόνων.
- Κάθε 1 500 ώρες λειτουργίας: αντικατάσταση του ιμάντα της αντλίας.
"""

GENERIC_SCHEDULE = """# AutoBoss umbilical care (all models)

## Maintenance

| Interval | Task |
|---|---|
| 750 h | Replace the umbilical hose couplings |
"""


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_intervals_come_from_ready_chunks_of_the_model(service_manual, media_root, tmp_path):
    greek = ingest_file(_write(tmp_path, "v31-el.md", GREEK_SCHEDULE), machine_models=["V3.1B"], language="el")
    generic = ingest_file(_write(tmp_path, "umbilical.md", GENERIC_SCHEDULE), language="en")
    assert greek.status == generic.status == DocumentStatus.READY

    v40 = service_intervals(machine_model="V4.0")
    assert {(i.hours, i.document_id) for i in v40} == {
        (50, service_manual.id),
        (500, service_manual.id),
        (1000, service_manual.id),
        (2000, service_manual.id),
        (750, generic.id),  # no machine models = every model
    }
    thousand = next(i for i in v40 if i.hours == 1000)
    assert thousand == ServiceInterval(
        hours=1000,
        task="Every 1 000 operating hours | Replace the pump seal kit and service the rotor bearings",
        document_id=service_manual.id,
        document_title="AutoBoss V4.0 Service Manual",
        page=1,
        language="en",
        chunk_id=thousand.chunk_id,
        schedule=True,
    )

    v31 = service_intervals(machine_model="V3.1B")
    assert {(i.hours, i.language) for i in v31} == {(250, "el"), (1500, "el"), (750, "en")}

    # A document that is no longer ready (failed, superseded, deleted) stops counting at once: the
    # cache is keyed on the set of ready documents.
    type(generic).objects.filter(pk=generic.pk).update(status=DocumentStatus.FAILED)
    assert {i.hours for i in service_intervals(machine_model="V3.1B")} == {250, 1500}


@pytest.mark.django_db
def test_intervals_cache_follows_new_manuals(media_root, tmp_path, django_assert_num_queries):
    assert service_intervals(machine_model="V4.0") == ()
    with django_assert_num_queries(1):  # the fingerprint only: served from the cache
        assert service_intervals(machine_model="V4.0") == ()
    ingest_file(_write(tmp_path, "umbilical.md", GENERIC_SCHEDULE), language="en")
    assert [i.hours for i in service_intervals(machine_model="V4.0")] == [750]


# --- suggestions ---------------------------------------------------------------------------------------
T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def _interval(hours: int, task: str = "Service", language: str = "en", schedule: bool = True) -> ServiceInterval:
    return ServiceInterval(hours, task, 1, "Manual", 3, language, 10, schedule)


# 10 h a day from day 0 (0 h) to day 118 (1 180 h)
HISTORY = HoursHistory([(_day(d), d * 10.0) for d in range(0, 119, 7)] + [(_day(118), 1180.0)])


def _suggest(services, intervals=None, hours=1180.0, language=None):
    intervals = [_interval(1000)] if intervals is None else intervals
    return maintenance_suggestions(
        current_hours=hours, history=HISTORY, services=services, intervals=intervals, language=language
    )


def test_overdue_when_no_service_since_the_point():
    (suggestion,) = _suggest([(_day(50), "scheduled")])  # at 500 h: before the 1 000 h point
    assert (suggestion.status, suggestion.due_at_hours, suggestion.hours_overdue) == ("overdue", 1000, 180.0)
    assert suggestion.last_service_date == _day(50)


def test_a_service_somewhat_before_the_point_counts():
    assert _suggest([(_day(96), "scheduled")]) == ()  # ~960 h: within 10 % before 1 000 h
    assert _suggest([(_day(85), "scheduled")])[0].status == "overdue"  # ~850 h: too early


@pytest.mark.parametrize(("kind", "counts"), [("repair", True), ("inspection", True), ("cleaning", False)])
def test_which_records_count_as_a_service(kind, counts):
    assert (_suggest([(_day(110), kind)]) == ()) is counts


def test_a_service_before_the_first_reading_does_not_count():
    history = HoursHistory([(_day(100), 1000.0), (_day(118), 1180.0)])
    found = maintenance_suggestions(
        current_hours=1180.0, history=history, services=[(_day(90), "scheduled")], intervals=[_interval(1000)]
    )
    assert found[0].status == "overdue"


def test_due_soon_within_ten_percent_of_the_interval():
    assert [(s.status, s.due_at_hours, s.hours_until_due) for s in _suggest([], hours=955.0)] == [
        ("due_soon", 1000, 45.0)
    ]
    assert _suggest([], hours=880.0) == ()  # 120 h to go: nothing to say yet
    assert _suggest([], hours=None) == ()


def test_short_intervals_and_ordering():
    intervals = [_interval(50), _interval(500, "Filter"), _interval(1000, "Seals"), _interval(1200, "Belt")]
    found = _suggest([], intervals=intervals)
    # 50 h checks are not suggested; overdue (most hours past first) before due soon.
    assert [(s.status, s.interval_hours) for s in found] == [
        ("overdue", 1000),
        ("overdue", 500),
        ("due_soon", 1200),
    ]


def test_tasks_prefer_the_asked_language_then_english():
    intervals = [_interval(1000, "Replace seals"), _interval(1000, "Αλλάξτε τις τσιμούχες", "el")]
    assert [t.task for t in _suggest([], intervals=intervals, language="el")[0].tasks] == ["Αλλάξτε τις τσιμούχες"]
    assert [t.task for t in _suggest([], intervals=intervals, language="tr")[0].tasks] == ["Replace seals"]
    only_greek = [_interval(1000, "Αλλάξτε τις τσιμούχες", "el")]
    assert [t.task for t in _suggest([], intervals=only_greek, language="es")[0].tasks] == ["Αλλάξτε τις τσιμούχες"]


def test_schedule_rows_are_preferred_to_mentions_in_prose():
    intervals = [_interval(1000, "This work is part of the 1 000-hour service.", schedule=False), _interval(1000)]
    assert [t.task for t in _suggest([], intervals=intervals)[0].tasks] == ["Service"]
    mention_only = [_interval(1000, "This work is part of the 1 000-hour service.", schedule=False)]
    assert [t.task for t in _suggest([], intervals=mention_only)[0].tasks] == [mention_only[0].task]


REAL_MANUALS = Path(__file__).resolve().parents[2] / "demo" / "manuals"


@pytest.mark.skipif(not (REAL_MANUALS / "manifest.json").exists(), reason="demo/manuals is not there yet")
def test_every_demo_manual_states_its_service_intervals():
    """The sample manuals (demo/manuals) are what seed_demo loads: each one's schedule is recognised."""
    from knowledge.ingestion.chunking import chunk_pages
    from knowledge.ingestion.extract import iter_document_pages

    manifest = json.loads((REAL_MANUALS / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest:
        pages = iter_document_pages(REAL_MANUALS / entry["file"], kind="markdown")
        found = {
            line.hours
            for chunk in chunk_pages(pages, title=entry["title"], kind="markdown", language=entry["language"])
            for line in intervals_in_text(chunk.text, section=chunk.section)
            if line.schedule
        }
        assert {500, 1000} <= found, entry["file"]

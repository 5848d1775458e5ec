"""Publishing a resolved ticket as a knowledge document: no personal data, searchable, idempotent."""

from __future__ import annotations

import uuid

import pytest

from assistant.models import ChatSession
from escalations.models import Ticket, TicketEvent, TicketNote, TicketStatus
from escalations.publishing import PublishRefused, resolved_case_render, ticket_publish
from knowledge import services as knowledge_services
from knowledge.models import Chunk, Document, DocumentStatus, DocumentType, Page, Procedure
from knowledge.search import chunks_hybrid_search

pytestmark = pytest.mark.django_db

MACHINE_ID = uuid.UUID("0b6f3c1e-5d2a-4f7e-9a61-3c8d2e4f5a70")
ABPARTS_USER_ID = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"

# Personal data planted in the ticket; none of it may reach the knowledge base.
PERSONAL = [
    "nikos",
    "papadopoulos",
    "seafarm",
    "@",
    "691 234 5678",
    "6912345678",
    "412 34 567",
    "AB40-2023-0117",
    "Kvitholmen",
    "Nordfjord Salmon",
    str(MACHINE_ID),
    ABPARTS_USER_ID,
    "GR16 0110",
    "eleni",
    "karra",
]
# Technical facts of the case; all must survive.
TECHNICAL = ["HP-SEAL-22", "AB-4021-17", "180 bar", "1 180 h", "P-206", "AB-HF-2210"]

TRANSCRIPT = [
    (
        "user",
        "Hi, this is Nikos Papadopoulos on Kvitholmen Rig 1 (serial AB40-2023-0117). The high-pressure pump "
        "drops from 180 bar to 60 bar after two minutes of cleaning and the control box shows fault P-206. "
        "Reach me at nikos.papadopoulos@seafarm.gr or +30 691 234 5678.",
    ),
    ("assistant", "Stop the diesel engine first. 1. Check the inlet filter for blockage and clean it."),
    ("user", "Filter AB-HF-2210 is clean, still P-206. Hour meter says 1 180 h. My user id is " + ABPARTS_USER_ID),
    ("assistant", "2. Inspect the umbilical hose for leaks."),
    (
        "user",
        "No leaks. Nikos here again, machine is down, call 6912345678. Payment to GR16 0110 1250 0000 0001 2300 695",
    ),
    ("assistant", "I am handing this over to an expert with everything we tried."),
]
STEPS = [
    {
        "run_id": 1,
        "procedure_title": "High-pressure pump loses pressure",
        "number": 1,
        "instruction": "Check the inlet filter for blockage and clean it.",
        "outcome": "didnt_work",
        "note": "filter clean, checked by nikos",
        "page": 2,
        "document_title": "AutoBoss V4.0 Operator Manual",
        "document": "AutoBoss V4.0 Operator Manual",
    },
    {
        "run_id": 1,
        "procedure_title": "High-pressure pump loses pressure",
        "number": 2,
        "instruction": "Inspect the umbilical hose for leaks.",
        "outcome": "didnt_work",
        "note": "",
        "page": 2,
        "document_title": "AutoBoss V4.0 Operator Manual",
        "document": "AutoBoss V4.0 Operator Manual",
    },
]
RESOLUTION_NOTE = (
    "Phoned Nikos (+47 412 34 567). The high-pressure seal HP-SEAL-22 was worn and let the pressure escape; "
    "we replaced it with seal kit AB-4021-17 and the pump holds 180 bar again at 1 180 h. Fault P-206 cleared. "
    "Eleni Karra"
)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def people(django_user_model):
    operator = django_user_model.objects.create_user(
        "nikos.papadopoulos", email="nikos.papadopoulos@seafarm.gr", first_name="Nikos", last_name="Papadopoulos"
    )
    agent = django_user_model.objects.create_user(
        "eleni.karra", email="eleni@oraseas.example", first_name="Eleni", last_name="Karra", is_staff=True
    )
    return operator, agent


def make_ticket(
    operator, agent, *, status=TicketStatus.RESOLVED, number="AB-20261124-0003", notes=(RESOLUTION_NOTE,), **fields
):
    session = ChatSession.objects.create(
        user=operator, machine_id=str(MACHINE_ID), machine_model="V4.0", language="en", status="escalated"
    )
    ticket = Ticket.objects.create(
        number=number,
        session=session,
        user=operator,
        language="en",
        reason="steps_exceeded",
        priority="urgent",
        status=status,
        assignee=agent,
        machine_id=str(MACHINE_ID),
        machine_model="V4.0",
        machine_snapshot={
            "machine": {
                "id": str(MACHINE_ID),
                "name": "Kvitholmen Rig 1",
                "model_type": "V4.0",
                "serial_number": "AB40-2023-0117",
                "status": "active",
                "location": "Kvitholmen site, Nordfjord",
                "organization_name": "Nordfjord Salmon AS",
            },
            "hours": {"value": 1180.0, "recorded_date": "2026-11-21T08:00:00+00:00"},
            "maintenance": [
                {"description": "500-hour service", "parts": [{"part_number": "AB-HF-2210", "name": "Return filter"}]}
            ],
        },
        transcript=[
            {"role": role, "content": content, "created_at": f"2026-11-24T08:0{i}:00+00:00"}
            for i, (role, content) in enumerate(TRANSCRIPT)
        ],
        attempted_steps=STEPS,
        assessment="Likely causes: a worn high-pressure seal or a blocked inlet filter (fault P-206).",
        operator_notes="Please call Nikos on +30 691 234 5678, machine is down.",
        contact_preference="phone +30 691 234 5678",
    )
    if fields:
        for name, value in fields.items():
            setattr(ticket, name, value)
        ticket.save(update_fields=list(fields))
    for text in notes:
        TicketNote.objects.create(ticket=ticket, author=agent, text=text)
    return ticket


def document_text(document: Document) -> str:
    pages = " ".join(Page.objects.filter(document=document).values_list("text", flat=True))
    chunks = " ".join(Chunk.objects.filter(document=document).values_list("text", flat=True))
    sections = " ".join(Chunk.objects.filter(document=document).values_list("section", flat=True))
    with document.file.open("rb") as fh:
        stored = fh.read().decode("utf-8")
    return "\n".join([document.title, pages, chunks, sections, stored])


def publish_and_ingest(ticket, actor, django_capture_on_commit_callbacks) -> Document:
    with django_capture_on_commit_callbacks() as callbacks:
        document = ticket_publish(ticket=ticket, actor=actor)
    # The ingestion task is enqueued after commit; here it runs in this process instead.
    assert len(callbacks) == 1
    knowledge_services.document_ingest(document_id=document.id)
    document.refresh_from_db()
    return document


# --- the document ----------------------------------------------------------------------------------
def test_published_case_is_a_resolved_case_document_without_personal_data(
    people, media_root, django_capture_on_commit_callbacks
):
    operator, agent = people
    ticket = make_ticket(operator, agent)

    document = publish_and_ingest(ticket, agent, django_capture_on_commit_callbacks)

    assert document.status == DocumentStatus.READY, document.error
    assert document.doc_type == DocumentType.RESOLVED_CASE
    assert document.title == "Resolved case AB-20261124-0003: High-pressure pump loses pressure"
    assert (document.machine_models, document.language, document.uploaded_by) == (["V4.0"], "en", agent)
    assert document.file_name == "resolved-case-AB-20261124-0003.md"
    assert Chunk.objects.filter(document=document).exists()

    text = document_text(document)
    leaked = [item for item in PERSONAL if item.lower() in text.lower()]
    assert not leaked, text
    missing = [item for item in TECHNICAL if item not in text]
    assert not missing, text
    # The sections, and what each holds.
    for label in ("Problem:", "What was tried:", "Resolution:", "Conversation excerpt:"):
        assert f"\n{label}" in text or f"\n\n{label}" in text
    assert "Machine model: AutoBoss V4.0." in text
    assert "Check the inlet filter for blockage and clean it. Outcome: didn't work." in text
    assert "we replaced it with seal kit AB-4021-17" in text
    assert "[phone]" in text and "[name]" in text and "[machine]" in text


def test_failed_steps_do_not_become_a_troubleshooting_procedure(people, media_root, django_capture_on_commit_callbacks):
    operator, agent = people
    document = publish_and_ingest(make_ticket(operator, agent), agent, django_capture_on_commit_callbacks)
    assert document.status == DocumentStatus.READY
    assert not Procedure.objects.filter(document=document).exists()


def test_publishing_records_the_event_and_links_the_ticket(people, media_root, django_capture_on_commit_callbacks):
    operator, agent = people
    ticket = make_ticket(operator, agent)
    with django_capture_on_commit_callbacks():
        document = ticket_publish(ticket=ticket, actor=agent)
    assert document.status == DocumentStatus.QUEUED  # ingestion runs in the worker
    ticket.refresh_from_db()
    assert ticket.published_document_id == document.id
    event = TicketEvent.objects.get(ticket=ticket, kind="published")
    assert (event.actor, event.to_value) == (agent, str(document.id))


def test_resolution_falls_back_to_the_step_that_worked(people, media_root):
    operator, agent = people
    ticket = make_ticket(operator, agent, notes=())
    ticket.attempted_steps = [
        *STEPS,
        {
            **STEPS[0],
            "number": 3,
            "instruction": "Replace the nozzle set if the nozzles are worn.",
            "outcome": "worked",
        },
    ]
    ticket.save(update_fields=["attempted_steps"])
    case = resolved_case_render(ticket=ticket)
    resolution = case.markdown.split("\nResolution:", 1)[1].split("\nConversation excerpt:", 1)[0]
    assert "The step that worked: Replace the nozzle set if the nozzles are worn." in resolution


def test_resolution_text_of_the_agent_comes_first_and_is_redacted(people, media_root):
    operator, agent = people
    ticket = make_ticket(operator, agent, notes=("Waiting for the parts.", RESOLUTION_NOTE))
    case = resolved_case_render(ticket=ticket, resolution="Seal HP-SEAL-22 replaced; Nikos confirmed 180 bar.")
    resolution = case.markdown.split("\nResolution:", 1)[1].split("\nConversation excerpt:", 1)[0]
    assert resolution.index("Seal HP-SEAL-22 replaced; [name] confirmed 180 bar.") < resolution.index("Waiting")
    assert "nikos" not in case.markdown.lower()


def test_title_falls_back_to_the_operators_first_message(people, media_root):
    operator, agent = people
    ticket = make_ticket(operator, agent)
    ticket.attempted_steps = []
    ticket.transcript = [{"role": "user", "content": "Nikos here: the rotor of the rig does not turn at all " * 3}]
    ticket.save(update_fields=["attempted_steps", "transcript"])
    title = resolved_case_render(ticket=ticket).title
    assert title.startswith("Resolved case AB-20261124-0003: [name] here: the rotor of the rig does not turn")
    assert title.endswith("…") and len(title) < 130


# --- search --------------------------------------------------------------------------------------
CAMERA_CASE = {
    "transcript": [
        {"role": "user", "content": "The camera picture on the control box monitor went black this morning."},
        {"role": "assistant", "content": "Check the camera cable connector at the rig."},
    ],
    "attempted_steps": [
        {"number": 1, "instruction": "Check the camera cable connector at the rig.", "outcome": "didnt_work",
         "procedure_title": "Camera shows no picture", "page": 3, "document_title": "AutoBoss V4.0 Operator Manual"},
        {"number": 2, "instruction": "Restart the control box.", "outcome": "didnt_work",
         "procedure_title": "Camera shows no picture", "page": 3, "document_title": "AutoBoss V4.0 Operator Manual"},
    ],
    "assessment": "Likely causes: a damaged camera cable or water in the connector.",
}  # fmt: skip
CAMERA_NOTE = "Water had entered camera connector CC-1190; we replaced the connector and sealed it. Picture is back."


@pytest.fixture
def indexed_cases(people, media_root, tmp_path, django_capture_on_commit_callbacks):
    """The V4.0 manual (its pump section competes with the case) and two resolved cases, ingested."""
    from knowledge.tests.conftest import V40_PAGES, ingest_file
    from knowledge.tests.fixtures.ingestion_files import write_text_pdf

    operator, agent = people
    manual = ingest_file(write_text_pdf(tmp_path / "v40-manual.pdf", V40_PAGES), machine_models=["V4.0"], language="en")
    pump = publish_and_ingest(make_ticket(operator, agent), agent, django_capture_on_commit_callbacks)
    camera_ticket = make_ticket(operator, agent, number="AB-20261124-0007", notes=(CAMERA_NOTE,), **CAMERA_CASE)
    camera = publish_and_ingest(camera_ticket, agent, django_capture_on_commit_callbacks)
    assert {d.status for d in (manual, pump, camera)} == {DocumentStatus.READY}
    return pump, camera


def ranked_documents(query: str, language: str) -> list[int]:
    result = chunks_hybrid_search(query=query, k=5, machine_model="V4.0", language=language)
    assert not result.abstained
    return [hit.document_id for hit in result.results]


@pytest.mark.parametrize(
    ("query", "language", "top"),
    [
        ("pump pressure keeps falling a few minutes into cleaning, worn seal suspected — how was it fixed?", "en", 1),
        ("η πίεση της αντλίας πέφτει μετά από λίγα λεπτά καθαρισμού, ποια τσιμούχα αλλάξατε;", "el", 2),
    ],
    ids=["paraphrase-en", "greek"],
)
def test_search_finds_the_resolved_case(indexed_cases, query, language, top):
    pump, camera = indexed_cases
    ranked = ranked_documents(query, language)
    assert pump.id in ranked[:top], ranked
    assert camera.id not in ranked or ranked.index(pump.id) < ranked.index(camera.id)


def test_search_tells_the_cases_apart(indexed_cases):
    pump, camera = indexed_cases
    ranked = ranked_documents("the video feed went dark; which part did support replace?", "en")
    assert ranked.index(camera.id) < ranked.index(pump.id), ranked


def test_case_of_one_model_is_not_found_for_the_other_model(indexed_cases):
    document, _ = indexed_cases
    hits = chunks_hybrid_search(query="pump pressure falls, worn seal HP-SEAL-22", k=10, machine_model="V3.1B").results
    assert document.id not in {hit.document_id for hit in hits}


# --- idempotency and refusals ----------------------------------------------------------------------
def test_publishing_twice_returns_the_same_document(people, media_root, django_capture_on_commit_callbacks):
    operator, agent = people
    ticket = make_ticket(operator, agent)
    with django_capture_on_commit_callbacks() as first_callbacks:
        first = ticket_publish(ticket=ticket, actor=agent)
    stale = Ticket.objects.get(pk=ticket.pk)
    stale.published_document = None  # a caller holding an old copy of the row: the lock re-reads it
    with django_capture_on_commit_callbacks() as second_callbacks:
        second = ticket_publish(ticket=stale, actor=agent)

    assert second.id == first.id and stale.published_document_id == first.id
    assert Document.objects.filter(doc_type=DocumentType.RESOLVED_CASE).count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind="published").count() == 1
    assert (len(first_callbacks), len(second_callbacks)) == (1, 0)  # ingestion queued once


def test_deleted_document_can_be_published_again(people, media_root, django_capture_on_commit_callbacks):
    operator, agent = people
    ticket = make_ticket(operator, agent)
    with django_capture_on_commit_callbacks():
        first = ticket_publish(ticket=ticket, actor=agent)
    knowledge_services.document_delete(document=first)  # "unpublish" in the knowledge admin
    ticket.refresh_from_db()
    assert ticket.published_document_id is None
    with django_capture_on_commit_callbacks():
        second = ticket_publish(ticket=ticket, actor=agent)
    assert second.id != first.id and Document.objects.filter(pk=second.pk).exists()


@pytest.mark.parametrize("status", [TicketStatus.OPEN, TicketStatus.IN_PROGRESS])
def test_unresolved_ticket_is_refused(people, media_root, status):
    operator, agent = people
    ticket = make_ticket(operator, agent, status=status)
    with pytest.raises(PublishRefused, match="only resolved or closed tickets"):
        ticket_publish(ticket=ticket, actor=agent)
    assert not Document.objects.exists()
    assert not TicketEvent.objects.filter(kind="published").exists()
    ticket.refresh_from_db()
    assert ticket.published_document_id is None


def test_closed_ticket_can_be_published(people, media_root, django_capture_on_commit_callbacks):
    operator, agent = people
    ticket = make_ticket(operator, agent, status=TicketStatus.CLOSED)
    with django_capture_on_commit_callbacks():
        document = ticket_publish(ticket=ticket, actor=agent)
    assert document.doc_type == DocumentType.RESOLVED_CASE


def test_status_is_checked_on_the_locked_row_not_the_callers_copy(people, media_root):
    operator, agent = people
    ticket = make_ticket(operator, agent)
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.IN_PROGRESS)  # reopened meanwhile
    assert ticket.status == TicketStatus.RESOLVED
    with pytest.raises(PublishRefused):
        ticket_publish(ticket=ticket, actor=agent)

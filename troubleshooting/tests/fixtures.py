"""A small V4.0 manual with troubleshooting procedures, ingested through the real pipeline."""

from __future__ import annotations

import pytest

# Page 2: a 6-step fault procedure; page 3: a 3-step one; page 4: technical data (a question about
# it is not a fault).
TROUBLESHOOTING_PAGES = [
    ["AutoBoss V4.0 Operator Manual", "Revision 5"],
    [
        "7. Pump loses pressure",
        "",
        "The pressure gauge falls below 150 bar during cleaning and the panel shows alarm P-206.",
        "",
        "WARNING: Stop the pump before opening any cover.",
        "",
        "1. Check the water inlet filter and clean it (approx. 5 min).",
        "2. Inspect the umbilical hose for leaks and kinks.",
        "3. Check the nozzle set for wear and replace worn nozzles (approx. 15 min).",
        "4. Check the drive belt tension of the pump. The belt should deflect about 10 mm.",
        "5. Replace the high-pressure valve seals (approx. 40 min).",
        "6. Adjust the pressure relief valve to 180 bar. The gauge should read 180 bar.",
    ],
    [
        "8. Rotor does not turn",
        "",
        "The rotor discs stay still although the pump runs.",
        "",
        "1. Check the rotor for rope or net fouling and remove it.",
        "2. Check the hydraulic coupling of the rotor motor.",
        "3. Restart the control box.",
    ],
    [
        "9. Technical data",
        "",
        "Tank capacity: 200 litres",
        "Weight of the cleaning head: 165 kg",
        "Operating pressure: 180 bar",
    ],
]


@pytest.fixture
def troubleshooting_manual(db, settings, tmp_path):
    from knowledge.tests.conftest import ingest_file
    from knowledge.tests.fixtures.ingestion_files import write_text_pdf
    from troubleshooting.matching import forget_procedure_vectors

    settings.MEDIA_ROOT = tmp_path / "media"
    forget_procedure_vectors()
    document = ingest_file(
        write_text_pdf(tmp_path / "v40-troubleshooting.pdf", TROUBLESHOOTING_PAGES),
        machine_models=["V4.0"],
        language="en",
    )
    assert document.status == "ready", document.error
    return document


# The manual's first three steps of "Pump loses pressure", in the manual's order.
PUMP_STEPS = [
    "Check the water inlet filter and clean it (approx. 5 min).",
    "Inspect the umbilical hose for leaks and kinks.",
    "Check the nozzle set for wear and replace worn nozzles (approx. 15 min).",
]


@pytest.fixture
def session_id(api, troubleshooting_manual):
    """A V4.0 conversation of the `api` operator, with troubleshooting_manual ingested."""
    response = api.post("/api/v1/sessions/", {"machine_model": "V4.0"}, content_type="application/json")
    assert response.status_code == 201
    return response.json()["id"]


def say(api, session_id, content, **extra) -> dict:
    """Post an operator message through the chat API; the assistant's reply."""
    response = api.post(
        f"/api/v1/sessions/{session_id}/messages/", {"content": content, **extra}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def answer(api, session_id, step_id, outcome, **extra) -> dict:
    """Answer a troubleshooting step through the step-feedback API; the assistant's reply."""
    response = api.post(
        f"/api/v1/sessions/{session_id}/steps/{step_id}/feedback/",
        {"outcome": outcome, **extra},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()

"""Helpers for knowledge tests: small real manuals, ingested through the real service."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files import File

from knowledge import services
from knowledge.models import Document
from knowledge.tests.fixtures.ingestion_files import require_dev_eval, write_text_pdf

# Two small manuals: a V4.0 one and a V3.1B one that share a topic, so filters can be tested.
V40_PAGES = [
    ["AutoBoss V4.0 Operator Manual", "Revision 3"],
    [
        "1. High-pressure pump loses pressure",
        "",
        "WARNING: Stop the diesel engine before opening the pump housing.",
        "",
        "The pump pressure drops below 150 bar during cleaning and the display shows code E-17.",
        "",
        "1. Check the inlet filter for blockage and clean it.",
        "2. Inspect the umbilical hose for leaks.",
        "3. Replace the nozzle set if the nozzles are worn.",
    ],
    [
        "2. Camera shows no picture",
        "",
        "The camera image is black on the control box monitor.",
        "",
        "1. Check the camera cable connector at the rig.",
        "2. Restart the control box.",
    ],
]
V31_PAGES = [
    ["AutoBoss V3.1B Service Manual", "Revision 7"],
    [
        "1. High-pressure pump loses pressure",
        "",
        "On the V3.1B the pressure relief valve sits on the left side of the pump.",
        "",
        "1. Adjust the pressure relief valve to 170 bar.",
        "2. Check the belt tension of the pump drive.",
    ],
]


def ingest_file(path: Path, **metadata) -> Document:
    """Upload (without the broker) and ingest in this process; returns the refreshed document."""
    with open(path, "rb") as fh:
        outcome = services.document_upload(uploaded_file=File(fh, name=path.name), enqueue=False, **metadata)
    services.document_ingest(document_id=outcome.document.id)
    outcome.document.refresh_from_db()
    return outcome.document


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def two_manuals(db, media_root, tmp_path):
    v40 = ingest_file(write_text_pdf(tmp_path / "v40-manual.pdf", V40_PAGES), machine_models=["V4.0"], language="en")
    v31 = ingest_file(write_text_pdf(tmp_path / "v31-manual.pdf", V31_PAGES), machine_models=["V3.1B"], language="en")
    return v40, v31


@pytest.fixture
def dev_eval_present() -> Path:
    """shared/dev-eval beside the repository: skipped without it locally, a failure in CI."""
    return require_dev_eval()

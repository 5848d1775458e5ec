"""A worker killed in the middle of an ingestion: the redelivered task completes without duplicates."""

from __future__ import annotations

import os
import signal

import pytest
from django.core.files import File

from conftest import celery_worker, wait_for
from knowledge import services
from knowledge.models import Chunk, Document, DocumentStatus
from knowledge.tasks import ingest_document
from knowledge.tests.fixtures.ingestion_files import write_text_pdf

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

PAGES = 48


def _manual_pages() -> list[list[str]]:
    pages = [["Long test manual"]]
    for number in range(1, PAGES):
        pages.append(
            [
                f"{number}. Fault number {number} of the pump unit",
                "",
                f"The pressure gauge shows reading {number * 3} bar when fault {number} occurs during net cleaning.",
                "",
                "1. Stop the pump and check the inlet filter.",
                f"2. Replace part AB-{1000 + number} if it is damaged.",
            ]
        )
    return pages


def test_killed_worker_mid_ingestion_is_redelivered_and_completes_once(
    test_database_url, redis_url, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = write_text_pdf(tmp_path / "long.pdf", _manual_pages())
    with open(path, "rb") as fh:
        document = services.document_upload(uploaded_file=File(fh, name=path.name), enqueue=False).document

    env = {
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        # Redelivery of an unacknowledged task after a worker died waits this long (Redis broker).
        "CELERY_VISIBILITY_TIMEOUT": "3",
        # Small batches make the first chunks land early, so the kill happens mid-document.
        "KNOWLEDGE_EMBED_BATCH": "4",
    }
    common = {"database_url": test_database_url, "broker_url": redis_url, "broker_dir": None, "log_dir": tmp_path}
    with celery_worker(**common, extra_env=env) as first:
        first.send(ingest_document, document_id=document.id)
        wait_for(
            lambda: Chunk.objects.filter(document_id=document.id).count() >= 4,
            timeout=120,
            message=f"the first chunks\n{first.log()}",
        )
        os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
        queue = first.queue

    document.refresh_from_db()
    assert document.status == DocumentStatus.PROCESSING
    partial = Chunk.objects.filter(document_id=document.id).count()
    assert partial > 0

    with celery_worker(**common, queue=queue, extra_env=env) as second:
        wait_for(
            lambda: Document.objects.filter(id=document.id, status=DocumentStatus.READY).exists(),
            timeout=180,
            message=f"the redelivered task to finish\n{second.log()}",
        )
    ordinals = list(Chunk.objects.filter(document_id=document.id).values_list("ordinal", flat=True))
    assert sorted(ordinals) == list(range(len(ordinals)))  # no duplicates, no gaps
    assert len(ordinals) >= PAGES - 1  # every fault section is there
    assert len(ordinals) > partial
    document.refresh_from_db()
    assert document.pages_done == PAGES and document.attempts == 2

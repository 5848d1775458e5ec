"""The knowledge-base admin: upload, list with progress, document contents, actions, permissions,
procedures with their steps, and the search-test page — all through real admin HTTP requests."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from knowledge import services
from knowledge.embeddings import get_embedder
from knowledge.models import Chunk, Document, DocumentStatus, Page, Procedure, ProcedureStep
from knowledge.permissions import KNOWLEDGE_EDITORS_GROUP

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:knowledge_document_changelist")
ADD = reverse("admin:knowledge_document_add")
SEARCH_TEST = reverse("admin:knowledge_document_search_test")

MANUAL_MD = b"""# AutoBoss V4.0 pump manual

## Pressure loss

1. Stop the machine and wait until the pump has cooled down.
2. Check the inlet filter for blockage and clean it.
3. Restart and read the pressure gauge: it should show 150 bar.
"""


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("staffer", password="pw", is_staff=True)
    client.force_login(user)
    return client


@pytest.fixture
def editor(django_user_model):
    user = django_user_model.objects.create_user("editor", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=KNOWLEDGE_EDITORS_GROUP))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def make_document(title: str = "Pump manual", **fields) -> Document:
    content = fields.pop("content", title.encode() + b" content")
    defaults = {
        "file": SimpleUploadedFile(f"{title}.md", content),
        "file_name": f"{title}.md",
        "content_type": "markdown",
        "size_bytes": len(content),
        "content_sha256": hashlib.sha256(content).hexdigest(),
    }
    return Document.objects.create(title=title, **{**defaults, **fields})


def make_chunks(document: Document, texts: list[tuple[str, str, int]], *, embed: bool = False) -> list[Chunk]:
    """Chunks (section, text, page) as ingestion would store them; embedded and indexed when asked."""
    vectors = get_embedder().embed_passages([f"{document.title} — {s}\n{t}" for s, t, _p in texts]) if embed else None
    chunks = Chunk.objects.bulk_create(
        Chunk(
            document=document,
            ordinal=i,
            section=section,
            page_start=page,
            page_end=page,
            language="en",
            text=text,
            embedding=vectors[i] if vectors is not None else None,
        )
        for i, (section, text, page) in enumerate(texts)
    )
    if embed:
        with connection.cursor() as cursor:
            for chunk in chunks:
                cursor.execute(
                    "UPDATE knowledge_chunk SET search_vector = to_tsvector('english', section || ' ' || text) "
                    "WHERE id = %s",
                    [chunk.id],
                )
    return chunks


def upload(client, content: bytes, name: str = "pump.md", **fields):
    data = {"title": "", "doc_type": "manual", "machine_models": "", "language": "", "revision": "", **fields}
    return client.post(ADD, {**data, "file": SimpleUploadedFile(name, content)})


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- the editors group --------------------------------------------------------------------------


def test_migration_creates_editors_group_with_every_knowledge_permission():
    group = Group.objects.get(name=KNOWLEDGE_EDITORS_GROUP)
    codenames = set(group.permissions.filter(content_type__app_label="knowledge").values_list("codename", flat=True))
    for model in ("document", "page", "chunk", "procedure", "procedurestep"):
        for action in ("add", "change", "delete", "view"):
            assert f"{action}_{model}" in codenames


# -- the document list --------------------------------------------------------------------------


def test_changelist_shows_status_badge_progress_bar_and_chunk_count(admin_client):
    document = make_document(status=DocumentStatus.PROCESSING, pages_total=40, pages_done=10)
    make_chunks(document, [("Intro", "text", 1), ("Safety", "text", 2), ("Pump", "text", 3)])
    make_document("Quick guide", status=DocumentStatus.FAILED, error="The PDF is encrypted.")

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert '<progress class="kb-progress' in html
    assert 'max="100" value="25"' in html and "10/40 · 25%" in html
    assert '<span class="kb-badge kb-processing"' in html
    assert 'class="kb-badge kb-failed" title="The PDF is encrypted."' in html
    assert '<td class="field-chunk_count">3</td>' in html
    assert '<td class="field-chunk_count">0</td>' in html
    assert f'href="{SEARCH_TEST}"' in html
    assert "Upload document" in html


def test_changelist_queries_do_not_grow_with_the_number_of_documents(admin_client, django_assert_max_num_queries):
    for i in range(2):
        make_chunks(make_document(f"Manual {i}"), [("A", "a", 1), ("B", "b", 2)])
    with CaptureQueriesContext(connection) as baseline:
        assert admin_client.get(CHANGELIST).status_code == 200

    for i in range(2, 30):
        make_chunks(make_document(f"Manual {i}"), [("A", "a", 1), ("B", "b", 2)])
    with django_assert_max_num_queries(len(baseline)):
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert response.content.decode().count('<td class="field-chunk_count">2</td>') == 30


# -- upload -------------------------------------------------------------------------------------


def test_upload_form_stores_the_file_and_queues_ingestion(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(
            admin_client, MANUAL_MD, title="Pump manual", machine_models="v4.0", language="en", revision="Rev 2"
        )

    assert response.status_code == 302
    assert response.url == CHANGELIST
    document = Document.objects.get()
    assert (document.title, document.machine_models, document.language, document.revision) == (
        "Pump manual",
        ["V4.0"],
        "en",
        "Rev 2",
    )
    assert document.status == DocumentStatus.QUEUED
    assert document.content_sha256 == hashlib.sha256(MANUAL_MD).hexdigest()
    assert Path(document.file.path).read_bytes() == MANUAL_MD
    assert len(callbacks) == 1  # the ingestion task, published once the upload is committed
    assert any("queued for ingestion" in m for m in message_texts(response))


def test_upload_of_identical_content_redirects_to_the_existing_document(admin_client):
    upload(admin_client, MANUAL_MD, title="Pump manual")
    first = Document.objects.get()

    response = upload(admin_client, MANUAL_MD, name="copy.md", title="Another title")

    assert response.status_code == 302
    assert response.url == reverse("admin:knowledge_document_change", args=[first.pk])
    assert Document.objects.count() == 1
    assert any("already uploaded" in m for m in message_texts(response))


def test_broken_pdf_is_refused_with_its_reason_on_the_form(admin_client):
    broken = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R"  # truncated mid-object
    with pytest.raises(services.UploadRejected) as rejected:
        services.document_upload(uploaded_file=SimpleUploadedFile("manual.pdf", broken), enqueue=False)

    response = upload(admin_client, broken, name="manual.pdf", title="Broken manual")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["file"] == [rejected.value.reason]
    assert escape(rejected.value.reason) in response.content.decode()
    assert 'class="errornote"' in response.content.decode()
    assert not Document.objects.exists()


def test_invalid_machine_model_is_a_form_error(admin_client):
    response = upload(admin_client, MANUAL_MD, machine_models="V4.0, banana")

    assert response.status_code == 200
    assert "machine_models" in response.context["adminform"].form.errors
    assert not Document.objects.exists()


# -- permissions --------------------------------------------------------------------------------


def test_staff_outside_the_editors_group_can_view_but_not_change(staff_client):
    document = make_document(status=DocumentStatus.READY, pages_total=2, pages_done=2)
    procedure = Procedure.objects.create(title="Pressure loss", symptom="Low pressure")
    change_url = reverse("admin:knowledge_document_change", args=[document.pk])

    changelist = staff_client.get(CHANGELIST)
    assert changelist.status_code == 200
    assert document.title in changelist.content.decode()
    assert "Upload document" not in changelist.content.decode()
    assert 'name="action"' not in changelist.content.decode()  # neither re-ingest nor delete
    assert staff_client.get(change_url).status_code == 200
    assert staff_client.get(reverse("admin:knowledge_procedure_change", args=[procedure.pk])).status_code == 200

    assert staff_client.get(ADD).status_code == 403
    assert upload(staff_client, MANUAL_MD).status_code == 403
    assert staff_client.get(reverse("admin:knowledge_document_delete", args=[document.pk])).status_code == 403
    assert staff_client.post(reverse("admin:knowledge_document_reingest", args=[document.pk])).status_code == 403
    assert staff_client.get(reverse("admin:knowledge_procedure_add")).status_code == 403
    response = staff_client.post(
        reverse("admin:knowledge_procedure_change", args=[procedure.pk]), {"title": "Renamed", "symptom": "x"}
    )
    assert response.status_code == 403
    assert Document.objects.count() == 1
    procedure.refresh_from_db()
    assert procedure.title == "Pressure loss"


def test_editor_can_upload(editor_client, editor):
    assert editor_client.get(ADD).status_code == 200

    response = upload(editor_client, MANUAL_MD, title="Pump manual")

    assert response.status_code == 302
    assert Document.objects.get().uploaded_by == editor


def test_users_who_are_not_staff_are_sent_to_the_login_page(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("operator", password="pw"))
    for url in (CHANGELIST, SEARCH_TEST + "?q=pump"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


# -- the document page --------------------------------------------------------------------------


def test_document_page_shows_metadata_and_paginated_chunks_and_pages(admin_client, django_assert_max_num_queries):
    document = make_document(status=DocumentStatus.READY, pages_total=3, pages_done=3)
    make_chunks(document, [(f"Section {i:03d}", "x" * 500, 1 + i // 50) for i in range(120)])
    Page.objects.bulk_create(Page(document=document, number=n, text=f"Text of page {n}") for n in (1, 2, 3))
    url = reverse("admin:knowledge_document_change", args=[document.pk])

    with django_assert_max_num_queries(25):
        response = admin_client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert document.content_sha256 in html
    assert "Chunks (120)" in html and "Pages (3)" in html
    assert "Section 049" in html and "Section 050" not in html
    assert "Showing 1–50 of 120" in html
    assert "x" * 300 + "…" in html and "x" * 301 not in html  # excerpts, not whole chunks
    assert "Text of page 3" in html
    assert 'name="_save"' not in html  # nothing on this page is edited in place
    assert reverse("admin:knowledge_document_file", args=[document.pk]) in html

    last = admin_client.get(url, {"chunks_page": 3}).content.decode()
    assert "Section 119" in last and "Section 049" not in last
    assert "Showing 101–120 of 120" in last


def test_staff_download_the_original_file_as_an_attachment(staff_client):
    document = make_document(content=b"<html><script>alert(1)</script></html>")

    response = staff_client.get(reverse("admin:knowledge_document_file", args=[document.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == b"<html><script>alert(1)</script></html>"


# -- actions ------------------------------------------------------------------------------------


def test_reingest_action_requeues_documents_but_not_superseded_ones(admin_client, django_capture_on_commit_callbacks):
    failed = make_document("Failed", status=DocumentStatus.FAILED, error="boom", error_code="corrupt", attempts=3)
    old = make_document("Old revision", status=DocumentStatus.SUPERSEDED)

    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(
            CHANGELIST, {"action": "reingest_selected", "_selected_action": [failed.pk, old.pk]}
        )

    assert response.status_code == 302
    failed.refresh_from_db()
    old.refresh_from_db()
    assert (failed.status, failed.error, failed.attempts) == (DocumentStatus.QUEUED, "", 0)
    assert old.status == DocumentStatus.SUPERSEDED
    assert len(callbacks) == 1
    texts = message_texts(response)
    assert any("1 document was queued" in m for m in texts)
    assert any("Old revision" in m for m in texts)


def test_delete_action_removes_documents_their_rows_and_files(admin_client, django_capture_on_commit_callbacks):
    document = make_document()
    make_chunks(document, [("A", "a", 1), ("B", "b", 1)])
    keep = make_document("Keep me")
    path = Path(document.file.path)
    assert path.exists()
    data = {"action": "delete_selected", "_selected_action": [document.pk]}

    confirmation = admin_client.post(CHANGELIST, data)
    assert confirmation.status_code == 200
    assert "Chunks: 2" in confirmation.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(CHANGELIST, {**data, "post": "yes"})

    assert response.status_code == 302
    assert list(Document.objects.all()) == [keep]
    assert not Chunk.objects.exists()
    assert not path.exists()
    assert Path(keep.file.path).exists()


def test_delete_from_the_document_page_removes_the_file(editor_client, django_capture_on_commit_callbacks):
    document = make_document()
    path = Path(document.file.path)
    url = reverse("admin:knowledge_document_delete", args=[document.pk])
    assert editor_client.get(url).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Document.objects.exists()
    assert not path.exists()


# -- procedures ---------------------------------------------------------------------------------


def steps_formset(steps: list[dict], *, initial: int = 0) -> dict:
    data = {
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": str(initial),
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for i, step in enumerate(steps):
        for key, value in step.items():
            data[f"steps-{i}-{key}"] = value
    return data


def test_editor_writes_a_procedure_with_ordered_steps_and_reorders_them(editor_client):
    procedure_fields = {
        "title": "Pressure loss",
        "symptom": "The gauge shows less than 100 bar",
        "machine_models": "v4.0",
        "language": "en",
        "is_active": "on",
        "origin": "expert",
    }
    response = editor_client.post(
        reverse("admin:knowledge_procedure_add"),
        {
            **procedure_fields,
            **steps_formset(
                [
                    {"order": "1", "instruction": "Stop the machine.", "safety_warning": "Hot surfaces."},
                    {"order": "2", "instruction": "Clean the inlet filter.", "estimated_minutes": "10"},
                ]
            ),
        },
    )
    assert response.status_code == 302, response.context["errors"] if response.context else response
    procedure = Procedure.objects.get()
    assert procedure.machine_models == ["V4.0"]
    first, second = procedure.steps.order_by("order")
    assert (first.instruction, first.safety_warning) == ("Stop the machine.", "Hot surfaces.")
    assert second.estimated_minutes == 10

    change_url = reverse("admin:knowledge_procedure_change", args=[procedure.pk])
    page = editor_client.get(change_url).content.decode()
    assert "Stop the machine." in page and "Hot surfaces." in page
    assert 'id="add_id_document"' not in page and 'id="change_id_document"' not in page  # no popups
    swap = steps_formset(
        [
            {"id": str(first.pk), "procedure": str(procedure.pk), "order": "2", "instruction": first.instruction},
            {"id": str(second.pk), "procedure": str(procedure.pk), "order": "1", "instruction": second.instruction},
        ],
        initial=2,
    )
    response = editor_client.post(change_url, {**procedure_fields, **swap})
    assert response.status_code == 302
    assert list(procedure.steps.order_by("order").values_list("instruction", flat=True)) == [
        "Clean the inlet filter.",
        "Stop the machine.",
    ]

    duplicate = {**swap, "steps-1-order": "2"}
    response = editor_client.post(change_url, {**procedure_fields, **duplicate})
    assert response.status_code == 200  # the formset refuses two steps numbered 2, no IntegrityError
    assert sorted(ProcedureStep.objects.values_list("order", flat=True)) == [1, 2]


def test_procedure_list_filters_and_counts_steps(admin_client):
    expert = Procedure.objects.create(title="Expert fix", symptom="noise", origin=Procedure.Origin.EXPERT)
    ProcedureStep.objects.bulk_create(ProcedureStep(procedure=expert, order=n, instruction="do") for n in (1, 2, 3))
    Procedure.objects.create(title="Extracted fix", symptom="leak", origin=Procedure.Origin.EXTRACTED)

    response = admin_client.get(reverse("admin:knowledge_procedure_changelist"), {"origin__exact": "expert"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Expert fix" in html and "Extracted fix" not in html
    assert '<td class="field-step_count">3</td>' in html


# -- search test --------------------------------------------------------------------------------


@pytest.fixture
def indexed_manual() -> tuple[Document, list[Chunk]]:
    document = make_document("AutoBoss V4.0 manual", status=DocumentStatus.READY, pages_total=12, pages_done=12)
    chunks = make_chunks(
        document,
        [
            (
                "Hydraulic pump pressure loss",
                "If the pump pressure drops, clean the inlet filter and check the seals.",
                7,
            ),
            ("Changing the brushes", "Replace the rotating brushes every 500 operating hours.", 9),
            ("Cleaning the <drum> & sensors", "Wipe the <script>alert(1)</script> sensor window weekly.", 11),
        ],
        embed=True,
    )
    return document, chunks


def test_search_test_page_ranks_chunks_with_scores_and_pages(staff_client, indexed_manual):
    document, chunks = indexed_manual

    response = staff_client.get(SEARCH_TEST, {"q": "the pump pressure drops", "k": "2", "mode": "hybrid"})

    assert response.status_code == 200
    result = response.context["result"]
    assert [hit.chunk_id for hit in result.results][:1] == [chunks[0].id]
    assert len(result.results) == 2
    top = result.results[0]
    assert top.vector_similarity is not None and top.concept_score is not None
    html = response.content.decode()
    assert '<td class="kb-section">Hydraulic pump pressure loss</td>' in html
    assert '<td class="kb-pages">p. 7</td>' in html
    assert f"{result.took_ms} ms" in html
    assert str(top.score) in html
    assert ("Abstained" if result.abstained else "Answered") in html
    assert reverse("admin:knowledge_document_change", args=[document.pk]) in html


def test_search_test_page_escapes_what_manuals_contain(staff_client, indexed_manual):
    response = staff_client.get(SEARCH_TEST, {"q": "sensor window", "k": "5", "mode": "text"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Cleaning the &lt;drum&gt; &amp; sensors" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


def test_search_test_page_validates_its_form(staff_client, indexed_manual):
    empty = staff_client.get(SEARCH_TEST)
    assert empty.status_code == 200
    assert empty.context["result"] is None

    response = staff_client.get(SEARCH_TEST, {"q": "pump", "k": "500", "mode": "hybrid", "machine_model": "banana"})

    assert response.status_code == 200
    assert response.context["result"] is None
    assert set(response.context["form"].errors) == {"k", "machine_model"}

"""GET /api/v1/knowledge/documents/{id}/pages/{n}/: the page a citation opens (issue 14)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from assistant.auth.services import demo_token_issue
from knowledge.models import Document, DocumentStatus
from knowledge.tests.conftest import ingest_file

pytestmark = pytest.mark.django_db


def url(document_id: int, number: int) -> str:
    return f"/api/v1/knowledge/documents/{document_id}/pages/{number}/"


@pytest.fixture
def operator(django_user_model):
    return django_user_model.objects.create_user("operator", password="pw-operator-123")


def test_a_pdf_page_is_served_as_a_one_page_pdf_with_a_bearer_token(client, operator, two_manuals):
    v40, _ = two_manuals
    token = demo_token_issue(username=operator.username)
    response = client.get(url(v40.id, 2), HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="v40-manual-p2.pdf"'
    assert response["Cache-Control"] == "private, max-age=3600"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "High-pressure pump loses pressure" in text and "Camera" not in text  # page 2, not 3


def test_session_auth_works_too_and_the_last_page_is_in_bounds(client, operator, two_manuals):
    v40, _ = two_manuals
    client.force_login(operator)
    response = client.get(url(v40.id, 3))
    assert response.status_code == 200
    assert "Camera shows no picture" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_a_text_document_page_is_served_as_text(client, operator, db, media_root, tmp_path):
    path = tmp_path / "guide.md"
    path.write_text("# Quick guide\n\nClean the inlet filter <b>weekly</b>.\n", encoding="utf-8")
    document = ingest_file(path, language="en")
    assert document.status == DocumentStatus.READY
    client.force_login(operator)
    response = client.get(url(document.id, 1))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="guide-p1.txt"'
    # Served as text with nosniff: markup in a manual cannot run in the reader's browser.
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Clean the inlet filter <b>weekly</b>." in response.content.decode()


def test_authentication_is_required(client, two_manuals):
    v40, _ = two_manuals
    response = client.get(url(v40.id, 1))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["error"]["code"] == "not_authenticated"
    response = client.get(url(v40.id, 1), HTTP_AUTHORIZATION="Bearer not-a-token")
    assert response.status_code == 401


@pytest.mark.parametrize("status", [DocumentStatus.QUEUED, DocumentStatus.PROCESSING, DocumentStatus.FAILED,
                                    DocumentStatus.SUPERSEDED])  # fmt: skip
def test_only_ready_documents_are_served(client, operator, two_manuals, status):
    v40, _ = two_manuals
    Document.objects.filter(id=v40.id).update(status=status)
    client.force_login(operator)
    response = client.get(url(v40.id, 1), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("number", [0, 4, 99999])
def test_a_page_out_of_bounds_is_a_json_404(client, operator, two_manuals, number):
    v40, _ = two_manuals
    client.force_login(operator)
    response = client.get(url(v40.id, number))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_unknown_document_or_a_malformed_page_is_a_json_404(client, operator, two_manuals):
    client.force_login(operator)
    missing = Document.objects.order_by("-id").first().id + 1
    for path in (url(missing, 1), f"/api/v1/knowledge/documents/{missing}/pages/-1/",
                 "/api/v1/knowledge/documents/1/pages/..%2F..%2Fsettings.py/"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_the_page_endpoint_is_in_the_openapi_schema(client, operator):
    client.force_login(operator)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    operation = response.json()["paths"]["/api/v1/knowledge/documents/{document_id}/pages/{number}/"]["get"]
    assert operation["operationId"] == "knowledge_document_page"
    assert set(operation["responses"]["200"]["content"]) == {"application/pdf", "text/plain"}

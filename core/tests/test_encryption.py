"""Encryption at rest (issue 13): what people typed is unreadable in the database itself, readable
through the models, survives a key rotation done while rows keep coming, and production refuses to
start without a key."""

from __future__ import annotations

import json
import stat

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from analytics.models import MessageFeedback
from assistant.auth.services import demo_token_issue
from assistant.models import Message
from core import encryption
from core.checks import check_field_encryption_keys
from escalations.models import Ticket

pytestmark = pytest.mark.django_db

# Words no redaction rule removes (a phone number would be redacted before it is stored at all).
SECRET_WORDS = ["Kristiansund", "fjord-side cage 7", "my cousin Ingrid", "behind the old feed barge"]


@pytest.fixture(autouse=True)
def _fresh_keys():
    encryption.forget_keys()
    yield
    encryption.forget_keys()


def _raw_text(table: str) -> str:
    """Every value of every column of `table`, read with SQL, as one string."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT row_to_json(t)::text FROM "{table}" t')
        return "\n".join(row[0] for row in cursor.fetchall())


def _talk(client, django_user_model):
    user = django_user_model.objects.create_user("ingrid", email="ingrid@example.com")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {demo_token_issue(username=user.username)}"}

    def post(path, body):
        response = client.post(path, json.dumps(body), content_type="application/json", **headers)
        assert response.status_code in (200, 201), response.content
        return response.json()

    session = post("/api/v1/sessions/", {"language": "en"})
    reply = post(
        f"/api/v1/sessions/{session['id']}/messages/",
        {"content": f"The net cleaner stops at {SECRET_WORDS[0]}, {SECRET_WORDS[1]}"},
    )
    post(f"/api/v1/messages/{reply['id']}/feedback/", {"rating": "down", "correction": SECRET_WORDS[2]})
    post(f"/api/v1/sessions/{session['id']}/escalate/", {"notes": f"Meet me {SECRET_WORDS[3]}"})
    return session["id"]


def test_nothing_typed_is_readable_in_the_database_but_everything_through_the_models(client, django_user_model):
    session_id = _talk(client, django_user_model)

    for table in [
        "assistant_message", "assistant_chatsession", "analytics_messagefeedback", "escalations_ticket",
        "escalations_emaildelivery", "troubleshooting_troubleshootingrun",
    ]:  # fmt: skip
        raw = _raw_text(table)
        for words in SECRET_WORDS:
            assert words not in raw, (table, words)

    messages = Message.objects.filter(session_id=session_id).order_by("seq")
    assert SECRET_WORDS[0] in messages[0].content
    assert MessageFeedback.objects.get().correction == SECRET_WORDS[2]
    ticket = Ticket.objects.get(session_id=session_id)
    assert SECRET_WORDS[3] in ticket.operator_notes
    assert any(SECRET_WORDS[0] in turn["content"] for turn in ticket.transcript)
    # Only what people typed is encrypted: the ticket number and status stay searchable.
    assert ticket.number in _raw_text("escalations_ticket") and Ticket.objects.filter(number=ticket.number).exists()


def test_a_rotation_re_encrypts_everything_and_the_old_key_can_go(client, django_user_model, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    encryption.forget_keys()
    session_id = _talk(client, django_user_model)
    before = _raw_text("assistant_message")

    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    encryption.forget_keys()
    call_command("rotate_encryption_key", "--batch", "2", stdout=_Capture())
    assert _raw_text("assistant_message") != before
    call_command("rotate_encryption_key", "--dry-run", stdout=(out := _Capture()))
    assert "would re-encrypt 0 value(s)" in out.text  # resumable: nothing left to do

    settings.FIELD_ENCRYPTION_KEYS = [new]
    encryption.forget_keys()
    assert SECRET_WORDS[0] in Message.objects.filter(session_id=session_id).order_by("seq")[0].content
    ticket = Ticket.objects.get(session_id=session_id)
    assert SECRET_WORDS[3] in ticket.operator_notes
    assert any(SECRET_WORDS[0] in turn["content"] for turn in ticket.transcript)  # an encrypted JSON field

    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    encryption.forget_keys()
    with pytest.raises(encryption.EncryptionKeyError, match="cannot be decrypted"):
        list(Message.objects.filter(session_id=session_id))


def test_production_needs_a_well_formed_key():
    with override_settings(ENVIRONMENT="production", FIELD_ENCRYPTION_KEYS=[]):
        assert [e.id for e in check_field_encryption_keys()] == ["core.E008"]
    with override_settings(ENVIRONMENT="production", FIELD_ENCRYPTION_KEYS=["not-a-key"]):
        assert [e.id for e in check_field_encryption_keys()] == ["core.E008"]
    with override_settings(ENVIRONMENT="production", FIELD_ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):
        assert check_field_encryption_keys() == []
    with override_settings(ENVIRONMENT="production", FIELD_ENCRYPTION_KEYS=[]):
        encryption.forget_keys()
        with pytest.raises(encryption.EncryptionKeyError, match="not set"):
            encryption.encrypt("x")


def test_the_embedded_default_generates_one_private_key_under_var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.FIELD_ENCRYPTION_KEYS = []
    token = encryption.encrypt("hello")
    key_file = tmp_path / encryption.KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    encryption.forget_keys()  # another process, the same file
    assert encryption.decrypt(token) == "hello"


class _Capture:
    def __init__(self):
        self.text = ""

    def write(self, value):
        self.text += value

    def flush(self):
        pass

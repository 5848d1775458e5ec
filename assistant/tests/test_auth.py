"""Bearer-token authentication (assistant/auth) through a real DRF view, and `manage.py demo_token`."""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from django.db import connection
from django.urls import path
from django.utils import timezone
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from assistant.auth import AuthenticatedIdentity, TokenBackend, TokenBackendUnavailable, get_token_backends
from assistant.auth.base import token_digest
from assistant.auth.services import api_token_create
from assistant.models import ApiToken
from conftest import REPO, child_env
from core.checks import check_provider_paths

BEARER = "assistant.auth.drf.BearerTokenAuthentication"
SESSION = "rest_framework.authentication.SessionAuthentication"
DEMO = "assistant.auth.demo.DemoTokenBackend"
HERE = __name__  # test backends below are configured by dotted path, like real ones

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class WhoAmIView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = []  # the throttles' cache reads would blur the pinned query counts

    # APIView copies DEFAULT_AUTHENTICATION_CLASSES into a class attribute at import time, out of
    # reach of the `settings` fixture; read it per request so the test runs the configured classes.
    @property
    def authentication_classes(self):
        return api_settings.DEFAULT_AUTHENTICATION_CLASSES

    def get(self, request):
        return Response({"username": request.user.get_username(), "source": getattr(request.auth, "source", None)})


urlpatterns = [path("whoami/", WhoAmIView.as_view())]


# --- test backends (configured through API_TOKEN_BACKENDS like any other) --------------------------
class StaticBackend(TokenBackend):
    """Knows a fixed token → username map; counts how often it consulted its "store"."""

    source = "static"

    def __init__(self, *, alias: str, tokens: dict[str, str], cache_seconds: float = 0) -> None:
        super().__init__(alias=alias, cache_seconds=cache_seconds)
        self.tokens = tokens
        self.loads = 0

    def authenticate_token(self, token: str) -> AuthenticatedIdentity | None:
        username = self.cached(token, lambda: self._load(token))
        if username is None:
            return None
        user = get_user_model().objects.get(username=username)
        return AuthenticatedIdentity(user=user, source=self.source, role="user")

    def _load(self, token: str) -> str | None:
        self.loads += 1
        return self.tokens.get(token)


class DownBackend(TokenBackend):
    source = "down"

    def authenticate_token(self, token: str) -> AuthenticatedIdentity | None:
        raise TokenBackendUnavailable("session store unreachable")


# --- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def bearer_api(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_AUTHENTICATION_CLASSES": [BEARER, SESSION]}
    settings.API_TOKEN_BACKENDS = {"demo": {"BACKEND": DEMO}}


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", password=None)


@pytest.fixture
def token(alice) -> str:
    return api_token_create(user=alice, name="test")[1]


def whoami(client, authorization: str | None = None):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    return client.get("/whoami/", **headers)


def assert_401(response, code: str) -> dict:
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    body = response.json()
    assert body["error"]["code"] == code
    assert "request_id" in body
    return body["error"]


# --- the DRF authentication class -------------------------------------------------------------------
@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_valid_token_authenticates_as_its_user(client, token, scheme):
    response = whoami(client, f"{scheme} {token}")
    assert response.status_code == 200
    assert response.json() == {"username": "alice", "source": "demo"}


def test_token_with_future_expiry_authenticates(client, alice):
    token = api_token_create(user=alice, expires_at=timezone.now() + timedelta(hours=1))[1]
    assert whoami(client, f"Bearer {token}").json()["username"] == "alice"


def test_missing_header_is_401_json_with_www_authenticate(client):
    error = assert_401(whoami(client), "not_authenticated")
    assert error["message"]


def test_django_session_login_still_works_behind_bearer(client, alice):
    client.force_login(alice)
    response = whoami(client)
    assert response.status_code == 200
    assert response.json() == {"username": "alice", "source": None}


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer {token} {token}", "Bearer {token} x", 'Bearer "{token}"', "Bearer {token}é"],
    ids=["no-token", "two-tokens", "trailing-word", "quoted", "non-ascii"],
)
def test_malformed_bearer_header_is_401_with_a_clear_message(client, token, header, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="assistant.auth.drf")
    error = assert_401(whoami(client, header.format(token=token)), "authentication_failed")
    # The operator reads a translated sentence; the precise reason goes to the log, without the token.
    assert error["message"] == "Please sign in again."
    assert "bearer authentication rejected" in caplog.text
    assert token not in caplog.text


def test_other_scheme_is_not_accepted_as_a_token(client, token):
    # Left to the other authentication classes (a proxy may add Basic); none accepts it here.
    assert_401(whoami(client, f"Basic {token}"), "not_authenticated")


def test_overlong_token_is_rejected_before_lookup(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert_401(whoami(client, "Bearer " + "a" * 513), "authentication_failed")


def _different(token: str) -> str:
    """The token with its first character changed: a random token may already start with "x"."""
    return ("y" if token.startswith("x") else "x") + token[1:]


def _unknown(alice, token):
    return _different(token)


def _revoked(alice, token):
    ApiToken.objects.filter(user=alice).update(revoked_at=timezone.now())
    return token


def _expired(alice, token):
    ApiToken.objects.filter(user=alice).update(expires_at=timezone.now() - timedelta(seconds=1))
    return token


def _inactive_user(alice, token):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    return token


@pytest.mark.parametrize("spoil", [_unknown, _revoked, _expired, _inactive_user])
def test_rejected_tokens_are_401(client, alice, token, spoil, caplog):
    assert whoami(client, f"Bearer {token}").status_code == 200  # the same token before
    bad = spoil(alice, token)
    error = assert_401(whoami(client, f"Bearer {bad}"), "authentication_failed")
    assert error["message"] == "Please sign in again."  # core.text.phrases "not_authenticated"
    assert token not in caplog.text


def test_token_is_stored_only_as_its_sha256(alice, token):
    row = ApiToken.objects.get(user=alice)
    assert row.token_hash == token_digest(token) and len(row.token_hash) == 64
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM assistant_apitoken WHERE id = %s", [row.pk])
        stored = repr(cursor.fetchone())
    assert token not in stored


def test_tokens_are_random_and_unique(alice):
    tokens = {api_token_create(user=alice)[1] for _ in range(5)}
    assert len(tokens) == 5 and all(len(t) >= 43 for t in tokens)


def test_last_used_at_is_written_at_most_once_a_minute(client, alice, token, django_assert_num_queries):
    row = ApiToken.objects.get(user=alice)
    assert row.last_used_at is None

    with django_assert_num_queries(2):  # lookup + last_used_at
        assert whoami(client, f"Bearer {token}").status_code == 200
    row.refresh_from_db()
    first_use = row.last_used_at
    assert first_use is not None

    with django_assert_num_queries(1):  # lookup only
        assert whoami(client, f"Bearer {token}").status_code == 200
    row.refresh_from_db()
    assert row.last_used_at == first_use

    ApiToken.objects.filter(pk=row.pk).update(last_used_at=first_use - timedelta(seconds=61))
    with django_assert_num_queries(2):
        assert whoami(client, f"Bearer {token}").status_code == 200
    row.refresh_from_db()
    assert row.last_used_at > first_use


def test_concurrent_stale_uses_write_last_used_at_once(alice, token):
    from assistant.auth.services import api_token_mark_used

    now = timezone.now()
    # Two requests loaded the row before either wrote it: only the first UPDATE matches.
    first, second = ApiToken.objects.get(user=alice), ApiToken.objects.get(user=alice)
    assert api_token_mark_used(api_token=first, now=now) is True
    assert api_token_mark_used(api_token=second, now=now + timedelta(seconds=1)) is False
    assert ApiToken.objects.get(user=alice).last_used_at == now


# --- pluggable backends -------------------------------------------------------------------------------
def test_backends_are_asked_in_settings_order(client, settings, alice, django_user_model):
    django_user_model.objects.create_user("bob", password=None)
    shared = "shared-token-known-to-both"
    ApiToken.objects.create(user=alice, token_hash=token_digest(shared))
    static = {"BACKEND": f"{HERE}.StaticBackend", "TOKENS": {shared: "bob", "static-only": "bob"}}

    settings.API_TOKEN_BACKENDS = {"static": static, "demo": {"BACKEND": DEMO}}
    assert whoami(client, f"Bearer {shared}").json() == {"username": "bob", "source": "static"}

    settings.API_TOKEN_BACKENDS = {"demo": {"BACKEND": DEMO}, "static": static}
    assert whoami(client, f"Bearer {shared}").json() == {"username": "alice", "source": "demo"}
    assert whoami(client, "Bearer static-only").json() == {"username": "bob", "source": "static"}


def test_no_backends_configured_rejects_every_token(client, settings, token):
    settings.API_TOKEN_BACKENDS = {}
    assert_401(whoami(client, f"Bearer {token}"), "authentication_failed")


def test_unavailable_backend_gives_503_not_401_unless_another_accepts(client, settings, token, caplog):
    settings.API_TOKEN_BACKENDS = {"down": {"BACKEND": f"{HERE}.DownBackend"}, "demo": {"BACKEND": DEMO}}
    assert whoami(client, f"Bearer {token}").json()["source"] == "demo"

    response = whoami(client, f"Bearer {_different(token)}")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "authentication_unavailable"
    assert "auth_backend_unavailable" in {getattr(r, "event", None) for r in caplog.records}
    assert token[1:] not in caplog.text


def test_cache_hook_keeps_positive_answers_only(client, settings, django_user_model):
    django_user_model.objects.create_user("bob", password=None)
    token = f"cached-{timezone.now().timestamp()}"  # fresh cache key even on a shared Redis
    settings.API_TOKEN_BACKENDS = {
        "static": {"BACKEND": f"{HERE}.StaticBackend", "TOKENS": {token: "bob"}, "CACHE_SECONDS": 30}
    }
    (backend,) = get_token_backends()
    try:
        for _ in range(3):
            assert whoami(client, f"Bearer {token}").json()["username"] == "bob"
        assert backend.loads == 1
        for _ in range(2):
            assert whoami(client, "Bearer unknown-token").status_code == 401
        assert backend.loads == 3  # a miss is asked again every time
        assert token not in backend.cache_key(token)
        backend.forget(token)
        whoami(client, f"Bearer {token}")
        assert backend.loads == 4
    finally:
        backend.forget(token)


# --- settings and system checks -------------------------------------------------------------------
def test_unimportable_backend_path_is_core_e003(settings):
    # As config/settings/providers.py lists it (once, whether or not it already does).
    settings.PROVIDER_SETTINGS = list(dict.fromkeys([*settings.PROVIDER_SETTINGS, "API_TOKEN_BACKENDS"]))
    settings.API_TOKEN_BACKENDS = {"demo": {"BACKEND": DEMO}}
    assert [e for e in check_provider_paths() if "API_TOKEN_BACKENDS" in e.msg] == []

    settings.API_TOKEN_BACKENDS = {"demo": {"BACKEND": DEMO}, "abparts": {"BACKEND": "assistant.auth.nope.Missing"}}
    errors = [e for e in check_provider_paths() if "API_TOKEN_BACKENDS" in e.msg]
    assert [(e.id, "['abparts']" in e.msg) for e in errors] == [("core.E003", True)]


def test_settings_module_enables_demo_tokens_unless_disabled(monkeypatch):
    import config.settings.auth as auth_settings

    try:
        monkeypatch.delenv("DEMO_TOKENS_ENABLED", raising=False)
        assert importlib.reload(auth_settings).API_TOKEN_BACKENDS == {"demo": {"BACKEND": DEMO}}
        monkeypatch.setenv("DEMO_TOKENS_ENABLED", "false")
        assert importlib.reload(auth_settings).API_TOKEN_BACKENDS == {}
    finally:
        monkeypatch.undo()
        importlib.reload(auth_settings)


# --- manage.py demo_token ---------------------------------------------------------------------------
def run_demo_token(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("demo_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_demo_token_prints_only_a_token_that_authenticates(client, alice):
    out, err = run_demo_token("alice")
    lines = out.splitlines()
    assert len(lines) == 1 and out == lines[0] + "\n"
    token = lines[0]
    assert err == ""
    assert whoami(client, f"Bearer {token}").json() == {"username": "alice", "source": "demo"}
    assert ApiToken.objects.get(user=alice).name == "demo_token"


def test_demo_token_create_staff_creates_a_passwordless_staff_user(client, django_user_model):
    out, _ = run_demo_token("carol", "--create", "--staff", "--name", "laptop", "--expires-days", "7")
    carol = django_user_model.objects.get(username="carol")
    assert carol.is_staff and carol.is_active and not carol.has_usable_password()
    row = ApiToken.objects.get(user=carol)
    assert row.name == "laptop"
    assert timedelta(days=6, hours=23) < row.expires_at - timezone.now() <= timedelta(days=7)
    assert whoami(client, f"Bearer {out.strip()}").json()["username"] == "carol"


def test_demo_token_staff_promotes_an_existing_user(alice):
    run_demo_token("alice", "--staff")
    alice.refresh_from_db()
    assert alice.is_staff


def test_demo_token_revoke_all_rotates(client, alice, token):
    out, _ = run_demo_token("alice", "--revoke-all")
    assert_401(whoami(client, f"Bearer {token}"), "authentication_failed")
    assert whoami(client, f"Bearer {out.strip()}").status_code == 200


def test_demo_token_unknown_user_fails_without_create(django_user_model):
    with pytest.raises(CommandError, match="does not exist"):
        run_demo_token("nobody")
    assert not django_user_model.objects.filter(username="nobody").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [(["alice", "--expires-days", "0"], "at least 1"), (["bad name!", "--create"], "Invalid username")],
)
def test_demo_token_rejects_bad_options(alice, args, message):
    with pytest.raises(CommandError, match=message):
        run_demo_token(*args)
    assert not ApiToken.objects.exists()


def test_demo_token_command_line_errors_go_to_stderr_with_exit_1(capsys):
    command = load_command_class("assistant", "demo_token")
    with pytest.raises(SystemExit) as exited:
        command.run_from_argv(["manage.py", "demo_token", "nobody"])
    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "nobody" in captured.err and "--create" in captured.err


def test_demo_token_warns_on_stderr_when_demo_backend_is_disabled(settings, alice):
    settings.API_TOKEN_BACKENDS = {}
    out, err = run_demo_token("alice")
    assert len(out.splitlines()) == 1
    assert "will not authenticate" in err


@pytest.mark.slow
def test_token_captured_from_a_real_manage_py_process_authenticates(client, test_database_url):
    # `TOKEN=$(manage.py demo_token dave --create)` with the local settings' INFO logging on stdout.
    env = child_env(DJANGO_SETTINGS_MODULE="config.settings.local", DATABASE_URL=test_database_url, LOG_LEVEL="INFO")
    result = subprocess.run(
        [sys.executable, "manage.py", "demo_token", "dave", "--create"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    assert whoami(client, f"Bearer {lines[0]}").json() == {"username": "dave", "source": "demo"}

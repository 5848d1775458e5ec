"""ABParts session tokens (assistant/auth/abparts.py) against the real local Redis, through a real DRF view.

ABParts' session records are written into a dedicated Redis database (db 7 of REDIS_URL's server) the
way ABParts writes them: `session:<token>` → JSON. ABParts' users table (preferred_language) is the
demo one in the `abparts` schema of the test database, read through the read-only `abparts` alias.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.urls import path
from django.utils import timezone
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from abparts import demo
from abparts.models import ABPartsAccount
from abparts.tests import fixtures as abparts_fixtures
from assistant.auth import get_token_backends
from assistant.auth.abparts import ABPartsSessionBackend
from config.settings.auth import api_token_backends
from conftest import free_port

BEARER = "assistant.auth.drf.BearerTokenAuthentication"
SESSION = "rest_framework.authentication.SessionAuthentication"
ABPARTS = "assistant.auth.abparts.ABPartsSessionBackend"
TEST_DB = 7  # ABParts' sessions live in db 0 of their Redis; ours get a database of their own

# The backend reads ABParts' users table through the `abparts` alias.
# ABParts' tables with the demo data (abparts/tests/fixtures.py).
abparts_writer = abparts_fixtures.abparts_writer
abparts_demo = abparts_fixtures.abparts_demo

pytestmark = [pytest.mark.django_db(databases=["default", "abparts"]), pytest.mark.urls(__name__), pytest.mark.redis]


class WhoAmIView(APIView):
    permission_classes = [IsAuthenticated]
    throttle_classes = []

    @property
    def authentication_classes(self):  # per request, so the `settings` fixture reaches it
        return api_settings.DEFAULT_AUTHENTICATION_CLASSES

    def get(self, request):
        identity = request.auth
        return Response(
            {
                "username": request.user.get_username(),
                "first_name": request.user.first_name,
                "source": identity.source,
                "abparts_user_id": str(identity.abparts_user_id),
                "organization_id": str(identity.organization_id),
                "role": identity.role,
                "preferred_language": identity.preferred_language,
            }
        )


urlpatterns = [path("whoami/", WhoAmIView.as_view())]


# --- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sessions_url(redis_url) -> str:
    parts = urlsplit(redis_url)
    return urlunsplit(parts._replace(path=f"/{TEST_DB}"))


@pytest.fixture
def store(sessions_url):
    """ABParts' session store; deletes what the test wrote."""
    client = redis.Redis.from_url(sessions_url, socket_timeout=2, socket_connect_timeout=2)
    written: list[str] = []
    client.written = written
    yield client
    if written:
        client.delete(*written)
    client.close()


@pytest.fixture
def configure(settings, sessions_url):
    """Point API_TOKEN_BACKENDS at the ABParts backend only (other options as keyword arguments)."""

    def configure(**options):
        conf = {"BACKEND": ABPARTS, "URL": sessions_url, "CACHE_SECONDS": 30}
        conf.update({key.upper(): value for key, value in options.items()})
        settings.API_TOKEN_BACKENDS = {"abparts": conf}
        return get_token_backends()[0]

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_AUTHENTICATION_CLASSES": [BEARER, SESSION]}
    configure()
    return configure


@pytest.fixture(autouse=True)
def forget_cached_sessions():
    """The Django cache outlives the test transaction: drop the cached answers of this test's tokens.

    (Not cache.clear(): with the Redis cache that would flush a database other processes share.)
    """
    tokens: list[str] = []
    yield tokens
    for token in tokens:
        cache.delete(f"auth:token:abparts:{_digest(token)}")


def _digest(token: str) -> str:
    from assistant.auth.base import token_digest

    return token_digest(token)


@pytest.fixture
def new_session(store, forget_cached_sessions):
    """Write a session record the way ABParts does; returns (token, record)."""

    def new_session(raw: str | bytes | None = None, **fields):
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        record = {
            "user_id": str(uuid.uuid4()),
            "username": "maria.operator",
            "organization_id": str(uuid.uuid4()),
            "role": "admin",
            "created_at": now.isoformat(),
            "last_activity": now.isoformat(),
            "expires_at": (now + timedelta(hours=8)).isoformat().replace("+00:00", "Z"),
            "ip_address": "10.0.0.5",
            "user_agent": "pytest",
            "is_active": True,
            **fields,
        }
        key = f"session:{token}"
        store.set(key, json.dumps(record) if raw is None else raw, ex=8 * 3600)
        store.written.append(key)
        forget_cached_sessions.append(token)
        return token, record

    return new_session


def whoami(client, token: str):
    return client.get("/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_401(response):
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "authentication_failed"


# --- accepted sessions ------------------------------------------------------------------------------
def test_valid_session_authenticates_as_a_local_mirror(client, configure, new_session):
    token, record = new_session()
    response = whoami(client, token)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body == {
        "username": f"abparts:{record['user_id']}",
        "first_name": "maria.operator",
        "source": "abparts",
        "abparts_user_id": record["user_id"],
        "organization_id": record["organization_id"],
        "role": "admin",
        "preferred_language": None,
    }
    user = get_user_model().objects.get(username=f"abparts:{record['user_id']}")
    assert not user.has_usable_password()
    assert not user.is_staff and not user.is_superuser and user.is_active


@pytest.mark.parametrize(
    "expires_at",
    [
        lambda t: t.isoformat().replace("+00:00", "Z"),
        lambda t: t.astimezone(timezone.get_fixed_timezone(180)).isoformat(),  # +03:00
        lambda t: t.replace(tzinfo=None).isoformat(),  # naive = UTC
    ],
    ids=["Z", "offset", "naive"],
)
def test_expires_at_formats(client, configure, new_session, settings, expires_at):
    settings.TIME_ZONE = "America/New_York"  # a naive time read as local time would move by hours
    now = datetime.now(UTC)
    valid, _ = new_session(expires_at=expires_at(now + timedelta(minutes=5)))
    assert whoami(client, valid).status_code == 200
    # Five minutes ago in the same notation must be rejected: the notation is parsed, not ignored.
    expired, _ = new_session(expires_at=expires_at(now - timedelta(minutes=5)))
    assert_401(whoami(client, expired))


def test_mirror_is_reused_and_follows_renames(client, configure, new_session):
    user_id = str(uuid.uuid4())
    first, _ = new_session(user_id=user_id)
    second, _ = new_session(user_id=user_id, username="maria.renamed", role="super_admin")
    assert whoami(client, first).status_code == 200
    response = whoami(client, second)
    assert response.json()["role"] == "super_admin"
    users = get_user_model().objects.filter(username__startswith="abparts:")
    assert users.count() == 1
    assert users.get().first_name == "maria.renamed"


def test_long_abparts_username_is_truncated(client, configure, new_session):
    token, _ = new_session(username="x" * 400)
    assert whoami(client, token).json()["first_name"] == "x" * 150


# --- rejected sessions ------------------------------------------------------------------------------
def test_expired_session_is_401_even_while_redis_keeps_it(client, configure, new_session):
    expired_at = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    token, _ = new_session(expires_at=expired_at)  # the key itself still has its TTL
    assert_401(whoami(client, token))


def test_inactive_session_is_401(client, configure, new_session):
    token, _ = new_session(is_active=False)
    assert_401(whoami(client, token))
    assert not get_user_model().objects.filter(username__startswith="abparts:").exists()


def test_unknown_token_is_401(client, configure, new_session):
    new_session()  # another session exists
    assert_401(whoami(client, secrets.token_urlsafe(32)))


@pytest.mark.parametrize(
    "raw",
    ["{not json", "[1, 2]", b"\xff\xfe{", "missing-field"],
    ids=["not-json", "not-an-object", "not-utf8", "missing-field"],
)
def test_malformed_record_is_401(client, configure, new_session, store, raw):
    if raw == "missing-field":
        token, record = new_session()
        del record["organization_id"]
        store.set(f"session:{token}", json.dumps(record))
    else:
        token, _ = new_session(raw=raw)
    assert_401(whoami(client, token))


@pytest.mark.parametrize(
    "fields",
    [{"role": "owner"}, {"user_id": "not-a-uuid"}, {"expires_at": "tomorrow"}, {"is_active": "true"}],
    ids=["role", "user_id", "expires_at", "is_active-string"],
)
def test_invalid_field_values_are_401(client, configure, new_session, fields):
    token, _ = new_session(**fields)
    assert_401(whoami(client, token))


def test_redis_down_is_503_not_401(client, configure, caplog):
    configure(url="redis://127.0.0.1:9/0", socket_timeout=0.5)
    token = secrets.token_urlsafe(32)
    response = whoami(client, token)
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "authentication_unavailable"
    assert token not in caplog.text


# --- local deactivation and caching -----------------------------------------------------------------
def test_locally_deactivated_mirror_is_rejected_even_while_cached(client, configure, new_session, store):
    token, record = new_session()
    assert whoami(client, token).status_code == 200
    store.delete(f"session:{token}")  # from now on only the cached record can answer
    user = get_user_model().objects.get(username=f"abparts:{record['user_id']}")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_401(whoami(client, token))
    user.is_active = True
    user.save(update_fields=["is_active"])
    assert whoami(client, token).status_code == 200  # the cache did serve it: the 401 was local


def test_positive_lookups_are_cached(client, configure, new_session, store):
    token, _ = new_session()
    assert whoami(client, token).status_code == 200
    store.delete(f"session:{token}")  # a logout in ABParts
    assert whoami(client, token).status_code == 200  # still within CACHE_SECONDS


def test_cache_seconds_zero_asks_redis_every_time(client, configure, new_session, store):
    configure(cache_seconds=0)
    token, _ = new_session()
    assert whoami(client, token).status_code == 200
    store.delete(f"session:{token}")
    assert_401(whoami(client, token))


def test_negative_answers_are_not_cached(client, configure, new_session, store):
    token = secrets.token_urlsafe(32)
    assert_401(whoami(client, token))
    token, record = new_session()  # a fresh token works at once ...
    assert whoami(client, token).status_code == 200
    inactive, _ = new_session(is_active=False)
    assert_401(whoami(client, inactive))
    store.set(f"session:{inactive}", json.dumps({**record, "is_active": True}))  # ... and so does a revived one
    assert whoami(client, inactive).status_code == 200


def test_session_expiring_while_cached_is_rejected(client, configure, new_session, store, monkeypatch):
    backend = configure(cache_seconds=3600)
    token, _ = new_session(expires_at=(datetime.now(UTC) + timedelta(minutes=1)).isoformat())
    assert whoami(client, token).status_code == 200
    store.delete(f"session:{token}")
    assert whoami(client, token).status_code == 200  # served from the cache
    later = timezone.now() + timedelta(minutes=2)
    monkeypatch.setattr("assistant.auth.abparts.timezone.now", lambda: later)
    assert_401(whoami(client, token))
    assert cache.get(backend.cache_key(token)) is None  # the stale record was dropped


def test_raw_token_never_logged(client, configure, new_session, caplog):
    caplog.set_level(logging.DEBUG)
    tokens = [new_session()[0], new_session(is_active=False)[0], new_session(raw="{")[0]]
    expired = new_session(expires_at="2000-01-01T00:00:00Z")[0]
    unknown = secrets.token_urlsafe(32)
    for token in [*tokens, expired, unknown]:
        whoami(client, token)
    assert "abparts session rejected" in caplog.text  # the rejections were logged ...
    for token in [*tokens, expired, unknown]:
        assert token not in caplog.text  # ... without the token
        assert all(token not in repr(r.__dict__) for r in caplog.records)


# --- configuration ----------------------------------------------------------------------------------
def test_settings_put_abparts_before_demo():
    backends = api_token_backends(demo_tokens=True, abparts_url="redis://abparts:6379/0", abparts_cache_seconds=5)
    assert list(backends) == ["abparts", "demo"]
    assert backends["abparts"] == {"BACKEND": ABPARTS, "URL": "redis://abparts:6379/0", "CACHE_SECONDS": 5}
    assert list(api_token_backends(demo_tokens=True, abparts_url="")) == ["demo"]


@pytest.mark.parametrize(
    "options", [{}, {"url": "redis://x/0", "cache_seconds": -1}, {"url": "redis://x/0", "socket_timeout": 0}]
)
def test_invalid_configuration_is_improperly_configured(settings, options):
    settings.API_TOKEN_BACKENDS = {"abparts": {"BACKEND": ABPARTS, **{k.upper(): v for k, v in options.items()}}}
    with pytest.raises(ImproperlyConfigured):
        get_token_backends()


def test_backend_takes_documented_arguments():
    backend = ABPartsSessionBackend("redis://127.0.0.1:6379/3", cache_seconds=12, socket_timeout=0.25)
    kwargs = backend.redis.connection_pool.connection_kwargs
    assert (kwargs["db"], kwargs["socket_timeout"], kwargs["socket_connect_timeout"]) == (3, 0.25, 0.25)
    assert backend.cache_seconds == 12 and backend.key_prefix == "session:" and backend.alias == "abparts"


# --- ABPartsAccount and preferred_language (ABParts' users table) ----------------------------------------
def _kari_session(new_session, **fields):
    kari = {"user_id": str(demo.USER_KARI), "username": "kari.nordmann", "organization_id": str(demo.ORG_NORDFJORD)}
    return new_session(**{**kari, "role": "user", **fields})


def test_preferred_language_comes_from_abparts_users_table(client, configure, new_session, abparts_demo):
    token, _ = _kari_session(new_session)
    body = whoami(client, token).json()
    # ABParts stores `no` for Norwegian Bokmål; the identity carries our code.
    assert body["preferred_language"] == "nb"
    assert (body["organization_id"], body["role"]) == (str(demo.ORG_NORDFJORD), "user")
    account = ABPartsAccount.objects.get(abparts_user_id=demo.USER_KARI)
    assert account.user.username == f"abparts:{demo.USER_KARI}"
    assert (account.organization_id, account.role, account.preferred_language) == (demo.ORG_NORDFJORD, "user", "nb")
    assert account.synced_at > timezone.now() - timedelta(minutes=1)


def test_account_follows_role_organization_and_language_changes(client, configure, new_session, abparts_demo):
    configure(cache_seconds=0)
    token, _ = _kari_session(new_session)
    assert whoami(client, token).json()["preferred_language"] == "nb"
    abparts_demo.execute("UPDATE {s}.users SET preferred_language = 'el' WHERE id = %s", [demo.USER_KARI])
    promoted, _ = _kari_session(new_session, role="admin", organization_id=str(demo.ORG_AEGEAN))
    body = whoami(client, promoted).json()
    assert (body["role"], body["organization_id"], body["preferred_language"]) == ("admin", str(demo.ORG_AEGEAN), "el")
    account = ABPartsAccount.objects.get(abparts_user_id=demo.USER_KARI)
    assert (account.role, account.organization_id, account.preferred_language) == ("admin", demo.ORG_AEGEAN, "el")
    assert ABPartsAccount.objects.count() == 1


def test_unchanged_account_is_not_rewritten(client, configure, new_session, abparts_demo, django_assert_num_queries):
    configure(cache_seconds=0)
    token, _ = _kari_session(new_session)
    assert whoami(client, token).status_code == 200
    with django_assert_num_queries(1):  # the mirror with its account (joined); no account write
        assert whoami(client, token).status_code == 200
    stale = timezone.now() - timedelta(hours=2)
    ABPartsAccount.objects.filter(abparts_user_id=demo.USER_KARI).update(synced_at=stale)
    with django_assert_num_queries(2):  # ... except to refresh an old synced_at
        assert whoami(client, token).status_code == 200
    assert ABPartsAccount.objects.get(abparts_user_id=demo.USER_KARI).synced_at > stale


def test_language_is_cached_with_the_session(client, configure, new_session, abparts_demo):
    token, _ = _kari_session(new_session)
    assert whoami(client, token).json()["preferred_language"] == "nb"
    abparts_demo.execute("UPDATE {s}.users SET preferred_language = 'es' WHERE id = %s", [demo.USER_KARI])
    assert whoami(client, token).json()["preferred_language"] == "nb"  # within CACHE_SECONDS
    fresh, _ = _kari_session(new_session)  # a new login (another token) asks ABParts again
    assert whoami(client, fresh).json()["preferred_language"] == "es"


def test_missing_users_row_keeps_the_stored_language(client, configure, new_session, abparts_demo):
    configure(cache_seconds=0)
    user_id = uuid.uuid4()  # has a session, but no row in ABParts' users table (yet)
    token, _ = new_session(user_id=str(user_id))
    assert whoami(client, token).json()["preferred_language"] is None
    ABPartsAccount.objects.filter(abparts_user_id=user_id).update(preferred_language="ar")
    assert whoami(client, token).json()["preferred_language"] == "ar"


def test_unsupported_abparts_language_is_not_kept(client, configure, new_session, abparts_demo):
    abparts_demo.execute("UPDATE {s}.users SET preferred_language = 'fr' WHERE id = %s", [demo.USER_KARI])
    token, _ = _kari_session(new_session)
    assert whoami(client, token).json()["preferred_language"] is None
    assert ABPartsAccount.objects.get(abparts_user_id=demo.USER_KARI).preferred_language == ""


@pytest.mark.django_db(databases=["default", "abparts"], transaction=True)
def test_unreachable_abparts_database_does_not_break_auth(client, configure, new_session, caplog):
    from django.db import connections

    configure(cache_seconds=0)
    user_id = uuid.uuid4()
    token, _ = new_session(user_id=str(user_id))
    assert whoami(client, token).json()["preferred_language"] is None
    ABPartsAccount.objects.filter(abparts_user_id=user_id).update(preferred_language="tr")

    connection = connections["abparts"]
    original = (connection.settings_dict["HOST"], connection.settings_dict["PORT"])
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(free_port()))
    connection.close()
    try:
        response = whoami(client, token)
    finally:
        connection.settings_dict.update(HOST=original[0], PORT=original[1])
        connection.close()
    assert response.status_code == 200, response.content
    assert response.json()["preferred_language"] == "tr"  # the last stored one
    assert "ABParts database unreachable" in caplog.text


# --- demo tokens of seed_demo's ABParts users ----------------------------------------------------------------
def test_demo_token_of_an_abparts_user_carries_its_account(client, settings, django_assert_num_queries):
    settings.API_TOKEN_BACKENDS = {"demo": {"BACKEND": "assistant.auth.demo.DemoTokenBackend"}}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_AUTHENTICATION_CLASSES": [BEARER]}
    giorgos = abparts_fixtures.make_abparts_operator(next(u for u in demo.DEMO_USERS if u.id == demo.USER_GIORGOS))
    body = whoami(client, giorgos.token).json()
    assert body == {
        "username": f"abparts:{demo.USER_GIORGOS}",
        "first_name": "giorgos.papadakis",
        "source": "demo",
        "abparts_user_id": str(demo.USER_GIORGOS),
        "organization_id": str(demo.ORG_AEGEAN),
        "role": "admin",
        "preferred_language": "el",
    }
    with django_assert_num_queries(1):  # the token lookup joins the account: still one query
        assert whoami(client, giorgos.token).status_code == 200


def test_an_unreachable_cache_means_a_lookup_not_a_500(client, settings, configure, new_session, store):
    # The token cache is Django's cache (Redis in production): unreachable, every request asks the
    # session store again (issue 11); SPEC §7 keeps the API answering.
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    configure(cache_seconds=30)
    token, _ = new_session()
    assert whoami(client, token).status_code == 200
    store.delete(f"session:{token}")  # logged out in ABParts: nothing cached kept it alive
    assert_401(whoami(client, token))

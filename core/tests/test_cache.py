"""Redis down: the API keeps answering (the cache fails open), readiness says so, and it recovers.

Against real Redis servers: a URL whose port nothing listens on, and a redis-server this test starts
and kills. SPEC §7: the chat keeps answering from the database when Redis is down.
"""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from django.core.cache import cache
from prometheus_client import REGISTRY
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from conftest import free_port, service_unavailable, wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture
def operator_token(db):
    from django.contrib.auth import get_user_model

    from assistant.auth.services import api_token_create

    user = get_user_model().objects.create_user("cache-operator", password="pw-cache-operator-1")
    _, token = api_token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def production_cache_at(settings, redis_url):
    """Point the configured production cache (REDIS_URL set: base.py's Redis cache) at another URL."""
    configured = dict(settings.CACHES["default"])

    def point(location: str, **extra):
        settings.CACHES = {"default": {**configured, "LOCATION": location, **extra}}

    return point


@pytest.fixture
def chat_budget(monkeypatch):
    """Two chat turns a minute, so a throttle that counts shows it."""
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "chat": "2/min"}
    for throttle in (SimpleRateThrottle, ScopedRateThrottle):  # another test may have set the subclass'
        monkeypatch.setattr(throttle, "THROTTLE_RATES", rates)


def chat_turn(client, auth, session_id: str):
    return client.post(
        f"/api/v1/sessions/{session_id}/messages/",
        {"content": "How do I clean the nozzles?"},
        content_type="application/json",
        **auth,
    )


def cache_errors() -> float:
    return sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "autoboss_cache_errors"
        for sample in metric.samples
        if sample.name == "autoboss_cache_errors_total"
    )


def test_with_the_cache_redis_unreachable_the_chat_still_answers(
    client, operator_token, production_cache_at, chat_budget, caplog
):
    production_cache_at(f"redis://127.0.0.1:{free_port()}/0")
    before = cache_errors()
    created = client.post("/api/v1/sessions/", {"language": "en"}, content_type="application/json", **operator_token)
    assert created.status_code == 201, created.content
    session_id = created.json()["id"]
    # Three turns on a budget of two: nothing counts while Redis is away, so none is refused.
    for _ in range(3):
        response = chat_turn(client, operator_token, session_id)
        assert response.status_code == 201, response.content
        assert response.json()["role"] == "assistant"
    assert cache_errors() > before
    assert "cache_unavailable" in {getattr(record, "event", None) for record in caplog.records}
    # Readiness is not fooled: the cache check fails.
    from core.health import check_cache

    with pytest.raises(Exception, match="unreachable"):
        check_cache()


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of this test's own on a free port: start() / kill() it at will."""
    binary = shutil.which("redis-server")
    if binary is None:
        service_unavailable("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    processes: list[subprocess.Popen] = []

    class Server:
        url = f"redis://127.0.0.1:{port}/0"

        def start(self) -> None:
            import redis

            args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            processes.append(subprocess.Popen([*args, "--dir", str(tmp_path)], stdout=subprocess.DEVNULL))
            client = redis.Redis(port=port, socket_connect_timeout=0.5)

            def up() -> bool:
                try:
                    return bool(client.ping())
                except redis.RedisError:
                    return False

            wait_for(up, timeout=10, message="redis-server answers")

        def kill(self) -> None:
            process = processes[-1]
            process.kill()
            process.wait(timeout=10)

    server = Server()
    yield server
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_redis_killed_mid_conversation_then_back(
    client, operator_token, production_cache_at, chat_budget, redis_server
):
    redis_server.start()
    production_cache_at(redis_server.url, RETRY_SECONDS=0)
    created = client.post("/api/v1/sessions/", {"language": "en"}, content_type="application/json", **operator_token)
    session_id = created.json()["id"]
    assert [chat_turn(client, operator_token, session_id).status_code for _ in range(3)] == [201, 201, 429]

    redis_server.kill()
    # The throttle's counter went with Redis: turns are answered, not refused and not 500s.
    assert [chat_turn(client, operator_token, session_id).status_code for _ in range(3)] == [201, 201, 201]
    assert cache.failing_open

    redis_server.start()  # empty: counting starts again
    time.sleep(0.05)
    assert [chat_turn(client, operator_token, session_id).status_code for _ in range(3)] == [201, 201, 429]
    assert not cache.failing_open
    cache.set("cache-test", "back")
    assert cache.get("cache-test") == "back"

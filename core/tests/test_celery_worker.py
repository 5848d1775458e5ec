"""A task published through each broker is executed by a real `celery worker` process."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache

from conftest import celery_worker, wait_for
from core.health import WORKER_HEARTBEAT_CACHE_KEY
from core.tasks import PING_CACHE_PREFIX, ping

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _assert_worker_answers(worker) -> None:
    token = uuid.uuid4().hex
    worker.send(ping, token=token)
    answer = wait_for(
        lambda: worker.process.poll() is None and cache.get(PING_CACHE_PREFIX + token),
        timeout=60,
        message=f"the worker to answer the ping\n--- worker log ---\n{worker.log()}",
    )
    assert answer["hostname"].startswith(worker.queue), answer
    assert "core.ping[" in worker.log()


def test_task_runs_on_real_worker_through_filesystem_broker(test_database_url, tmp_path):
    with celery_worker(
        database_url=test_database_url, broker_url="filesystem://", broker_dir=tmp_path / "broker", log_dir=tmp_path
    ) as worker:
        _assert_worker_answers(worker)
        # The worker's own heartbeat travels the same path and is what /health/ready reads.
        beat = wait_for(lambda: cache.get(WORKER_HEARTBEAT_CACHE_KEY), timeout=30, message="a worker heartbeat")
        assert beat["hostname"].startswith(worker.queue)
        queued = list((tmp_path / "broker" / "queue").iterdir())
    # Consumed messages do not pile up in the broker folder.
    assert len(queued) <= 2


@pytest.mark.redis
def test_task_runs_on_real_worker_through_redis_broker(test_database_url, redis_url, tmp_path):
    with celery_worker(
        database_url=test_database_url, broker_url=redis_url, broker_dir=None, log_dir=tmp_path
    ) as worker:
        _assert_worker_answers(worker)
        assert "Connected to redis://" in worker.log()

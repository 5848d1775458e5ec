"""Probes and metrics. These bypass DRF: no auth, no throttling, minimal work."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView

from .health import run_readiness_checks


@never_cache
@require_GET
def health_live(request: HttpRequest) -> JsonResponse:
    # Liveness does no I/O: the process answers, so it is alive.
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def health_ready(request: HttpRequest) -> JsonResponse:
    ok, checks = run_readiness_checks()
    return JsonResponse({"status": "ok" if ok else "fail", "checks": checks}, status=200 if ok else 503)


@never_cache
@require_GET
def metrics(request: HttpRequest):
    # Reads PROMETHEUS_MULTIPROC_DIR when set, so every gunicorn worker and the Celery workers
    # of this host are aggregated (see docs/architecture.md "Metrics").
    return ExportToDjangoView(request)

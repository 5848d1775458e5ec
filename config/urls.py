from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from assistant.api import legacy_urls as chat_legacy_urls
from core.api.errors import api_not_found
from core.views import health_live, health_ready, metrics
from escalations.api import legacy_urls as escalation_legacy_urls

# The /api/v1/ URL space: each app mounts its own api/urls.py here (the project is the one place
# that knows every app; docs/architecture.md).
api_v1 = [
    path("knowledge/", include("knowledge.api.urls")),
    path("", include("assistant.api.urls")),
    path("", include("abparts.api.urls")),
    path("", include("escalations.api.urls")),
    path("", include("analytics.api.urls")),
    path("", include("privacy.api.urls")),
]
# The existing ABParts widget's endpoints (SPEC §4.2).
legacy = [*chat_legacy_urls.urlpatterns, *escalation_legacy_urls.urlpatterns]

# Swagger UI with its set-up script served as a file (the split view), so the page runs under the
# project's Content-Security-Policy; only the template's small inline <style> needs an exception.
api_docs = csp_update({"style-src": [UNSAFE_INLINE]})(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))

urlpatterns = [
    # Every browser asks for /favicon.ico (the admin, the API docs); answer with the icon, not a 404.
    path("favicon.ico", RedirectView.as_view(url=static("core/favicon.svg")), name="favicon"),
    path("health/live", health_live, name="health-live"),
    path("health/ready", health_ready, name="health-ready"),
    path("metrics", metrics, name="prometheus-django-metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/v1/", include(api_v1)),
    # The existing ABParts widget's endpoints, with and without the /ai prefix of ABParts' nginx.
    path("api/ai/", include(legacy)),
    path("ai/api/ai/", include((legacy, "legacy"), namespace="legacy-prefixed")),
    # Anything else under /api/ is a JSON 404, never Django's HTML page. CSRF-exempt (it changes
    # nothing): otherwise a POST to a mistyped API URL met the CSRF middleware first and got its HTML
    # 403 page instead (found by the API fuzz, config/tests/test_api_fuzz.py).
    re_path(r"^(ai/)?api/", csrf_exempt(api_not_found)),
    path("admin/", admin.site.urls),
    # The demo page with the chat widget (assistant/views.py).
    path("", include("assistant.urls")),
]

handler404 = "core.api.errors.handler404"
handler500 = "core.api.errors.handler500"

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_wsgi_application()

# Refuse to serve with a broken configuration (missing secret, unknown provider path, ...).
from core.startup import fail_on_configuration_errors  # noqa: E402

fail_on_configuration_errors()

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_asgi_application()

from core.startup import fail_on_configuration_errors  # noqa: E402

fail_on_configuration_errors()

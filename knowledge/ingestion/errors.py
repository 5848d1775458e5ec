"""The one exception the parsing layer raises for input it will not ingest."""

from __future__ import annotations

from enum import StrEnum


class RejectCode(StrEnum):
    """Stable machine-readable reasons; the API and the admin map them to messages and HTTP statuses."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"
    TYPE_MISMATCH = "type_mismatch"
    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"
    NO_TEXT = "no_text"
    TOO_MANY_PAGES = "too_many_pages"
    ZIP_BOMB = "zip_bomb"
    TIMEOUT = "timeout"
    ACTIVE_CONTENT = "active_content"


class DocumentRejected(Exception):
    """A document that cannot be ingested, with a reason a knowledge editor can act on.

    `reason` is written for people (shown in the admin and API); `code` is one of `RejectCode`.
    The reason never contains exception text from a parser, only what we established ourselves.
    """

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = RejectCode(code)

    def __repr__(self) -> str:
        return f"DocumentRejected(reason={self.reason!r}, code={self.code.value!r})"

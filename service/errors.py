"""The errors opsum raises on purpose: each says what went wrong and what to do about it."""

from __future__ import annotations

__all__ = [
    "OpsumError",
    "InvalidArticle",
    "EmptyArticle",
    "BinaryArticle",
    "ArticleTooLong",
    "BackendError",
    "BackendUnavailable",
    "BackendTimeout",
    "BackendBadOutput",
    "BackendReplyTooLarge",
]


class OpsumError(Exception):
    """Base class; `str(err)` is a one-line, actionable message."""


class InvalidArticle(OpsumError, ValueError):
    """The input cannot be summarised (empty, binary, too long)."""


class EmptyArticle(InvalidArticle):
    def __init__(self) -> None:
        super().__init__("the article is empty: give the text of a news article")


class BinaryArticle(InvalidArticle):
    def __init__(self, reason: str) -> None:
        super().__init__(f"the input is not text ({reason}): give the article as UTF-8 text")


class ArticleTooLong(InvalidArticle):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(
            f"the article has {length} characters, over the limit of {limit}: "
            "send one article at a time, or raise OPSUM_MAX_CHARS"
        )
        self.length = length
        self.limit = limit


class BackendError(OpsumError):
    """The LLM backend failed."""


class BackendUnavailable(BackendError):
    """The backend cannot be reached (connection refused, DNS, HTTP 5xx after retries)."""


class BackendTimeout(BackendError):
    """The backend did not answer in time."""


class BackendBadOutput(BackendError):
    """The backend answered, but not with usable output, even after the re-asks."""


class BackendReplyTooLarge(BackendBadOutput):
    """The backend's reply was over the size cap; it was abandoned unread (never re-asked)."""

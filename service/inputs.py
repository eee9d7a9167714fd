"""Checks on the raw input before any model sees it: empty, binary, oversized, not English."""

from __future__ import annotations

import re
import unicodedata

from service.errors import ArticleTooLong, BinaryArticle, EmptyArticle

__all__ = ["decode_article", "check_article", "looks_english"]

_STOPWORDS = frozenset(
    "the of and to in a is was were for on with by that as at from has have had been are an it "
    "this which who their police said after over more than its be or not they two three".split()
)


def decode_article(raw: bytes) -> str:
    """Bytes from a file or stdin to text, refusing what is not UTF-8 text."""
    if b"\x00" in raw[:65536]:
        raise BinaryArticle("it contains NUL bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BinaryArticle(f"it is not valid UTF-8 at byte {exc.start}") from exc


def check_article(text: str, max_chars: int) -> str:
    """The article, stripped; raises an `InvalidArticle` with an actionable message."""
    if len(text) > max_chars:
        raise ArticleTooLong(len(text), max_chars)
    stripped = text.strip()
    if not stripped:
        raise EmptyArticle()
    if "\x00" in stripped:
        raise BinaryArticle("it contains NUL characters")
    control = sum(1 for c in stripped if unicodedata.category(c) in {"Cc", "Co", "Cs"} and c not in "\n\r\t\f")
    if control / len(stripped) > 0.02:
        raise BinaryArticle(f"{control} control characters in {len(stripped)}")
    return stripped


def looks_english(text: str) -> bool:
    """A cheap test: do common English function words make up a real share of the words?"""
    words = re.findall(r"[^\W\d_]+", text.casefold())
    if len(words) < 8:
        return any(w in _STOPWORDS for w in words) or not words
    hits = sum(1 for w in words if w in _STOPWORDS)
    return hits / len(words) >= 0.08

"""Checks on the raw input before any model sees it: empty, binary, oversized, not English."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

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


SHORT_WORDS = 60  # below this many words the share of function words says little: the detector decides
_OTHER_CONFIDENCE = 0.9  # refuse only when another language is this sure ...
_ENGLISH_CONFIDENCE = 0.05  # ... and English this unlikely (short English headlines score 0.3 to 1.0)


@cache
def _detector() -> Any:
    """lingua over English and six languages that share its alphabet, low-accuracy mode (built once, ~0.6 s,
    ~16 MB; the high-accuracy models take ~14 s and ~230 MB and refused more short English headlines)."""
    from lingua import Language, LanguageDetectorBuilder

    languages = [
        Language.ENGLISH,
        Language.GERMAN,
        Language.FRENCH,
        Language.SPANISH,
        Language.ITALIAN,
        Language.DUTCH,
        Language.PORTUGUESE,
    ]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def _short_text_is_english(text: str) -> bool:
    from lingua import Language

    values = _detector().compute_language_confidence_values(text)
    if not values:
        return True
    english = next((v.value for v in values if v.language == Language.ENGLISH), 0.0)
    top = values[0]
    return not (top.language != Language.ENGLISH and top.value >= _OTHER_CONFIDENCE and english < _ENGLISH_CONFIDENCE)


def looks_english(text: str) -> bool:
    """Long text: do common English function words make up a real share of the words? Short text (a
    headline, a paragraph): a language detector must not be sure it is another language."""
    words = re.findall(r"[^\W\d_]+", text.casefold())
    if not words:
        return True
    if len(words) < SHORT_WORDS:
        return _short_text_is_english(text)
    hits = sum(1 for w in words if w in _STOPWORDS)
    return hits / len(words) >= 0.08

"""Prompt injection inside an article: sentences that address the model instead of the reader.

They are data like the rest of the article, but no number may be taken from them: a count
or seizure whose evidence lies in such a sentence is dropped, and mined mentions skip them.
The patterns are data (`service/lexicon/injection.toml`), in four families: instructions to
ignore or override, chat-role headers, requests to output given values, notes addressed to AI.
`Article.from_text` runs the check once, on each sentence or line of the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from service import lexicon

__all__ = [
    "FAMILIES",
    "injection_family",
    "injection_spans",
    "injection_spans_in",
    "overlaps_injection",
    "without_injections",
]

FAMILIES = ("override", "role_header", "value_request", "addressed_to_ai")


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    out = []
    for family in FAMILIES:
        for pattern in lexicon.group("injection", family)["patterns"]:
            out.append((family, re.compile(pattern, re.IGNORECASE)))
    return tuple(out)


@cache
def _any_pattern() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p.pattern})" for _, p in _patterns()), re.IGNORECASE)


def injection_family(segment: str) -> str | None:
    """The family of the first injection pattern the sentence or line matches, else None."""
    stripped = segment.strip()
    if not stripped or not _any_pattern().search(stripped):
        return None
    for family, pattern in _patterns():
        if pattern.search(stripped):
            return family
    return None


def injection_spans_in(text: str, segments: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """(start, end) of each given segment of `text` that gives the model an instruction."""
    return [(s, e) for s, e in segments if injection_family(text[s:e])]


def injection_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line that gives the model an instruction."""
    from service.article import Article

    return list(Article.from_text(text).injections)


def overlaps_injection(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def without_injections(text: str) -> str:
    """The text with every injected instruction blanked out (offsets kept)."""
    from service.article import Article

    return Article.from_text(text).without_injections

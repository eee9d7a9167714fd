"""Prompt injection inside an article: sentences that address the model instead of the reader.

They are data like the rest of the article, but no number may be taken from them: a count
or seizure whose evidence lies in such a sentence is dropped, and mined mentions skip them.
"""

from __future__ import annotations

import re

__all__ = ["injection_spans", "overlaps_injection", "without_injections"]

_PATTERNS = re.compile(
    r"ignore (?:all |any )?(?:the )?(?:previous|prior|above|earlier|preceding) (?:instructions|prompts?|rules)"
    r"|disregard (?:all |any )?(?:the )?(?:previous|prior|above|earlier) "
    r"|(?-i:\b(?:SYSTEM|ASSISTANT|DEVELOPER)(?: PROMPT| MESSAGE| NOTE| OVERRIDE)?\s*:\s)"
    r"|\b(?:the|an?) (?:ai|assistant|model|llm|language model|summari[sz]er|bot)s? (?:must|should|shall|will) "
    r"|\byou (?:must|should|are required to|are instructed to) (?:now )?(?:output|report|return|say|answer|respond|write)"
    r"|\b(?:output|report|return) (?:exactly |only )?(?:the following|this json)"
    r"|new instructions?\s*:"
    r"|\b(?:note|message|instructions?) (?:for|to) (?:any |all )?(?:automated|ai|llm|machine)[ -]?"
    r"(?:summari[sz]ers?|systems?|tools?|assistants?|models?|readers?)"
    r"|\b(?:ai|llm|automated) (?:summari[sz]ers?|assistants?|models?)\s*(?:must|should|:)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n|$)")


def injection_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line that gives the model an instruction."""
    spans = []
    for m in _SENTENCE.finditer(text):
        if m.group(0).strip() and _PATTERNS.search(m.group(0)):
            spans.append((m.start(), m.end()))
    return spans


def overlaps_injection(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def without_injections(text: str) -> str:
    """The text with every injected instruction blanked out (offsets kept)."""
    spans = injection_spans(text)
    if not spans:
        return text
    chars = list(text)
    for s, e in spans:
        chars[s:e] = " " * (e - s)
    return "".join(chars)

"""One analysis of an article, built once per request: every later stage reads it, none re-parses.

`Article.from_text(raw)` normalises the text (mojibake repaired by ftfy, NFC; a no-op on clean
text), finds the main body (trailing related-headline lists, bylines and "Source link" cut),
splits sentences with the one splitter, and mines numbers, dates, injected instructions and
entity candidates (countries, agencies, operation names). Every step is linear in the text.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

import ftfy
from ftfy.badness import is_bad

from service.dates import DateMention, find_dateline, find_dates
from service.entities import EntityCandidates, find_entities
from service.injection import injection_spans_in
from service.numbers import NumberMention, find_numbers

__all__ = ["Article", "Span", "fold_quotes"]

Span = tuple[int, int]

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})
_WS = re.compile(r"\s+")
# A sentence ends at . ! ? before whitespace and a capital, quote or bracket, or at a blank line.
_BOUNDARY = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“(])|\n\s*\n")
# Words whose final period does not end a sentence ("U.S. Attorney", "No. 10", "Jan. 5").
_ABBREVIATION = re.compile(
    r"(?:(?:[A-Z]\.)*[A-Z]|No|Nos|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Mr|Mrs|Ms|Dr|"
    r"St|Gen|Lt|Col|Sgt|Insp|Det|Supt|Capt|Cmdr|Gov|Sen|Rep|Prof|Inc|Ltd|Corp|Co|vs|approx|Rs|e\.g|i\.e)\.$"
)
_TOKEN = re.compile(r"\w+(?:['’-]\w+)*")
_LIST_LINE = re.compile(r"[ \t]*(?:\d{1,2}[.)]|[-*•])[ \t]")
_TRAILER = re.compile(
    r"(?:source(?: link)?|read more|related(?: (?:articles|stories|headlines|news))?|share(?: this(?: article)?)?|"
    r"advertisement|\(?(?:reporting|writing|editing) by\b.*)\s*$",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"By\s+(?:[A-Z]|a |an |our |the )[^\n]{0,110}$")


def fold_quotes(text: str) -> str:
    """Typographic quotes and dashes folded to ASCII, one character for one (offsets kept)."""
    return text.translate(_QUOTES)


def normalise(raw: str) -> str:
    """Mojibake repaired and NFC; quotes, dashes and line breaks left as written."""
    if not is_bad(raw):  # one linear scan; ftfy's line-by-line repair only where mojibake shows
        return unicodedata.normalize("NFC", raw)
    return ftfy.fix_text(
        raw,
        uncurl_quotes=False,
        fix_latin_ligatures=False,
        fix_character_width=False,
        fix_line_breaks=False,
        remove_terminal_escapes=False,
        normalization="NFC",
    )


def _lines(text: str) -> list[Span]:
    spans, start = [], 0
    for m in re.finditer(r"\n", text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return spans


def _is_list_item(text: str, line: Span) -> bool:
    """A related-headline line: a marker, then 3 to 160 characters."""
    s, e = line
    m = _LIST_LINE.match(text, s, e)
    if not m:
        return False
    rest = e - (m.end() - 1)  # characters after the marker, the first blank included
    ws = len(text[m.end() - 1 : e]) - len(text[m.end() - 1 : e].lstrip(" \t"))
    return max(1, rest - 160) <= min(ws, rest - 3)


def _body_end(text: str) -> int:
    """Where the article proper ends: before a trailing list of 3+ related headlines, trailers
    ("Source link", "Reporting by ...") and blank lines. Each line is looked at a bounded number of times."""
    lines = _lines(text)
    j = len(lines) - 1
    while j >= 0:
        while j >= 0 and not text[lines[j][0] : lines[j][1]].strip():
            j -= 1
        if j < 0:
            break
        s, e = lines[j]
        line = text[s:e].strip()
        if _TRAILER.fullmatch(line) and j > 0:
            j -= 1
            continue
        # the related block may be followed by one short line (<= 40 characters)
        candidates = [j]
        if len(text[s:e].rstrip()) <= 40:
            k = j - 1
            while k >= 0 and not text[lines[k][0] : lines[k][1]].strip():
                k -= 1
            if k >= 0:
                candidates.append(k)
        first = None
        for last in candidates:
            i = last
            while i >= 1 and _is_list_item(text, lines[i]):
                i -= 1
            if last - i >= 3:
                first = i + 1 if first is None else min(first, i + 1)
        if first is None:
            break
        j = first - 1
        return lines[first][0] - 1  # the line break before the first headline
    return lines[j][1] if j >= 0 else 0


def _word_before(text: str, pos: int) -> str:
    """The whitespace-free word ending at `pos` (at most 16 characters; longer words come back empty)."""
    i = pos
    while i > 0 and pos - i <= 16 and not text[i - 1].isspace():
        i -= 1
    return text[i:pos] if i == 0 or text[i - 1].isspace() else ""


def _sentence_boundaries(text: str) -> list[Span]:
    out = []
    for m in _BOUNDARY.finditer(text):
        if text[m.start() - 1 : m.start()] == "." and "\n" not in m.group(0):
            if _ABBREVIATION.fullmatch(_word_before(text, m.start()).lstrip('("“')):
                continue
        out.append((m.start(), m.end()))
    return out


@dataclass(frozen=True)
class Article:
    """The analysed article. Offsets everywhere are offsets of `text`."""

    raw: str
    text: str
    body: Span  # the article proper: (start, end) of `text`
    excluded: tuple[Span, ...]  # bylines inside the body
    boundaries: tuple[Span, ...]  # sentence boundaries of text[: body end]
    numbers: tuple[NumberMention, ...]
    injections: tuple[Span, ...]
    dateline: str | None
    dates: tuple[DateMention, ...]
    entities: EntityCandidates
    _bound_starts: tuple[int, ...] = field(repr=False)
    _bound_ends: tuple[int, ...] = field(repr=False)

    @classmethod
    def from_text(cls, raw: str) -> Article:
        text = normalise(raw)
        end = _body_end(text)
        bylines = tuple(ln for ln in _lines(text[:end])[:8] if _BYLINE.match(text, *ln))
        bounds = tuple(_sentence_boundaries(text[:end]))
        dateline = find_dateline(text)
        return cls(
            raw=raw,
            text=text,
            body=(0, end),
            excluded=bylines,
            boundaries=bounds,
            numbers=tuple(find_numbers(text)),
            injections=tuple(injection_spans_in(text, _segments(text, bounds, end))),
            dateline=dateline,
            dates=tuple(find_dates(text, dateline)),
            entities=find_entities(text),
            _bound_starts=tuple(b[0] for b in bounds),
            _bound_ends=tuple(b[1] for b in bounds),
        )

    # --- views ---------------------------------------------------------------------------

    @cached_property
    def folded(self) -> str:
        """`text` with typographic quotes and dashes folded (same offsets), for matching."""
        return fold_quotes(self.text)

    @cached_property
    def matchable(self) -> str:
        """Whitespace-collapsed, quotes folded, case-folded: what quotes are matched against."""
        return _WS.sub(" ", self.folded).strip().casefold()

    @cached_property
    def tokens(self) -> tuple[tuple[int, int, str], ...]:
        """Every word with its character offsets."""
        return tuple((m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(self.text))

    @property
    def body_text(self) -> str:
        return self.text[: self.body[1]]

    @cached_property
    def sentences(self) -> tuple[Span, ...]:
        """(start, end) of each sentence of the body, from the one splitter."""
        out, s = [], 0
        for bs, be in self.boundaries:
            if self.text[s:bs].strip():
                out.append((s, bs))
            s = be
        if self.text[s : self.body[1]].strip():
            out.append((s, self.body[1]))
        return tuple(out)

    def sentence_of(self, start: int, end: int) -> Span:
        """The sentence around text[start:end] (the last boundary ending at or before `start`,
        the first starting at or after `end`)."""
        i = bisect.bisect_right(self._bound_ends, start)
        s = self._bound_ends[i - 1] if i else 0
        j = bisect.bisect_left(self._bound_starts, end)
        e = self._bound_starts[j] if j < len(self._bound_starts) else self.body[1]
        return s, e

    def in_body(self, start: int, end: int) -> bool:
        return end <= self.body[1] and not any(s <= start < e for s, e in self.excluded)

    def in_injection(self, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.injections)

    @cached_property
    def body_numbers(self) -> tuple[NumberMention, ...]:
        """The numbers of the body, outside bylines and injected instructions."""
        return tuple(n for n in self.numbers if self.in_body(n.start, n.end) and not self.in_injection(n.start, n.end))

    @cached_property
    def stated_values(self) -> frozenset[float]:
        return frozenset(round(m.value, 6) for m in self.numbers)

    @cached_property
    def without_injections(self) -> str:
        """The text with every injected instruction blanked out (offsets kept)."""
        if not self.injections:
            return self.text
        parts, pos = [], 0
        for s, e in self.injections:
            parts.append(self.text[pos:s])
            parts.append(" " * (e - s))
            pos = e
        parts.append(self.text[pos:])
        return "".join(parts)


def _segments(text: str, bounds: tuple[Span, ...], end: int) -> list[Span]:
    """Sentences of the whole text, cut again at line breaks: the units the injection check reads."""
    cuts = [0]
    for bs, be in bounds:
        cuts += [bs, be]
    cuts.append(len(text))
    out = []
    for a, b in zip(cuts[0::2], cuts[1::2], strict=False):
        pos = a
        while pos < b:
            nl = text.find("\n", pos, b)
            stop = b if nl < 0 else nl
            if text[pos:stop].strip():
                out.append((pos, stop))
            pos = stop + 1
    return out

"""Entity candidates an article names: countries (and demonyms), agency-like names, operation names.

Found deterministically and in linear time from the text; later stages check the model's
entities against them and add what small models drop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pycountry

from service import lexicon
from service.schema import normalise_name

__all__ = ["Candidate", "EntityCandidates", "find_entities", "international_body"]


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    text: str
    name: str  # canonical: a SPEC country name, a body's canonical name, or the text as written
    kind: str  # country | demonym | international | national | acronym | operation


@dataclass(frozen=True)
class EntityCandidates:
    countries: tuple[Candidate, ...]
    agencies: tuple[Candidate, ...]
    operations: tuple[Candidate, ...]

    def country_names(self) -> set[str]:
        return {c.name for c in self.countries}


@cache
def _country_index() -> dict[str, tuple[str, str]]:
    """Normalised name (1-5 words) -> (SPEC short name, kind)."""
    from service.countries import canonical_country

    index: dict[str, tuple[str, str]] = {}
    for c in pycountry.countries:
        for attr in ("name", "common_name"):
            name = getattr(c, attr, None)
            if name and "," not in name:
                index[normalise_name(name)] = (canonical_country(name), "country")
    for alias, name in lexicon.mapping("countries", "aliases").items():
        if len(alias) > 2:  # "us", "uk" are found only as written in capitals below
            index[alias] = (name, "country")
    for code in ("UK", "US", "USA", "UAE", "DRC"):
        index[code] = (canonical_country(code), "country")
    index["U.S"] = index["U.S.A"] = index["US"]
    index["U.K"] = index["UK"]
    for demonym, name in lexicon.mapping("countries", "demonyms").items():
        index[normalise_name(demonym)] = (name, "demonym")
    return index


_CAP_WORD = re.compile(r"[A-Z][\w'’.-]*")


def _countries(text: str) -> list[Candidate]:
    index = _country_index()
    words = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[^\W\d_][\w'’.-]*", text)]
    out: list[Candidate] = []
    i = 0
    while i < len(words):
        if not words[i][2][:1].isupper() or words[i][2] == "The":
            i += 1
            continue
        for n in range(min(5, len(words) - i), 0, -1):
            s, e = words[i][0], words[i + n - 1][1]
            if n > 1 and "\n" in text[s:e]:
                continue
            raw = text[s:e].rstrip(".")
            key = raw if raw.isupper() and len(raw) <= 5 else normalise_name(raw)
            if key in index and words[i + n - 1][2][:1].isupper():
                name, kind = index[key]
                out.append(Candidate(s, s + len(raw), raw, name, kind))
                i += n
                break
        else:
            i += 1
    return out


@cache
def _bodies() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple(
        (name, re.compile(r"(?<![\w-])(?:" + aliases + r")(?![\w-])"))
        for name, aliases in lexicon.mapping("bodies", "international").items()
    )


def international_body(name: str) -> str | None:
    """The canonical name of the international body `name` names, else None."""
    for canonical, pattern in _bodies():
        if pattern.search(name) or normalise_name(name) == normalise_name(canonical):
            return canonical
    return None


@cache
def _national_pattern() -> re.Pattern[str]:
    heads = lexicon.alternation(lexicon.words("bodies", "force_heads"))
    fixed = lexicon.alternation(lexicon.words("bodies", "national_forces"))
    return re.compile(
        r"(?P<fixed>" + fixed + r")|(?P<named>(?:[A-Z][\w'’.-]*[ \t]+(?:of[ \t]+(?:the[ \t]+)?)?){1,4}?" + heads + r")"
    )


_ACRONYM = re.compile(r"\(([A-Z][A-Za-z&]{1,9})\)")
_OPERATION = re.compile(
    r"\b(?:Operation|Op\.|operation|codenamed|code-named|code named|dubbed)[ \t]+[\"“'‘]?"
    r"(?:Operation[ \t]+)?(?P<name>[A-Z0-9][\w'’-]*(?:[ \t]+(?:[A-Z][\w'’-]*|\d{1,4}))?(?:[ \t]+(?:[A-Z][\w'’-]*|\d{1,4}))?)"
)


def _agencies(text: str) -> list[Candidate]:
    out: list[Candidate] = []
    for name, pattern in _bodies():
        out += [Candidate(m.start(), m.end(), m.group(0), name, "international") for m in pattern.finditer(text)]
    for m in _national_pattern().finditer(text):
        start = m.start() + 4 if m.group(0).startswith("The ") else m.start()
        out.append(Candidate(start, m.end(), text[start : m.end()], text[start : m.end()], "national"))
    for m in _ACRONYM.finditer(text):
        expansion = _expansion(text, m.start(), m.group(1))
        if expansion:
            out.append(Candidate(m.start(1), m.end(1), m.group(1), expansion, "acronym"))
    return sorted(out, key=lambda c: c.start)


def _expansion(text: str, pos: int, acronym: str) -> str | None:
    """The capitalised words right before "(ABC)" whose initials spell the acronym."""
    words = re.findall(r"[\w'’-]+", text[max(0, pos - 120) : pos])[-12:]
    letters = [c for c in acronym.upper() if c.isalpha()]
    caps = [w for w in words if w[:1].isupper()]
    for n in range(len(letters), 0, -1):
        tail = caps[-n:]
        initials = "".join(w[0].upper() for w in tail)
        if len(tail) == n and letters[:n] == list(initials) and n >= max(2, len(letters) - 1):
            first = len(words) - 1 - words[::-1].index(tail[0])
            return " ".join(words[first:])
    return None


def find_entities(text: str) -> EntityCandidates:
    operations = tuple(
        Candidate(m.start("name"), m.end("name"), m.group("name"), m.group("name"), "operation")
        for m in _OPERATION.finditer(text)
    )
    return EntityCandidates(countries=tuple(_countries(text)), agencies=tuple(_agencies(text)), operations=operations)

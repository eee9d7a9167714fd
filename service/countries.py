"""Country names: canonical English short names (SPEC §2) through pycountry plus a small alias table."""

from __future__ import annotations

from functools import lru_cache

import pycountry

from service.schema import normalise_name

__all__ = ["canonical_country", "is_country"]

# SPEC's preferred short names, and common spellings pycountry does not resolve by itself.
_ALIASES = {
    "kosovo": "Kosovo",
    "uk": "United Kingdom",
    "u k": "United Kingdom",
    "great britain": "United Kingdom",
    "britain": "United Kingdom",
    "england": "United Kingdom",
    "scotland": "United Kingdom",
    "wales": "United Kingdom",
    "northern ireland": "United Kingdom",
    "united kingdom of great britain and northern ireland": "United Kingdom",
    "us": "United States",
    "u s": "United States",
    "usa": "United States",
    "u s a": "United States",
    "america": "United States",
    "united states of america": "United States",
    "czech republic": "Czechia",
    "turkey": "Türkiye",
    "turkiye": "Türkiye",
    "russia": "Russia",
    "russian federation": "Russia",
    "holland": "Netherlands",
    "the netherlands": "Netherlands",
    "netherlands the": "Netherlands",
    "south korea": "South Korea",
    "korea republic of": "South Korea",
    "north korea": "North Korea",
    "iran": "Iran",
    "iran islamic republic of": "Iran",
    "syria": "Syria",
    "syrian arab republic": "Syria",
    "vietnam": "Vietnam",
    "viet nam": "Vietnam",
    "laos": "Laos",
    "bolivia": "Bolivia",
    "venezuela": "Venezuela",
    "tanzania": "Tanzania",
    "moldova": "Moldova",
    "republic of moldova": "Moldova",
    "taiwan": "Taiwan",
    "ivory coast": "Côte d'Ivoire",
    "cote d ivoire": "Côte d'Ivoire",
    "macedonia": "North Macedonia",
    "fyrom": "North Macedonia",
    "republic of north macedonia": "North Macedonia",
    "bosnia": "Bosnia and Herzegovina",
    "bosnia herzegovina": "Bosnia and Herzegovina",
    "bosnia and herzegovina": "Bosnia and Herzegovina",
    "uae": "United Arab Emirates",
    "emirates": "United Arab Emirates",
    "dr congo": "Democratic Republic of the Congo",
    "drc": "Democratic Republic of the Congo",
    "congo the democratic republic of the": "Democratic Republic of the Congo",
    "palestine": "Palestine",
    "vatican": "Holy See",
    "swaziland": "Eswatini",
    "burma": "Myanmar",
    "cape verde": "Cabo Verde",
    "east timor": "Timor-Leste",
    "brunei": "Brunei",
}


@lru_cache(maxsize=4096)
def canonical_country(name: str) -> str:
    """The SPEC short name for a country ("Czech Republic" → "Czechia"); unknown names come back trimmed."""
    key = normalise_name(name)
    if not key:
        return name.strip()
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        country = pycountry.countries.lookup(name.strip())
    except LookupError:
        matches = []
        try:
            matches = pycountry.countries.search_fuzzy(name.strip())
        except LookupError:
            pass
        if len(matches) != 1:
            return name.strip()
        country = matches[0]
    short = getattr(country, "common_name", None) or country.name
    return _ALIASES.get(normalise_name(short), short)


def is_country(name: str) -> bool:
    key = normalise_name(name)
    if key in _ALIASES:
        return True
    try:
        pycountry.countries.lookup(name.strip())
        return True
    except LookupError:
        return False

"""Country names: canonical English short names (SPEC §2) through pycountry plus a small alias table."""

from __future__ import annotations

from functools import lru_cache

import pycountry

from service import lexicon
from service.schema import normalise_name

__all__ = ["canonical_country", "is_country"]

# SPEC's preferred short names, and common spellings pycountry does not resolve by itself (data).
_ALIASES: dict[str, str] = lexicon.mapping("countries", "aliases")


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

"""Reviewed word lists as data: each `*.toml` here is one lexicon, each table in it one group.

Every group states what it is for (`for = "..."`) and holds its entries under `words`
(or a mapping under `map`). Entries are matched as whole words; an entry ending in `*` is a
stem that matches any word starting with it ("arrest*" matches "arrested", never "rearrest").
Lexicons are read once (importlib.resources) and compiled once per process.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["group", "words", "mapping", "pattern", "alternation"]


@cache
def _load(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    for key, value in data.items():
        if not isinstance(value, dict) or not isinstance(value.get("for"), str):
            raise ValueError(f"lexicon {name}.toml: group {key!r} must be a table with a 'for' line")
    return data


def group(lexicon: str, name: str) -> dict[str, Any]:
    """One group of a lexicon: a table with its `for` line and its entries."""
    try:
        return dict(_load(lexicon)[name])
    except KeyError:
        raise KeyError(f"lexicon {lexicon}.toml has no group {name!r}") from None


def words(lexicon: str, name: str) -> tuple[str, ...]:
    return tuple(group(lexicon, name)["words"])


def mapping(lexicon: str, name: str) -> dict[str, Any]:
    return dict(group(lexicon, name)["map"])


def alternation(entries: tuple[str, ...] | list[str]) -> str:
    """A regex alternation of whole-word entries (`stem*` for a stem), longest first."""
    parts = []
    for entry in sorted(entries, key=len, reverse=True):
        stem = entry.endswith("*")
        body = r"\s+".join(re.escape(w) for w in entry.rstrip("*").split())
        parts.append(body + (r"\w*" if stem else ""))
    return r"(?<![\w])(?:" + "|".join(parts) + r")(?![\w])"


@cache
def pattern(lexicon: str, name: str) -> re.Pattern[str]:
    """The group's words compiled as one case-insensitive whole-word pattern."""
    return re.compile(alternation(words(lexicon, name)), re.IGNORECASE)

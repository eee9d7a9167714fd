"""Hostile model output: values that fill a tool's JSON schema with what the article does not say.

`hostile_strategy(schema)` is a hypothesis strategy of tool-call arguments shaped by a model-facing
JSON schema, with each leaf drawn either from the schema (hypothesis-jsonschema) or from a pool of
hostile values: invented numbers in every written form, names and countries the article never
names, unstated dates and units, empty strings, negatives, NaN, over-long strings, wrong types.
`hostile_arguments(schema, k)` is one deterministic such filling (variant `k`), for scripted servers.
`leaks(summary, article)` lists what in a summary the article does not state (the tests' oracle;
independent of service.field_checks: it compares digit runs, number words, fractions and Roman
numerals as raw text).
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from hypothesis import strategies as st

__all__ = ["HOSTILE_STRINGS", "HOSTILE_NUMBERS", "hostile_strategy", "hostile_arguments", "leaks"]

HOSTILE_STRINGS = [
    "9999 kg of cocaine",
    "MOZAIK 202",
    "Europol 20",
    "France",
    "Japan",
    "",
    "   ",
    "999people were arrested.",
    "the 777th raid.",
    "9,99,999 rupees were seized.",
    "5e3 pills were found.",
    "7\u00bd tonnes were found.",
    "41_000 files were taken.",
    "Officers arrested twelve hundred people.",
    "Phase XIV ended.",
    "9999 EUR",
    "2023-11-25",
    "1999-01-01",
    "arrested 9999 people",
    "x" * 700,
    "Officers arrested 31 people. " * 30,
]
HOSTILE_NUMBERS: list[Any] = [-5, -1, 0, 9999, 9007199254740993, 1e300, math.nan, math.inf, -0.5, 3.25, True]
_WRONG_TYPES: list[Any] = [None, [], {}, "NaN", 17]
# Per field name: the value for the first list item, and for the others.
_TARGETED: dict[str, tuple[Any, Any]] = {
    "summary": ("999people were arrested. The 777th raid found 7\u00bd tonnes.",) * 2,
    "operation_name": ("MOZAIK 202",) * 2,
    "name": ("", "Europol 20"),
    "country": ("Japan", "France"),
    "countries": ("France", "Japan"),
    "item": ("", "9999 kg of cocaine"),
    "unit": ("9999 EUR",) * 2,
    "quantity": (-5, 9999),
    "value": (9007199254740993, 9999),
    "evidence": ("arrested 9999 people",) * 2,
    "start_date": ("2023-11-25",) * 2,
    "end_date": ("2023-11-26",) * 2,
}


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        schema = {**root.get("$defs", {}).get(name, {}), **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _leaf_pool(schema: dict[str, Any]) -> list[Any]:
    types = schema.get("type")
    if "enum" in schema:
        return [*schema["enum"], "not_a_choice"]
    if types == "string":
        return HOSTILE_STRINGS
    if types in {"integer", "number"}:
        return HOSTILE_NUMBERS
    if types == "boolean":
        return [True, False]
    return HOSTILE_STRINGS + HOSTILE_NUMBERS


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    """Does a hostile value still fit the JSON schema (so that only the summariser can stop it)?"""
    kind = schema.get("type")
    if "enum" in schema:
        return value in schema["enum"]
    if kind == "string":
        return isinstance(value, str) and len(value) <= schema.get("maxLength", 10**9)
    if kind in {"integer", "number"}:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if kind == "integer" and not isinstance(value, int):
            return False
        return not (math.isfinite(value) and value < schema.get("minimum", -math.inf))
    return True


def hostile_strategy(
    schema: dict[str, Any], root: dict[str, Any] | None = None, depth: int = 0, *, wild: bool = False
) -> st.SearchStrategy[Any]:
    """Hostile arguments for `schema`; `wild` adds values that break it (wrong types, over-long strings)."""
    root = root or schema
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        return st.one_of([hostile_strategy(s, root, depth, wild=wild) for s in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        fields = {n: hostile_strategy(sub, root, depth + 1, wild=wild) for n, sub in schema["properties"].items()}
        return st.fixed_dictionaries(fields)
    if kind == "array":
        items = hostile_strategy(schema.get("items", {}), root, depth + 1, wild=wild)
        size = 14 if wild else schema.get("maxItems", 14)
        return st.lists(items, max_size=min(size, 14 if depth < 2 else 3))
    if kind == "null":
        return st.none()
    pool = _leaf_pool(schema)
    if wild:
        return st.one_of(st.sampled_from(pool), st.sampled_from(_WRONG_TYPES), _schema_leaf(schema))
    fitting = [v for v in pool if _fits(v, schema)]
    return st.one_of(st.sampled_from(fitting), _schema_leaf(schema)) if fitting else _schema_leaf(schema)


def _schema_leaf(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    from hypothesis_jsonschema import from_schema

    leaf = {k: v for k, v in schema.items() if k in {"type", "enum", "maxLength", "minimum", "maximum", "minLength"}}
    return from_schema(leaf) if leaf else st.none()


def hostile_arguments(schema: dict[str, Any], k: int, root: dict[str, Any] | None = None, path: str = "") -> Any:
    """One deterministic hostile filling of `schema`: variant `k` picks different values per field."""
    root = root or schema
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if _resolve(s, root).get("type") != "null"] or schema["anyOf"]
        return hostile_arguments(options[0], k, root, path)
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        return {n: hostile_arguments(s, k, root, f"{path}.{n}") for n, s in schema["properties"].items()}
    if kind == "array":
        n = min(3, schema.get("maxItems", 3))
        return [hostile_arguments(schema.get("items", {}), k + i, root, f"{path}[{i}]") for i in range(n)]
    if kind == "boolean":
        return True  # "relevant": a hostile model claims relevance, or every other field is cleared
    key = re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]
    if k % 4 == 0 and key in _TARGETED and "enum" not in schema:  # the breaks of issue 10, field by field
        first = path.endswith("[0]") or "[0]." in path
        value = _TARGETED[key][0 if first else -1]
        if _fits(value, schema):
            return value
    pool = _leaf_pool(schema)
    if k % 2 == 0 or "enum" in schema:  # even variants fit the schema: only the summariser can stop them
        pool = [v for v in pool if _fits(v, schema)] or pool
    return pool[(k + sum(map(ord, path))) % len(pool)]


# --- the oracle -------------------------------------------------------------------------------------

_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion"
).split()
_ROMAN = re.compile(r"\b(?=[MDCLXVI]{2,}\b)M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})\b")


def _strings(summary: dict[str, Any]) -> list[tuple[str, str]]:
    out = [("summary", summary.get("summary") or ""), ("operation_name", summary.get("operation_name") or "")]
    out += [("countries", c) for c in summary.get("countries", [])]
    for a in summary.get("agencies", []):
        out += [("agency", a["name"]), ("agency country", a.get("country") or "")]
    for s in summary.get("seizures", []):
        out += [("item", s["item"]), ("unit", s.get("unit") or ""), ("evidence", s.get("evidence") or "")]
    for f in ("suspects_identified", "arrests", "searches", "victims_identified"):
        if summary.get(f):
            out.append((f, summary[f].get("evidence") or ""))
    return out


def leaks(summary: dict[str, Any], article: str) -> list[str]:
    """Everything in a summary (JSON form) that states a number or a date the article does not."""
    text = unicodedata.normalize("NFKC", article)
    digit_runs = set(re.findall(r"\d+", text))
    article_numbers = {int(r) for r in digit_runs} | {
        int(re.sub(r"\D", "", g)) for g in re.findall(r"\d[\d ,.]*\d", text)
    }
    words = set(re.findall(r"[a-z]+", text.casefold()))
    article_numbers |= {i + 1 for i, w in enumerate(_WORDS[:20]) if w in words}  # "Two victims"
    found = []
    for field, value in _strings(summary):
        value_nfkc = unicodedata.normalize("NFKC", value)
        found += [
            f"{field}: digits {r}"
            for r in re.findall(r"\d+", value_nfkc)
            if r not in digit_runs and int(r) not in article_numbers
        ]
        found += [
            f"{field}: word {w}" for w in re.findall(r"[a-z]+", value.casefold()) if w in _WORDS and w not in words
        ]
        found += [f"{field}: fraction {c}" for c in value if unicodedata.numeric(c, 0) % 1 and c not in article]
        found += [
            f"{field}: roman {m.group(0)}" for m in _ROMAN.finditer(value) if m.group(0) and m.group(0) not in text
        ]
    for f in ("suspects_identified", "arrests", "searches", "victims_identified"):
        if summary.get(f) and summary[f]["value"] not in article_numbers:
            found.append(f"{f}: value {summary[f]['value']}")
    for s in summary.get("seizures", []):
        q = s.get("quantity")
        if (
            q is not None
            and not (q == int(q) and int(q) in article_numbers)
            and str(q).rstrip("0").rstrip(".") not in text
        ):
            if not any(abs(q - n * m) < 1e-6 for n in article_numbers for m in (1, 1_000, 1_000_000, 1_000_000_000)):
                found.append(f"seizure quantity {q}")
    for f in ("start_date", "end_date"):
        d = summary.get(f)
        if d:
            parts = [str(int(p)) for p in d.split("-")]
            found += [f"{f}: {d}" for p in parts[:1] if p not in digit_runs]
            found += [
                f"{f}: {d}"
                for p in parts[2:]
                if p not in digit_runs and not re.search(r"day|today|yesterday", text, re.I)
            ]
    return found

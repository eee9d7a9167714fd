"""What a strategy gets to work with for one article, and the mapping of the model's drafts to the schema.

The drafts the model fills are looser than `OperationSummary` in places (an empty agency name, a
negative or NaN quantity, a string over its bound after the last re-ask). The mapping here never
lets that become an exception: the offending item is dropped, trimmed or nulled, with a warning.
The drafts' JSON schemas are part of every cached response's key, so they stay as they are: the
tolerance lives in validators and in the mapping, which do not change the schema.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service.article import Article
from service.backends.base import Backend, Usage
from service.deadline import Deadline
from service.errors import BackendBadOutput
from service.prompts import PromptVersion
from service.schema import MAX_AGENCIES, MAX_COUNTRIES, MAX_CRIME_TYPES, Agency, CrimeType, Role, check_iso_date

__all__ = [
    "RunContext",
    "DraftAgency",
    "EntityFields",
    "iso_date_or_none",
    "agencies_from_drafts",
    "quantity_or_none",
    "parse_tolerant",
    "summary_or_backend_error",
]

T = TypeVar("T", bound=BaseModel)
_MAX_REPAIRS = 200


# An agency as the model fills it (bounded strings, a closed set of roles). No docstring: it would
# become part of the JSON schema sent to the model, and so of every cached response's key.
class DraftAgency(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(max_length=80)
    country: str | None = Field(max_length=40)
    role: Role

    def to_agency(self) -> Agency:
        return Agency(name=self.name, country=self.country, role=self.role)


def agencies_from_drafts(drafts: list[DraftAgency], warnings: list[str]) -> list[Agency]:
    """The drafted agencies that make an `Agency`; one with an empty name is dropped, with a warning."""
    out = []
    for i, draft in enumerate(drafts):
        name = draft.name.strip()
        if not name:
            warnings.append(f"agencies[{i}] dropped: empty name")
            continue
        try:
            out.append(Agency(name=name, country=(draft.country or "").strip() or None, role=draft.role))
        except ValidationError as exc:
            warnings.append(f"agencies[{i}] dropped: {_errors_in_brief(exc)}")
    return out


def quantity_or_none(value: float | int | None, where: str, warnings: list[str]) -> float | int | None:
    """A drafted quantity if it is a finite number >= 0, else null with a warning (integers stay integers)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        warnings.append(f"{where}: quantity set to null: not a finite number")
        return None
    if value < 0:
        warnings.append(f"{where}: quantity set to null: negative")
        return None
    return value


def _errors_in_brief(exc: ValidationError) -> str:
    """Field and error type of each error, never the input value (it may be article text)."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['type']}" for e in exc.errors()[:5])


def summary_or_backend_error(data: dict[str, Any]) -> Any:
    """`OperationSummary.model_validate(data)`; a failure is the model's, so a `BackendBadOutput`."""
    from service.schema import OperationSummary

    try:
        return OperationSummary.model_validate(data)
    except ValidationError as exc:
        raise BackendBadOutput(f"the model's output does not fit the summary schema ({_errors_in_brief(exc)})") from exc


def parse_tolerant(arguments: str | None, model: type[T], *, step: str, warnings: list[str]) -> T:
    """The last raw output parsed without grounding checks, repaired where one part of it breaks the model:
    an over-long string is trimmed, an over-long list cut, a list item that does not fit dropped, a field
    that does not fit nulled. Output that cannot be repaired so (not JSON, a required field unusable)
    is a `BackendBadOutput`."""
    if not arguments:
        raise BackendBadOutput("the backend returned no structured output")
    try:
        data = json.loads(arguments)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise BackendBadOutput(f"the backend returned malformed JSON for step {step!r}") from exc
    for _ in range(_MAX_REPAIRS):
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            if not isinstance(data, dict) or not _repair(data, exc.errors(include_input=False)[0], step, warnings):
                raise BackendBadOutput(
                    f"the backend's output for step {step!r} does not fit {model.__name__} ({_errors_in_brief(exc)})"
                ) from exc
    raise BackendBadOutput(f"the backend's output for step {step!r} needs too many repairs")


def _repair(data: dict[str, Any], error: Any, step: str, warnings: list[str]) -> bool:
    """Fix one validation error in place; False when it cannot be fixed."""
    loc = list(error["loc"])
    path = ".".join(map(str, loc))
    parent: Any = data
    try:
        for key in loc[:-1]:
            parent = parent[key]
        leaf = loc[-1] if loc else None
        if error["type"] == "string_too_long" and leaf is not None and isinstance(parent[leaf], str):
            parent[leaf] = parent[leaf][: error["ctx"]["max_length"]]
            warnings.append(f"{step}: {path} trimmed to {error['ctx']['max_length']} characters")
            return True
        if error["type"] == "too_long" and leaf is not None and isinstance(parent[leaf], list):
            del parent[leaf][error["ctx"]["max_length"] :]
            warnings.append(f"{step}: {path} cut to {error['ctx']['max_length']} items")
            return True
    except (KeyError, IndexError, TypeError):
        return False
    indices = [i for i, key in enumerate(loc) if isinstance(key, int)]
    if indices:  # one item of a list does not fit: drop that item
        cut = indices[-1]
        container: Any = data
        for key in loc[:cut]:
            container = container[key]
        if isinstance(container, list) and 0 <= loc[cut] < len(container):
            del container[loc[cut]]
            warnings.append(f"{step}: {'.'.join(map(str, loc[: cut + 1]))} dropped ({error['type']})")
            return True
        return False
    if error["type"] == "missing" and len(loc) == 1 and isinstance(loc[0], str) and loc[0] not in data:
        data[loc[0]] = None  # a field left out: null (a required non-null field then fails cleanly)
        warnings.append(f"{step}: {loc[0]} missing, set to null")
        return True
    if loc and isinstance(loc[0], str) and data.get(loc[0]) is not None:
        data[loc[0]] = None  # one field does not fit: null it (a required non-null field then fails cleanly)
        warnings.append(f"{step}: {loc[0]} set to null ({error['type']})")
        return True
    return False


class EntityFields(BaseModel):
    """The non-numeric fields both strategies ask for, in the order the model fills them."""

    model_config = ConfigDict(extra="ignore")
    relevant: bool
    operation_name: str | None = Field(max_length=60)
    crime_types: list[CrimeType] = Field(max_length=MAX_CRIME_TYPES)
    agencies: list[DraftAgency] = Field(max_length=MAX_AGENCIES)
    countries: list[Annotated[str, Field(max_length=40)]] = Field(max_length=MAX_COUNTRIES)
    start_date: str | None = Field(max_length=10)
    end_date: str | None = Field(max_length=10)


def iso_date_or_none(value: str | None) -> str | None:
    """The model's date if it is ISO 8601, else null (a malformed date is no date)."""
    try:
        return check_iso_date(value)
    except ValueError:
        return None


@dataclass
class RunContext:
    """One request: `analysis` is the one `Article` every stage reads; `article` is its text, as sent."""

    article: str
    title: str | None
    prompt: PromptVersion
    backend: Backend
    max_tokens: int
    usage: Usage = field(default_factory=Usage)
    warnings: list[str] = field(default_factory=list)
    # the work's deadline and cancel switch: the backends check it before every LLM call
    deadline: Deadline = field(default_factory=Deadline)
    analysis: Article | None = None

    def __post_init__(self) -> None:
        if self.analysis is None:
            self.analysis = Article.from_text(self.article)
        self.article = self.analysis.text

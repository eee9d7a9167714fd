"""What a strategy gets to work with for one article."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from service.backends.base import Backend, Usage
from service.deadline import Deadline
from service.prompts import PromptVersion
from service.schema import MAX_AGENCIES, MAX_COUNTRIES, MAX_CRIME_TYPES, Agency, CrimeType, Role, check_iso_date

__all__ = ["RunContext", "DraftAgency", "EntityFields", "iso_date_or_none"]


# An agency as the model fills it (bounded strings, a closed set of roles). No docstring: it would
# become part of the JSON schema sent to the model, and so of every cached response's key.
class DraftAgency(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(max_length=80)
    country: str | None = Field(max_length=40)
    role: Role

    def to_agency(self) -> Agency:
        return Agency(name=self.name, country=self.country, role=self.role)


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
    article: str
    title: str | None
    prompt: PromptVersion
    backend: Backend
    max_tokens: int
    usage: Usage = field(default_factory=Usage)
    warnings: list[str] = field(default_factory=list)
    # the work's deadline and cancel switch: the backends check it before every LLM call
    deadline: Deadline = field(default_factory=Deadline)

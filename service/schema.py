"""The operation schema: SPEC §2 in pydantic v2. This module is the contract.

Everything that leaves opsum (the CLI, the HTTP API, a predictions file) is an
`OperationSummary`. The models here check shape and value conventions only (ISO dates,
enums, duplicates); checking values against an article is `service.grounding`'s job.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "Agency",
    "Count",
    "CrimeType",
    "OperationSummary",
    "Qualifier",
    "Role",
    "Seizure",
    "COUNT_FIELDS",
    "MAX_AGENCIES",
    "MAX_COUNTRIES",
    "MAX_SEIZURES",
    "normalise_name",
]

MAX_AGENCIES = 12
MAX_COUNTRIES = 30
MAX_SEIZURES = 10
MAX_CRIME_TYPES = 4
COUNT_FIELDS = ("suspects_identified", "arrests", "searches", "victims_identified")


class CrimeType(StrEnum):
    child_sexual_exploitation = "child_sexual_exploitation"
    drug_trafficking = "drug_trafficking"
    cybercrime = "cybercrime"
    fraud = "fraud"
    money_laundering = "money_laundering"
    human_trafficking = "human_trafficking"
    migrant_smuggling = "migrant_smuggling"
    firearms_trafficking = "firearms_trafficking"
    terrorism = "terrorism"
    property_crime = "property_crime"
    counterfeiting = "counterfeiting"
    environmental_crime = "environmental_crime"
    corruption = "corruption"
    violent_crime = "violent_crime"
    other = "other"


class Role(StrEnum):
    lead = "lead"
    coordinator = "coordinator"
    participant = "participant"
    supporter = "supporter"


class Qualifier(StrEnum):
    exact = "exact"
    approximate = "approximate"
    lower_bound = "lower_bound"
    upper_bound = "upper_bound"


_ISO_DATE = re.compile(r"^\d{4}(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?$")


def normalise_name(name: str) -> str:
    """Case-, accent-, punctuation- and article-insensitive form of a name (SPEC §4)."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    joined = re.sub(r"(?<=\w)[.'’](?=\w)|(?<=\b\w)\.", "", stripped.casefold())  # "U.S." = "US", "Attorney's"
    words = re.sub(r"[^\w\s]", " ", joined).split()
    return " ".join(w for w in words if w not in {"the", "a", "an"})


def check_iso_date(value: str | None) -> str | None:
    """`YYYY-MM-DD`, `YYYY-MM` or `YYYY`; anything else is an error."""
    if value is None:
        return None
    value = value.strip()
    if not _ISO_DATE.match(value):
        raise ValueError(f"date {value!r} is not ISO 8601 (YYYY-MM-DD, YYYY-MM or YYYY)")
    if len(value) == 10:
        import datetime as _dt

        try:
            _dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"date {value!r} does not exist") from exc
    return value


Evidence = Annotated[str | None, Field(default=None, max_length=400)]


class Agency(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=120, description="The agency as the article names it.")
    country: str | None = Field(default=None, max_length=60, description="Its country; null for international bodies.")
    role: Role = Role.participant


class Count(BaseModel):
    model_config = ConfigDict(extra="ignore")

    value: int = Field(ge=0)
    qualifier: Qualifier = Qualifier.exact
    evidence: Evidence = None


class Seizure(BaseModel):
    model_config = ConfigDict(extra="ignore")

    item: str = Field(min_length=1, max_length=80)
    # an int stays an int (no float round trip for 9007199254740993); a float must be finite
    quantity: Annotated[int, Field(ge=0)] | Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    unit: str | None = Field(default=None, max_length=20)
    qualifier: Qualifier = Qualifier.exact
    evidence: Evidence = None


class OperationSummary(BaseModel):
    """SPEC §2. Every field has a safe empty default so partial predictions can be scored."""

    model_config = ConfigDict(extra="ignore")

    relevant: bool = False
    summary: str = Field(default="", max_length=1200)
    operation_name: str | None = Field(default=None, max_length=80)
    crime_types: list[CrimeType] = Field(default_factory=list, max_length=len(CrimeType))
    agencies: list[Agency] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    start_date: str | None = None
    end_date: str | None = None
    suspects_identified: Count | None = None
    arrests: Count | None = None
    searches: Count | None = None
    victims_identified: Count | None = None
    seizures: list[Seizure] = Field(default_factory=list)

    @field_validator("start_date", "end_date")
    @classmethod
    def _iso_date(cls, value: str | None) -> str | None:
        return check_iso_date(value)

    @field_validator("operation_name")
    @classmethod
    def _strip_operation_word(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = re.sub(r"^\s*operation\s+", "", value.strip(), flags=re.IGNORECASE).strip(" \"'“”")
        return value or None

    @model_validator(mode="after")
    def _deduplicate(self) -> OperationSummary:
        self.crime_types = list(dict.fromkeys(self.crime_types))
        self.countries = _unique(self.countries, key=normalise_name)
        self.agencies = _unique(self.agencies, key=lambda a: normalise_name(a.name))
        self.seizures = _unique(self.seizures, key=lambda s: (normalise_name(s.item), s.quantity, s.unit))
        return self

    def counts(self) -> dict[str, Count | None]:
        return {name: getattr(self, name) for name in COUNT_FIELDS}


def _unique(items: list[Any], key: Any) -> list[Any]:
    seen: set[Any] = set()
    out = []
    for item in items:
        k = key(item)
        if k in seen:
            continue
        seen.add(k)
        out.append(item)
    return out

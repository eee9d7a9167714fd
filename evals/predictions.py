"""Reading other systems' predictions (SPEC §5) leniently.

The bounds of `service.schema` (an 80-character seizure item, a 400-character evidence span) are
there for the model; another system's output that follows SPEC §5 but writes an 84-character
item must still be scored. `ScoredSummary` is the schema without those bounds, and
`parse_prediction` drops (with a warning naming it) any value that still does not fit, rather
than refusing the whole file: a bad `crime_types` entry is skipped, a count with a non-integer
value becomes null, an unknown qualifier falls back to `exact`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError

from service.schema import Agency, Count, OperationSummary, Seizure

__all__ = ["ScoredSummary", "parse_prediction"]

_MAX_REPAIRS = 200


class _Agency(Agency):
    name: str = Field(min_length=1)
    country: str | None = None


class _Count(Count):
    evidence: str | None = None


class _Seizure(Seizure):
    item: str = Field(min_length=1)
    unit: str | None = None
    evidence: str | None = None


class ScoredSummary(OperationSummary):
    """`OperationSummary` with the model-facing length bounds lifted (what a scorer accepts)."""

    summary: str = ""
    operation_name: str | None = None
    agencies: list[_Agency] = Field(default_factory=list)  # type: ignore[assignment]
    suspects_identified: _Count | None = None
    arrests: _Count | None = None
    searches: _Count | None = None
    victims_identified: _Count | None = None
    seizures: list[_Seizure] = Field(default_factory=list)  # type: ignore[assignment]


_COUNTS = ("suspects_identified", "arrests", "searches", "victims_identified")


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    if out.get("summary") is None:
        out.pop("summary", None)  # SPEC §5: summary text may be missing or null
    for name in _COUNTS:  # a bare number for a count: the value without evidence
        if isinstance(out.get(name), (int, float)) and not isinstance(out.get(name), bool):
            out[name] = {"value": out[name]}
    return out


def _drop(data: Any, loc: tuple[Any, ...]) -> str | None:
    """Remove the value at `loc` (or its nearest existing container); the path removed, or None."""
    for depth in range(len(loc), 0, -1):
        parent = data
        try:
            for key in loc[: depth - 1]:
                parent = parent[key]
            key = loc[depth - 1]
            if (
                isinstance(parent, dict)
                and key in parent
                or isinstance(parent, list)
                and isinstance(key, int)
                and 0 <= key < len(parent)
            ):
                del parent[key]
            else:
                continue
        except (KeyError, IndexError, TypeError):
            continue
        return ".".join(str(k) for k in loc[:depth])
    return None


def parse_prediction(data: Any) -> tuple[ScoredSummary, list[str]]:
    """A SPEC §2 summary from another system, and a warning for every value that had to be dropped.
    Raises TypeError when `data` is not a JSON object at all."""
    if not isinstance(data, dict):
        raise TypeError(f"a summary must be a JSON object, not {type(data).__name__}")
    work = _normalise(data)
    warnings: list[str] = []
    for _ in range(_MAX_REPAIRS):
        try:
            return ScoredSummary.model_validate(work), warnings
        except ValidationError as exc:
            err = exc.errors()[0]
            where = _drop(work, tuple(err["loc"]))
            if where is None:
                raise TypeError(f"the summary does not fit SPEC §2: {err['msg']}") from exc
            if warnings and warnings[-1].startswith(where + "."):
                # the container of a value dropped a moment ago went too (a required field): one warning
                warnings[-1] = where + warnings[-1][warnings[-1].index(":") :]
            else:
                warnings.append(f"{where}: {err['msg']} (value ignored)")
    raise TypeError("the summary does not fit SPEC §2 (too many invalid values)")

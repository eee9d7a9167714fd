"""Strategy `schema_fill`: one call fills the whole schema; evidence is checked, then re-asked.

The model writes each number's quote before its value, so the value is read off words it has
just copied. The grounding checks run as a pydantic validator bound to this one article, so a
failed check goes back to the model as a re-ask; after the last re-ask the failing fields are
nulled by `service.grounding.ground` with a warning.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from service.article import Article
from service.backends.base import ExtractionFailed
from service.errors import BackendBadOutput
from service.grounding import problems, snap_evidence, span_in_text
from service.schema import (
    MAX_SEIZURES,
    Count,
    OperationSummary,
    Seizure,
)
from service.strategies.common import (
    EntityFields,
    RunContext,
    agencies_from_drafts,
    iso_date_or_none,
    parse_tolerant,
    quantity_or_none,
    summary_or_backend_error,
)

__all__ = ["run", "Draft"]


class DraftCount(BaseModel):
    model_config = ConfigDict(extra="ignore")
    evidence: str = Field(max_length=160, description="the shortest verbatim quote that states the number")
    value: int = Field(ge=0, description="the number written in the quote")


class DraftSeizure(BaseModel):
    model_config = ConfigDict(extra="ignore")
    item: str = Field(max_length=50)
    evidence: str | None = Field(max_length=160)
    quantity: float | None
    unit: str | None = Field(max_length=12)

    @field_validator("quantity", mode="wrap")
    @classmethod
    def _integers_stay_integers(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # 9007199254740993 must not become ...992; the JSON schema (a number) is unchanged
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return handler(value)


class Draft(EntityFields):
    """What the model fills. Every field is required (nullable where it may be empty)."""

    suspects_identified: DraftCount | None
    arrests: DraftCount | None
    searches: DraftCount | None
    victims_identified: DraftCount | None
    seizures: list[DraftSeizure] = Field(max_length=MAX_SEIZURES)
    summary: str = Field(max_length=600)

    def to_summary(self, warnings: list[str] | None = None) -> OperationSummary:
        """The draft as an `OperationSummary`; what does not fit the schema is dropped or nulled (see
        `service.strategies.common`), with a warning in `warnings`."""
        notes: list[str] = [] if warnings is None else warnings

        def count(c: DraftCount | None) -> Count | None:
            return None if c is None else Count(value=c.value, evidence=c.evidence)

        data = {
            "relevant": self.relevant,
            "summary": self.summary,
            "operation_name": self.operation_name,
            "crime_types": self.crime_types,
            "agencies": agencies_from_drafts(self.agencies, notes),
            "countries": self.countries,
            "start_date": iso_date_or_none(self.start_date),
            "end_date": iso_date_or_none(self.end_date),
            "suspects_identified": count(self.suspects_identified),
            "arrests": count(self.arrests),
            "searches": count(self.searches),
            "victims_identified": count(self.victims_identified),
            "seizures": _seizures(self.seizures, notes),
        }
        return summary_or_backend_error(data)  # type: ignore[no-any-return]


def _seizures(drafts: list[DraftSeizure], warnings: list[str]) -> list[Seizure]:
    out = []
    for i, s in enumerate(drafts):
        if not s.item.strip():
            warnings.append(f"seizures[{i}] dropped: empty item")
            continue
        quantity = quantity_or_none(s.quantity, f"seizures[{i}]", warnings)
        try:
            out.append(Seizure(item=s.item.strip(), quantity=quantity, unit=s.unit, evidence=s.evidence))
        except ValidationError as exc:
            warnings.append(f"seizures[{i}] dropped: {exc.error_count()} schema errors")
    return out


def _grounded_model(article: Article) -> type[Draft]:
    """`Draft` with the grounding checks bound to one article: failures become re-asks."""

    class GroundedDraft(Draft):
        @model_validator(mode="after")
        def _grounded(self) -> GroundedDraft:
            from service.schema import check_iso_date

            for field in ("start_date", "end_date"):
                check_iso_date(getattr(self, field))
            _snap_draft(self, article)
            try:
                summary = self.to_summary()
            except BackendBadOutput as exc:
                raise ValueError(str(exc)) from exc  # a re-ask, like any other check
            found = problems(summary, article)
            if found:
                raise ValueError("; ".join(str(p) for p in found))
            return self

    GroundedDraft.__name__ = "OperationSummary"
    GroundedDraft.__doc__ = "The structured summary of the article's main law-enforcement operation."
    return GroundedDraft


def _snap_draft(draft: Draft, article: Article) -> None:
    """Re-anchor paraphrased evidence to the article's own words before judging it."""
    for name in ("suspects_identified", "arrests", "searches", "victims_identified"):
        count = getattr(draft, name)
        if count is not None and not span_in_text(count.evidence, article):
            count.evidence = snap_evidence(count.evidence, count.value, article) or count.evidence
    for seizure in draft.seizures:
        if seizure.quantity is not None and seizure.evidence and not span_in_text(seizure.evidence, article):
            seizure.evidence = snap_evidence(seizure.evidence, seizure.quantity, article) or seizure.evidence


def run(ctx: RunContext) -> OperationSummary:
    step = ctx.prompt.step("extract")
    messages = step.messages(article=ctx.article, title=ctx.title or "(none)")
    try:
        draft = ctx.backend.extract(
            messages,
            _grounded_model(ctx.analysis or Article.from_text(ctx.article)),
            step="extract",
            usage=ctx.usage,
            max_tokens=ctx.max_tokens,
        )
    except ExtractionFailed as exc:
        ctx.warnings.append(f"extract: no fully grounded answer after re-asks ({exc.errors[-1][:200]})")
        draft = parse_tolerant(exc.last_arguments, Draft, step="extract", warnings=ctx.warnings)
    return draft.to_summary(ctx.warnings)

"""Strategy `schema_fill`: one call fills the whole schema; evidence is checked, then re-asked.

The model writes each number's quote before its value, so the value is read off words it has
just copied. The grounding checks run as a pydantic validator bound to this one article, so a
failed check goes back to the model as a re-ask; after the last re-ask the failing fields are
nulled by `service.grounding.ground` with a warning.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.article import Article
from service.backends.base import ExtractionFailed, parse_lenient
from service.grounding import problems, snap_evidence, span_in_text
from service.schema import (
    MAX_SEIZURES,
    Count,
    OperationSummary,
    Seizure,
)
from service.strategies.common import EntityFields, RunContext, iso_date_or_none

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


class Draft(EntityFields):
    """What the model fills. Every field is required (nullable where it may be empty)."""

    suspects_identified: DraftCount | None
    arrests: DraftCount | None
    searches: DraftCount | None
    victims_identified: DraftCount | None
    seizures: list[DraftSeizure] = Field(max_length=MAX_SEIZURES)
    summary: str = Field(max_length=600)

    def to_summary(self) -> OperationSummary:
        def count(c: DraftCount | None) -> Count | None:
            return None if c is None else Count(value=c.value, evidence=c.evidence)

        data = {
            "relevant": self.relevant,
            "summary": self.summary,
            "operation_name": self.operation_name,
            "crime_types": self.crime_types,
            "agencies": [a.to_agency() for a in self.agencies],
            "countries": self.countries,
            "start_date": iso_date_or_none(self.start_date),
            "end_date": iso_date_or_none(self.end_date),
            "suspects_identified": count(self.suspects_identified),
            "arrests": count(self.arrests),
            "searches": count(self.searches),
            "victims_identified": count(self.victims_identified),
            "seizures": [
                Seizure(item=s.item, quantity=s.quantity, unit=s.unit, evidence=s.evidence) for s in self.seizures
            ],
        }
        return OperationSummary.model_validate(data)


def _grounded_model(article: Article) -> type[Draft]:
    """`Draft` with the grounding checks bound to one article: failures become re-asks."""

    class GroundedDraft(Draft):
        @model_validator(mode="after")
        def _grounded(self) -> GroundedDraft:
            from service.schema import check_iso_date

            for field in ("start_date", "end_date"):
                check_iso_date(getattr(self, field))
            _snap_draft(self, article)
            found = problems(self.to_summary(), article)
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
        draft = parse_lenient(exc.last_arguments, Draft)
    return draft.to_summary()

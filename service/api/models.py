"""Request and response bodies of the HTTP API (SPEC §5).

The request models are built per app (`request_models`): the prompt versions the server knows
and its batch bound go into the OpenAPI schema, so clients and fuzzers see the real limits.
Response models document the answers; the handlers answer with plain JSON.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from service.schema import OperationSummary

__all__ = [
    "ArticleFields",
    "request_models",
    "SummariseResponse",
    "QueueStatus",
    "BatchResponse",
    "PromptsResponse",
    "ExamplesResponse",
    "ExampleOut",
    "HealthResponse",
    "ReadyResponse",
]

MAX_TITLE = 1000


def _valid_unicode(value: str | None) -> str | None:
    if value is not None:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("the string holds unpaired surrogates: it is not valid Unicode text") from None
    return value


class ArticleFields(BaseModel):
    """One article to summarise (the prompt version field is added per app)."""

    model_config = ConfigDict(extra="ignore")

    text: str = Field(
        description="the article's full text (UTF-8, at most the server's OPSUM_MAX_CHARS characters)",
        json_schema_extra={"minLength": 1, "pattern": r"\S"},
        examples=["Police in Slovenia arrested 3 suspects and searched 41 houses during the operation."],
    )
    title: str | None = Field(default=None, max_length=MAX_TITLE, description="the headline, if not in the text")

    @field_validator("text", "title")
    @classmethod
    def _unicode(cls, value: str | None) -> str | None:
        return _valid_unicode(value)


def request_models(
    prompt_versions: list[str], default_version: str, batch_max: int
) -> tuple[type[ArticleFields], type[BaseModel]]:
    """`(SummariseRequest, BatchRequest)` for this server's prompt versions and batch bound."""
    version_type: Any = Literal.__getitem__(tuple(prompt_versions)) if prompt_versions else str
    version_field = (
        version_type | None,
        Field(default=None, description=f"a prompt version from GET /v1/prompts; default {default_version}"),
    )
    summarise = create_model(
        "SummariseRequest",
        __base__=ArticleFields,
        prompt_version=version_field,
    )
    # Any: a model built at run time, which mypy takes in list[item] only as Any (not as a variable)
    item: Any = create_model(
        "BatchItem",
        __base__=summarise,
        # no minLength/pattern here: a blank item is that item's 422, not the whole batch's
        text=(str, Field(description="the article's full text; an unusable one gets its own problem")),
        id=(str | None, Field(default=None, max_length=200, description="your ID, echoed in the result")),
    )
    batch = create_model(
        "BatchRequest",
        __config__=ConfigDict(extra="ignore"),
        items=(
            list[item],
            Field(
                min_length=1,
                max_length=batch_max,
                description=f"1 to {batch_max} articles",
            ),
        ),
    )
    return summarise, batch


class Meta(BaseModel):
    """How the summary was made (SPEC §5); more keys may be present."""

    model_config = ConfigDict(extra="allow")

    model: str
    prompt_version: str
    prompt_hash: str
    llm_calls: int
    prompt_tokens: int
    completion_tokens: int
    latency_ms: float
    warnings: list[str]
    queue_ms: float | None = Field(default=None, description="time spent waiting for a free slot")
    injection_spans: list[list[int]] = Field(
        default_factory=list,
        description="[start, end) character offsets, into the text as sent, of sentences that address the model "
        "(ignored as instructions; no number or name is taken from them)",
    )


class SummariseResponse(BaseModel):
    summary: OperationSummary
    meta: Meta


class BatchItemResult(BaseModel):
    index: int = Field(description="the item's position in the request")
    id: str | None = None
    status: int = Field(description="the HTTP status this item would have had on its own")
    summary: OperationSummary | None = None
    meta: Meta | None = None
    problem: dict[str, Any] | None = Field(default=None, description="an RFC 9457 problem, when status is not 200")


class BatchResponse(BaseModel):
    results: list[BatchItemResult]
    succeeded: int
    failed: int


class PromptInfo(BaseModel):
    version: str
    hash: str
    description: str
    date: str
    strategy: str
    default: bool


class PromptsResponse(BaseModel):
    default: str
    prompts: list[PromptInfo]


class ExampleBrief(BaseModel):
    id: str
    title: str
    chars: int


class ExamplesResponse(BaseModel):
    examples: list[ExampleBrief]


class ExampleOut(BaseModel):
    id: str
    title: str
    text: str


class HealthResponse(BaseModel):
    status: Literal["ok"]


class ReadyResponse(BaseModel):
    status: Literal["ready"]
    backend: str
    model: str
    queue: dict[str, int]


class QueueStatus(BaseModel):
    request_id: str
    state: Literal["queued", "running"]
    position: int | None = Field(description="1 for the first in the queue; null once running")
    queued_items: int = Field(description="items of this request still waiting (a batch has several)")
    running_items: int
    slots: int
    running: int
    waiting: int
    queue_size: int

"""Article in, `OperationSummary` and meta out: the core that every face calls."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from service.article import Article
from service.backends import Backend, make_backend
from service.deadline import Deadline, deadline_scope
from service.grounding import ground, locate
from service.inputs import check_article, looks_english
from service.prompts import PromptRegistry, PromptVersion
from service.schema import OperationSummary
from service.settings import Settings
from service.strategies import STRATEGIES, RunContext

__all__ = ["Summariser", "SummaryResult"]

log = logging.getLogger(__name__)


@dataclass
class SummaryResult:
    summary: OperationSummary
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary.model_dump(mode="json"), "meta": self.meta}


def _spans_in_given_text(analysis: Article, given: str) -> list[list[int]]:
    """The injected sentences as offsets of the text as the caller gave it (the page marks them there).

    The analysis reads a stripped, NFC, mojibake-repaired text; where that differs from what was given,
    each sentence is found again in the given text (one it cannot find is left out)."""
    lead = len(given) - len(given.lstrip())
    if analysis.text == given.strip():
        return [[start + lead, end + lead] for start, end in analysis.injections]
    spans = []
    for start, end in analysis.injections:
        found = locate(analysis.text[start:end], given)
        if found:
            spans.append(list(found[0]))
    return spans


def _without_transcript(call: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in call.items() if k not in {"messages", "response", "errors"}}


class Summariser:
    """Holds one backend (the embedded model is loaded once) and the prompt registry."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        backend: Backend | None = None,
        registry: PromptRegistry | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self.registry = registry or PromptRegistry(self.settings.prompts_dir)
        self._backend = backend

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = make_backend(self.settings)
        return self._backend

    def prompt(self, version: str | None) -> PromptVersion:
        return self.registry.get(version or self.settings.prompt_version)

    def summarise(
        self,
        text: str,
        title: str | None = None,
        prompt_version: str | None = None,
        *,
        deadline: Deadline | None = None,
    ) -> SummaryResult:
        """Summarise one article. Raises `InvalidArticle` for unusable input, `BackendError` on failure.

        Past `deadline` (or once it is cancelled) no further LLM call starts and the call in progress
        is cut: `DeadlineExceeded`, a `BackendTimeout`."""
        started = time.perf_counter()
        analysis = Article.from_text(check_article(text, self.settings.max_chars))  # the one analysis
        article = analysis.text
        prompt = self.prompt(prompt_version)
        backend = self.backend
        ctx = RunContext(
            article=article,
            title=title,
            prompt=prompt,
            backend=backend,
            max_tokens=self.settings.max_tokens,
            analysis=analysis,
            deadline=deadline or Deadline(),
        )
        injected = _spans_in_given_text(analysis, text)
        if not looks_english(article):
            summary = OperationSummary(relevant=False, summary="The text is not an English news article.")
            ctx.warnings.append("the text does not look like English: not summarised")
        else:
            if injected:
                ctx.warnings.append("the article contains instructions aimed at the model; they were ignored")
            with deadline_scope(ctx.deadline):
                raw = STRATEGIES[prompt.strategy](ctx)
            summary, grounding_warnings = ground(raw, analysis)
            ctx.warnings.extend(grounding_warnings)
        elapsed_ms = (time.perf_counter() - started) * 1000
        meta = {
            "backend": backend.name,
            "model": backend.model,
            "prompt_version": prompt.version,
            "prompt_hash": prompt.hash,
            "strategy": prompt.strategy,
            "llm_calls": ctx.usage.llm_calls,
            "retries": ctx.usage.retries,
            "reasks": ctx.usage.reasks,
            "prompt_tokens": ctx.usage.prompt_tokens,
            "completion_tokens": ctx.usage.completion_tokens,
            "latency_ms": round(elapsed_ms, 1),
            "calls": ctx.usage.calls
            if self.settings.transcripts
            else [_without_transcript(c) for c in ctx.usage.calls],
            "warnings": ctx.warnings,
            "injection_spans": injected,
        }
        log.info(
            "summarised chars=%d prompt=%s calls=%d tokens=%d+%d ms=%.0f warnings=%d",
            len(article),
            prompt.version,
            ctx.usage.llm_calls,
            ctx.usage.prompt_tokens,
            ctx.usage.completion_tokens,
            elapsed_ms,
            len(ctx.warnings),
        )
        return SummaryResult(summary=summary, meta=meta)

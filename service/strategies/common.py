"""What a strategy gets to work with for one article."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.backends.base import Backend, Usage
from service.prompts import PromptVersion

__all__ = ["RunContext"]


@dataclass
class RunContext:
    article: str
    title: str | None
    prompt: PromptVersion
    backend: Backend
    max_tokens: int
    usage: Usage = field(default_factory=Usage)
    warnings: list[str] = field(default_factory=list)

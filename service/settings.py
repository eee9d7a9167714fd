"""Configuration in one place: environment variables (prefix `OPSUM_`) and explicit overrides."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_cache_dir", "default_prompts_dir", "REPO_ROOT"]

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "opsum"


def default_prompts_dir() -> Path:
    """The prompt versions shipped as package data (`service/prompt_versions`, a link to the top-level
    `prompts/` in a checkout, a copy in the wheel), so an installed worker needs no checkout."""
    return Path(str(resources.files("service") / "prompt_versions"))


class Settings(BaseSettings):
    """Every knob opsum has. `Settings()` reads the environment; keyword arguments win."""

    model_config = SettingsConfigDict(env_prefix="OPSUM_", extra="ignore", populate_by_name=True)

    backend: Literal["embedded", "openai"] | None = Field(
        default=None,
        description="embedded (llama.cpp in process) or openai (any OpenAI-compatible endpoint); "
        "default: openai when a base URL or model name is set, else embedded",
    )
    base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint URL")
    api_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPSUM_API_KEY", "OPENAI_API_KEY", "api_key"),
        description="API key for the openai backend",
    )
    model: str | None = Field(default=None, description="model name for the openai backend")
    model_path: Path | None = Field(default=None, description="a GGUF file for the embedded backend")
    cache_dir: Path = Field(default_factory=default_cache_dir, description="where models and responses are cached")
    n_threads: int = Field(default_factory=lambda: max(1, os.cpu_count() or 1), ge=1)
    n_ctx: int = Field(default=8192, ge=1024)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    seed: int = 0
    max_tokens: int = Field(default=1024, ge=64, description="bound on each completion")
    max_reasks: int = Field(default=2, ge=0, le=5, description="instructor re-asks after a validation error")
    transport_retries: int = Field(default=2, ge=0, le=5, description="retries after HTTP 5xx / connection errors")
    timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="longest one LLM call to an OpenAI-compatible backend may take, connect and whole reply "
        "(not per read); the embedded model is bounded by max_tokens and the request's deadline",
    )
    max_reply_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=16 * 1024,
        description="largest HTTP reply accepted from an OpenAI-compatible backend; a longer one is abandoned unread",
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="log records as one line of text, or as one JSON object per line"
    )
    max_chars: int = Field(default=100_000, ge=100, description="longest article accepted")
    prompt_version: str = Field(default="v2-mined-mentions", description="default prompt version")
    prompts_dir: Path = Field(default_factory=default_prompts_dir)
    transcripts: bool = Field(
        default=False, description="keep each LLM call's messages (as sent) and raw response in meta.calls"
    )

    @model_validator(mode="after")
    def _pick_backend(self) -> Settings:
        if self.backend is None:
            self.backend = "openai" if (self.base_url or self.model) else "embedded"
        return self

    def with_overrides(self, **overrides: object) -> Settings:
        """A copy with the given non-None values replaced (CLI flags, request fields)."""
        data = self.model_dump()
        data.update({k: v for k, v in overrides.items() if v is not None})
        if overrides.get("backend") is None and ("base_url" in overrides or "model" in overrides):
            if overrides.get("base_url") or overrides.get("model"):
                data["backend"] = "openai"
        return Settings.model_validate(data)

"""The HTTP service's own knobs (environment prefix `OPSUM_`), apart from the core's `Settings`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from service.settings import REPO_ROOT

__all__ = ["ServiceSettings"]


def _split(value: object) -> object:
    """`a,b` or `["a", "b"]` (JSON) from the environment; a list from Python."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


class ServiceSettings(BaseSettings):
    """Every knob of `opsum serve`. `ServiceSettings()` reads the environment; keyword arguments win."""

    model_config = SettingsConfigDict(env_prefix="OPSUM_", extra="ignore", populate_by_name=True)

    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="bearer tokens accepted on /v1 (OPSUM_API_KEYS, comma-separated); empty: no auth. "
        "Not OPSUM_API_KEY, which is the key opsum sends to an OpenAI-compatible backend",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="origins allowed by CORS (OPSUM_CORS_ORIGINS, comma-separated); empty: CORS off",
    )
    max_concurrency: int = Field(
        default=4,
        ge=1,
        le=256,
        description="summaries run at once with a remote (openai) backend; the embedded model always runs one",
    )
    queue_size: int = Field(
        default=32,
        ge=0,
        le=10_000,
        description="requests that may wait for a free slot; beyond it the answer is 429 with Retry-After",
    )
    batch_max: int = Field(default=16, ge=1, le=1000, description="most articles in one batch request")
    request_timeout_s: float = Field(
        default=300.0,
        gt=0,
        description="longest a request may take, queue wait included; then 504 (the work itself still finishes)",
    )
    max_body_bytes: int | None = Field(
        default=None,
        ge=1024,
        description="largest body of POST /v1/summarise; default 6 x OPSUM_MAX_CHARS + 64 KiB "
        "(JSON may escape each character as \\uXXXX); a batch may be batch_max times this",
    )
    retry_after_s: int = Field(
        default=5,
        ge=1,
        le=3600,
        description="the Retry-After of a 429 until the service has timed a few summaries itself",
    )
    ready_timeout_s: float = Field(default=5.0, gt=0, description="how long /readyz waits for the backend")
    disconnect_poll_s: float = Field(
        default=0.2,
        gt=0,
        le=5,
        description="how often a queued request checks that its client is still connected",
    )
    header_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="a connection must send its request head within this; else it is closed"
    )
    body_timeout_s: float = Field(
        default=30.0, gt=0, le=3600, description="a request body must arrive whole within this; else 408"
    )
    keep_alive_s: int = Field(default=5, ge=1, le=300, description="idle keep-alive connections close after this")
    max_connections: int = Field(
        default=512, ge=1, le=100_000, description="connections served at once; beyond them uvicorn answers 503"
    )
    examples_path: Path = Field(
        default=REPO_ROOT / "golden" / "golden.jsonl",
        description="golden JSON Lines file whose articles the page offers as examples (optional)",
    )
    examples_max: int = Field(default=60, ge=0, le=1000, description="most examples offered by the page")

    @field_validator("api_keys", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        return _split(value)

    @field_validator("api_keys")
    @classmethod
    def _no_blank_keys(cls, value: list[SecretStr]) -> list[SecretStr]:
        for key in value:
            secret = key.get_secret_value()
            if len(secret) < 8 or any(c.isspace() for c in secret):
                raise ValueError("each API key needs at least 8 characters and no whitespace")
        return value

    def body_limit(self, max_chars: int) -> int:
        """Bytes accepted in the body of one summarise request."""
        return self.max_body_bytes or 6 * max_chars + 64 * 1024

    def keys(self) -> list[bytes]:
        return [k.get_secret_value().encode() for k in self.api_keys]

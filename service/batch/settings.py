"""The batch command's own knobs (environment prefix `OPSUM_BATCH_`), apart from the core's `Settings`."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["BatchSettings"]


class BatchSettings(BaseSettings):
    """Every knob of `opsum batch`. `BatchSettings()` reads the environment; CLI flags win."""

    model_config = SettingsConfigDict(env_prefix="OPSUM_BATCH_", extra="ignore")

    shard_size: int = Field(
        default=32,
        ge=1,
        le=100_000,
        description="articles per output shard (OPSUM_BATCH_SHARD_SIZE): a killed run loses at most the shards in flight",
    )
    workers: int = Field(
        default=4,
        ge=1,
        le=10_000,
        description="summarisers at once for a remote backend (OPSUM_BATCH_WORKERS); the embedded model "
        "runs one per process locally",
    )
    remote_worker_cpus: float = Field(
        default=0.25,
        gt=0,
        le=64,
        description="CPUs Ray reserves per actor with a remote backend (OPSUM_BATCH_REMOTE_WORKER_CPUS); "
        "the embedded backend reserves OPSUM_N_THREADS",
    )

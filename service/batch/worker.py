"""The per-row work every engine runs: one `InputRow` in, one output row out, never an exception.

A `WorkerSpec` is what travels to a worker (picklable: settings without machine-local paths, the
prompt version and its hash, the run number); `RowSummariser` builds the backend once from it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from service.errors import OpsumError
from service.inputs import decode_article
from service.settings import Settings, default_prompts_dir
from service.summarise import Summariser

__all__ = ["OUTPUT_SCHEMA", "WorkerSpec", "RowSummariser", "PromptMismatch", "worker_name"]

log = logging.getLogger(__name__)

# One row per article. `summary` and `meta` are JSON (the OperationSummary and the core's meta).
OUTPUT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("summary", pa.string()),
        ("relevant", pa.bool_()),
        ("meta", pa.string()),
        ("error", pa.string()),
        ("error_type", pa.string()),
        ("latency_ms", pa.float64()),
        ("prompt_version", pa.string()),
        ("prompt_hash", pa.string()),
        ("llm_calls", pa.int64()),
        ("prompt_tokens", pa.int64()),
        ("completion_tokens", pa.int64()),
        ("worker", pa.string()),
        ("run", pa.int64()),
    ]
)


class PromptMismatch(OpsumError):
    """A worker's installed prompt version differs from the driver's (another opsum version)."""


@dataclass(frozen=True)
class WorkerSpec:
    settings: dict[str, Any]
    prompt_version: str
    prompt_hash: str
    run: int
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, *, prompt_version: str, prompt_hash: str, run: int) -> WorkerSpec:
        data = settings.model_dump()
        if settings.prompts_dir == default_prompts_dir():
            data.pop("prompts_dir")  # each worker loads the prompts of its own installed package
        return cls(settings=data, prompt_version=prompt_version, prompt_hash=prompt_hash, run=run)

    def build_settings(self) -> Settings:
        return Settings.model_validate(self.settings)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


class RowSummariser:
    """Holds one `Summariser` (its backend loaded once) and turns input rows into output rows."""

    def __init__(self, spec: WorkerSpec, summariser: Summariser | None = None) -> None:
        self.spec = spec
        self.summariser = summariser or Summariser(spec.build_settings())
        self.summariser.backend  # noqa: B018 - built (the embedded model loaded) once, before the first article
        prompt = self.summariser.prompt(spec.prompt_version)
        if prompt.hash != spec.prompt_hash:
            raise PromptMismatch(
                f"this worker's prompt {spec.prompt_version} has hash {prompt.hash}, the driver's {spec.prompt_hash}: "
                "install the same opsum version on every node"
            )

    def __call__(
        self, id: str, text: bytes | None, title: str | None, error: str | None, error_type: str | None
    ) -> dict[str, Any]:
        started = time.perf_counter()
        row: dict[str, Any] = {
            "id": id,
            "summary": None,
            "relevant": None,
            "meta": None,
            "error": error,
            "error_type": error_type,
            "prompt_version": self.spec.prompt_version,
            "prompt_hash": self.spec.prompt_hash,
            "llm_calls": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "worker": worker_name(),
            "run": self.spec.run,
        }
        if error is None:
            try:
                article = decode_article(text or b"")
                result = self.summariser.summarise(article, title=title, prompt_version=self.spec.prompt_version)
            except OpsumError as exc:  # bad input or a backend failure: the same message as the CLI's
                row["error"], row["error_type"] = str(exc), type(exc).__name__
            except Exception as exc:  # noqa: BLE001 - one article's bug must not end a run of a million
                log.error("article %s failed unexpectedly", id, exc_info=exc)
                row["error"], row["error_type"] = f"unexpected error: {type(exc).__name__}: {exc}", "InternalError"
            else:
                row["summary"] = json.dumps(result.summary.model_dump(mode="json"), ensure_ascii=False)
                row["relevant"] = result.summary.relevant
                row["meta"] = json.dumps(result.meta, ensure_ascii=False)
                row["llm_calls"] = int(result.meta.get("llm_calls", 0))
                row["prompt_tokens"] = int(result.meta.get("prompt_tokens", 0))
                row["completion_tokens"] = int(result.meta.get("completion_tokens", 0))
        row["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        return row

    def table(self, batch: pa.Table) -> pa.Table:
        """A shard of input rows (columns id, text, title, error, error_type) to a shard of output rows."""
        columns = batch.to_pydict()
        rows = [
            self(i, t, ti, e, et)
            for i, t, ti, e, et in zip(
                columns["id"], columns["text"], columns["title"], columns["error"], columns["error_type"], strict=True
            )
        ]
        return pa.Table.from_pylist(rows, schema=OUTPUT_SCHEMA)

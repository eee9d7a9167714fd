"""One `opsum batch` run: read the corpus, skip what the shards already hold, run the rest on an
engine shard by shard, then write `DIR/manifest.json` (derived from the shards, never the source of
truth for what is done)."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from service.backends import describe_backend, make_backend
from service.batch.engines import EngineName, run_local, shard_tables
from service.batch.inputs import read_corpus, unique_rows
from service.batch.settings import BatchSettings
from service.batch.store import ShardStore
from service.batch.worker import WorkerSpec
from service.errors import OpsumError
from service.progress import progress_bar
from service.prompts import PromptRegistry
from service.settings import Settings

__all__ = ["BatchOptions", "run_batch", "OutputMismatch"]

log = logging.getLogger(__name__)


class OutputMismatch(OpsumError, ValueError):
    """The output folder holds results of another prompt version: resuming would mix them."""


@dataclass
class BatchOptions:
    input: Path
    out: Path
    settings: Settings
    prompt_version: str | None = None
    engine: EngineName = "local"
    workers: int | None = None
    ray_address: str | None = None
    retry_failed: bool = False
    shard_size: int | None = None
    progress: bool = True
    batch: BatchSettings | None = None


def _workers(opts: BatchOptions, batch: BatchSettings) -> int:
    if opts.settings.backend == "embedded" and opts.engine == "local":
        if opts.workers and opts.workers > 1:
            log.warning(
                "the embedded model runs one article at a time in one process: --workers %d ignored", opts.workers
            )
        return 1
    return opts.workers or (1 if opts.settings.backend == "embedded" else batch.workers)


def run_batch(opts: BatchOptions) -> dict[str, Any]:
    """Summarise every article of `opts.input` not yet done in `opts.out`; returns the manifest."""
    batch = opts.batch or BatchSettings()
    settings = opts.settings
    shard_size = opts.shard_size or batch.shard_size
    prompt = PromptRegistry(settings.prompts_dir).get(opts.prompt_version or settings.prompt_version)
    rows, duplicates = unique_rows(read_corpus(opts.input))
    if duplicates:
        log.warning("%d records repeat an earlier id and are ignored (each id is written once)", duplicates)

    store = ShardStore(opts.out)
    store.prepare()
    states = store.states()
    other = {s.prompt_hash for s in states.values()} - {prompt.hash}
    if other:
        raise OutputMismatch(
            f"{opts.out} holds results of another prompt (hash {', '.join(sorted(other))}, not {prompt.version} "
            f"{prompt.hash}): give a new --out for this prompt version"
        )
    todo = [r for r in rows if r.id not in states or (opts.retry_failed and not states[r.id].ok)]
    workers = _workers(opts, batch)
    run = store.next_run()
    spec = WorkerSpec.from_settings(settings, prompt_version=prompt.version, prompt_hash=prompt.hash, run=run)
    if todo and settings.backend == "openai":
        make_backend(settings).check_ready()  # an unreachable server fails the run, not every row

    progress = progress_bar(len(rows), initial=len(rows) - len(todo), enabled=opts.progress)
    seq = 0

    def emit(table: pa.Table) -> None:
        nonlocal seq
        seq += 1
        store.write(table, run=run, seq=seq)
        progress.update(table.num_rows)

    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    shards = shard_tables(todo, shard_size)
    try:
        if opts.engine == "ray":
            from service.batch.ray_engine import run_ray

            cpus = settings.n_threads if settings.backend == "embedded" else batch.remote_worker_cpus
            run_ray(shards, spec, workers=workers, emit=emit, address=opts.ray_address, actor_cpus=cpus)
        else:
            run_local(shards, spec, workers=workers, emit=emit)
    finally:
        progress.close()
    wall_s = time.perf_counter() - started
    store.drop_superseded()
    name, model = describe_backend(settings)
    manifest = build_manifest(
        store,
        ids=[r.id for r in rows],
        run=run,
        wall_s=wall_s,
        header={
            "engine": opts.engine,
            "workers": workers,
            "shard_size": shard_size,
            "input": {"path": str(opts.input), "records": len(rows) + duplicates, "duplicates": duplicates},
            "backend": name,
            "model": model,
            "prompt_version": prompt.version,
            "prompt_hash": prompt.hash,
            "run": run,
            "started_at": started_at,
        },
    )
    _write_json(opts.out / "manifest.json", manifest)
    return manifest


def build_manifest(
    store: ShardStore, *, ids: list[str], run: int, wall_s: float, header: dict[str, Any]
) -> dict[str, Any]:
    """Counts over the input's ids from the shards, and this run's throughput from its own rows."""
    stored = {
        r["id"]: r
        for r in store.read_rows(
            ["id", "error", "error_type", "latency_ms", "prompt_tokens", "completion_tokens", "worker", "run"]
        )
    }
    wanted = [stored[i] for i in ids if i in stored]
    this_run = [r for r in stored.values() if r["run"] == run]
    done = sum(1 for r in wanted if r["error"] is None)
    failed = [r for r in wanted if r["error"] is not None]
    per_worker: dict[str, dict[str, float]] = {}
    for r in this_run:
        w = per_worker.setdefault(r["worker"], {"articles": 0, "busy_s": 0.0})
        w["articles"] += 1
        w["busy_s"] += (r["latency_ms"] or 0.0) / 1000
    return {
        **header,
        "articles": len(ids),
        "done": done,
        "failed": len(failed),
        "pending": len(ids) - len(wanted),
        "skipped": len(ids) - len(this_run),
        "processed": len(this_run),
        "wall_s": round(wall_s, 3),
        "articles_per_s": round(len(this_run) / wall_s, 3) if wall_s > 0 else None,
        "prompt_tokens": sum(r["prompt_tokens"] or 0 for r in this_run),
        "completion_tokens": sum(r["completion_tokens"] or 0 for r in this_run),
        "errors": dict(Counter(r["error_type"] for r in failed)),
        "per_worker": [
            {
                "worker": name,
                "articles": int(w["articles"]),
                "busy_s": round(w["busy_s"], 3),
                "articles_per_s": round(w["articles"] / wall_s, 3) if wall_s > 0 else None,
                "articles_per_busy_s": round(w["articles"] / w["busy_s"], 3) if w["busy_s"] > 0 else None,
            }
            for name, w in sorted(per_worker.items())
        ],
        "shards": len(store.shards()),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    os.replace(tmp, path)

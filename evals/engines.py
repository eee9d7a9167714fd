"""`opsum eval run --engine ray`: the per-article work of a run (`ArticleRunner.predict`, through the
response cache) on a Ray Data actor pool; the driver scores each row and writes the run folder, as
with the local pool.

Each actor builds its own `CachingBackend` over the same response store (a shared filesystem when the
cluster has more than one node) and its backend once. A replay-only miss stops the run, as locally.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals.cache import CacheMiss

if TYPE_CHECKING:
    from evals.golden import GoldItem
    from evals.runner import ArticleRunner
    from evals.store import StoreKind

__all__ = ["predict_on_ray"]


class _EvalActor:
    """One per Ray worker: an `ArticleRunner` like the driver's, with its own cache view and backend."""

    def __init__(self, settings: dict[str, Any], prompt_version: str, cache: dict[str, Any]) -> None:
        from evals.cache import CachingBackend
        from evals.runner import ArticleRunner
        from evals.store import open_store
        from service.backends import make_backend
        from service.prompts import PromptRegistry
        from service.settings import Settings

        base = Settings.model_validate(settings)
        registry = PromptRegistry(base.prompts_dir)
        store = open_store(Path(cache.pop("location")), cache.pop("store_kind"))
        self.cache = CachingBackend(
            lambda: make_backend(base), store=store, prompt_hash=registry.get(prompt_version).hash, **cache
        )
        self.runner = ArticleRunner(self.cache, base, registry, prompt_version)

    def __call__(self, batch: Any) -> dict[str, list[str]]:
        rows = []
        for blob in batch["item"].to_pylist():
            item = pickle.loads(blob)
            hits, misses = self.cache.hits, self.cache.misses
            try:
                row = self.runner.predict(item)
            except CacheMiss as exc:  # sent back whole: the driver raises it, so the CLI answers as locally (exit 2)
                row = {"id": item.id, "_miss": {"step": exc.step, "article_id": exc.article_id or item.id}}
            row["_cache"] = [self.cache.hits - hits, self.cache.misses - misses]
            rows.append(json.dumps(row, ensure_ascii=False))
        return {"row": rows}


def predict_on_ray(
    items: list[GoldItem],
    *,
    runner: ArticleRunner,
    location: Path,
    store_kind: StoreKind,
    workers: int,
    address: str | None = None,
) -> Iterator[dict[str, Any]]:
    """The rows `ArticleRunner.predict` gives, computed on Ray, in the order they finish (unscored)."""
    import ray
    import ray.data

    from service.batch.worker import WorkerSpec

    if not items:
        return
    cache = runner.cache
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        settings = runner.settings
        spec = WorkerSpec.from_settings(settings, prompt_version=runner.prompt_version, prompt_hash="", run=0)
        records = [{"item": pickle.dumps(it)} for it in items]
        ds = ray.data.from_items(records, override_num_blocks=min(len(records), workers * 4))
        cache_kw = {
            "name": cache.name,
            "model": cache.model,
            "location": str(location),
            "store_kind": store_kind,
            "mode": cache.mode,
            "settings": cache.settings,
            "rerecord": cache.rerecord,
        }
        out = ds.map_batches(
            _EvalActor,
            fn_constructor_kwargs={
                "settings": spec.settings,
                "prompt_version": runner.prompt_version,
                "cache": cache_kw,
            },
            batch_size=None,
            batch_format="pyarrow",
            compute=ray.data.ActorPoolStrategy(size=min(workers, len(records))),
            num_cpus=settings.n_threads if settings.backend == "embedded" else 0.25,
        )
        for row in out.iter_rows():
            data = json.loads(row["row"])
            hits, misses = data.pop("_cache")
            cache.hits += hits
            cache.misses += misses
            if "_miss" in data:
                raise CacheMiss(data["_miss"]["step"], article_id=data["_miss"]["article_id"], rerecord=cache.rerecord)
            yield data
    finally:
        if started:
            ray.shutdown()

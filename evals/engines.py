"""`opsum eval run --engine ray`: the per-article work of a run (summarise through the response cache)
on a Ray Data actor pool; the driver still scores and writes the run folder, as with the local pool.

Each actor builds its own `CachingBackend` over the same cache folder (a shared filesystem when the
cluster has more than one node) and its backend once. A replay-only miss stops the run, as locally.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from evals.golden import GoldItem
from service.errors import BackendError

__all__ = ["predict_on_ray"]


class _EvalActor:
    def __init__(self, settings: dict[str, Any], prompt_version: str, cache: dict[str, Any]) -> None:
        from evals.cache import CachingBackend
        from service.backends import make_backend
        from service.prompts import PromptRegistry
        from service.settings import Settings
        from service.summarise import Summariser

        base = Settings.model_validate(settings)
        registry = PromptRegistry(base.prompts_dir)
        self.prompt_version = prompt_version
        self.cache = CachingBackend(lambda: make_backend(base), prompt_hash=registry.get(prompt_version).hash, **cache)
        run_settings = base.with_overrides(transcripts=True)
        self.summariser_for = lambda text: Summariser(
            run_settings, backend=self.cache.for_article(text), registry=registry
        )

    def __call__(self, batch: Any) -> dict[str, list[str]]:
        from evals.cache import CacheMiss
        from evals.runner import _predict

        rows = []
        for record in batch.to_pylist():
            hits, misses = self.cache.hits, self.cache.misses
            try:
                article = SimpleNamespace(**record)  # the id, text and title that _predict reads
                row = _predict(self.summariser_for, article, self.prompt_version)  # type: ignore[arg-type]
            except CacheMiss as exc:
                row = {"id": record["id"], "_fatal": str(exc)}
            row["_cache"] = [self.cache.hits - hits, self.cache.misses - misses]
            rows.append(json.dumps(row, ensure_ascii=False))
        return {"row": rows}


def predict_on_ray(
    items: list[GoldItem],
    *,
    settings: Any,
    prompt_version: str,
    cache: Any,
    workers: int,
    address: str | None = None,
) -> Iterator[dict[str, Any]]:
    """The rows `evals.runner._predict` gives, computed on Ray, in the order they finish."""
    import ray
    import ray.data

    from service.batch.worker import WorkerSpec

    if not items:
        return
    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    try:
        ray.data.DataContext.get_current().enable_progress_bars = False
        spec = WorkerSpec.from_settings(settings, prompt_version=prompt_version, prompt_hash="", run=0)
        records = [{"id": it.id, "text": it.text, "title": it.title} for it in items]
        ds = ray.data.from_items(records, override_num_blocks=min(len(records), workers * 4))
        cache_kw = {
            "name": cache.name,
            "model": cache.model,
            "directory": Path(cache.directory),
            "mode": cache.mode,
            "settings": cache.settings,
        }
        out = ds.map_batches(
            _EvalActor,
            fn_constructor_kwargs={"settings": spec.settings, "prompt_version": prompt_version, "cache": cache_kw},
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
            if "_fatal" in data:
                raise BackendError(data["_fatal"])
            yield data
    finally:
        if started:
            ray.shutdown()

"""`opsum eval run` and `opsum eval score`: predictions in, results.jsonl + summary.json + reports out.

A run appends one line per article to `results.jsonl` as soon as it is done, so an
interrupted run resumes where it stopped (articles already in the file are skipped).
"""

from __future__ import annotations

import hashlib
import json
import logging
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evals.cache import CacheMiss, CacheMode, CachingBackend
from evals.golden import GoldItem, load_golden
from evals.metrics import summarise_scores
from evals.report import write_reports
from evals.scoring import ArticleScore, score_article
from service.backends import describe_backend, make_backend
from service.errors import OpsumError
from service.prompts import PromptRegistry
from service.schema import OperationSummary
from service.settings import Settings
from service.summarise import Summariser

__all__ = ["RunOptions", "run_eval", "score_predictions", "load_results", "PredictionsFormatError"]

log = logging.getLogger(__name__)


class PredictionsFormatError(OpsumError, ValueError):
    """A predictions file that does not follow SPEC §5; the message names the line."""


@dataclass
class RunOptions:
    golden: Path
    out: Path
    prompt_version: str | None
    settings: Settings
    cache_mode: CacheMode = "use"
    cache_dir: Path | None = None
    concurrency: int | None = None
    limit: int | None = None
    progress: bool = True
    engine: str = "local"  # or "ray": the per-article work on Ray Data (evals/engines.py)
    ray_address: str | None = None


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def load_results(out: Path) -> dict[str, dict[str, Any]]:
    path = out / "results.jsonl"
    done: dict[str, dict[str, Any]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut off by an interruption: that article runs again
                done[row["id"]] = row
    return done


def _predict(summariser_for: Any, item: GoldItem, prompt_version: str) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        result = summariser_for(item.text).summarise(item.text, title=item.title, prompt_version=prompt_version)
        return {
            "id": item.id,
            "prediction": result.summary.model_dump(mode="json"),
            "meta": result.meta,
            "error": None,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        }
    except CacheMiss:
        raise  # a replay-only run must fail loudly, not score empty articles
    except OpsumError as exc:
        return {
            "id": item.id,
            "prediction": None,
            "meta": {},
            "error": f"{type(exc).__name__}: {exc}",
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        }


def _score_row(item: GoldItem, row: dict[str, Any]) -> ArticleScore:
    pred = OperationSummary.model_validate(row["prediction"]) if row.get("prediction") else None
    return score_article(item, pred)


def run_eval(opts: RunOptions) -> dict[str, Any]:
    """Summarise every golden article (resuming), score, and write the run folder."""
    items = load_golden(opts.golden)
    if opts.limit:
        items = items[: opts.limit]
    settings = opts.settings
    registry = PromptRegistry(settings.prompts_dir)
    prompt = registry.get(opts.prompt_version or settings.prompt_version)
    name, model = describe_backend(settings)
    cache = CachingBackend(
        lambda: make_backend(settings),
        name=name,
        model=model,
        directory=opts.cache_dir or settings.cache_dir / "responses",
        mode=opts.cache_mode,
        prompt_hash=prompt.hash,
        settings={
            "temperature": settings.temperature,
            "seed": settings.seed,
            "max_reasks": settings.max_reasks,
            "n_ctx": settings.n_ctx,
        },
    )

    run_settings = settings.with_overrides(transcripts=True)  # results.jsonl keeps every call's transcript

    def summariser_for(text: str) -> Summariser:
        return Summariser(run_settings, backend=cache.for_article(text), registry=registry)

    opts.out.mkdir(parents=True, exist_ok=True)
    done = load_results(opts.out)
    # resume: articles already done with this prompt version; failed ones run again
    done = {k: v for k, v in done.items() if v.get("prompt_version") == prompt.version and not v.get("error")}
    todo = [it for it in items if it.id not in done]
    workers = opts.concurrency or (1 if name == "embedded" else 4)
    started = time.perf_counter()
    progress = _progress(len(items), initial=len(items) - len(todo), enabled=opts.progress)
    results_path = opts.out / "results.jsonl"
    if results_path.is_file() and results_path.stat().st_size:
        with results_path.open("rb") as existing:
            existing.seek(-1, 2)
            cut_off = existing.read(1) != b"\n"
        if cut_off:  # the last line of an interrupted run: end it, so it stays one unreadable line
            with results_path.open("a", encoding="utf-8") as fh:
                fh.write("\n")
    with results_path.open("a", encoding="utf-8") as fh, ThreadPoolExecutor(max_workers=workers) as pool:
        rows_by_id = {it.id: it for it in todo}
        if opts.engine == "ray":
            from evals.engines import predict_on_ray

            predictions: Any = predict_on_ray(
                todo,
                settings=settings,
                prompt_version=prompt.version,
                cache=cache,
                workers=workers,
                address=opts.ray_address,
            )
        else:
            predictions = pool.map(lambda it: _predict(summariser_for, it, prompt.version), todo)
        for row in predictions:
            item = rows_by_id[row["id"]]
            row["prompt_version"] = prompt.version
            row["scores"] = _score_row(item, row).to_dict()
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh.flush()
            done[row["id"]] = row
            progress.update(1)
    progress.close()
    wall_s = time.perf_counter() - started
    rows = [done[it.id] for it in items]
    scores = [_score_row(it, row) for it, row in zip(items, rows, strict=True)]
    latencies = [r["latency_ms"] for r in rows if r.get("latency_ms") is not None]
    run_info = {
        "model": model,
        "backend": name,
        "prompt_version": prompt.version,
        "prompt_hash": prompt.hash,
        "llm_calls": sum(r["meta"].get("llm_calls", 0) for r in rows),
        "retries": sum(r["meta"].get("retries", 0) for r in rows),
        "reasks": sum(r["meta"].get("reasks", 0) for r in rows),
        "prompt_tokens": sum(r["meta"].get("prompt_tokens", 0) for r in rows),
        "completion_tokens": sum(r["meta"].get("completion_tokens", 0) for r in rows),
        "wall_s": round(wall_s, 2),
        "cache": {"mode": opts.cache_mode, "hits": cache.hits, "misses": cache.misses},
        "errors": sum(1 for r in rows if r.get("error")),
        "latency_ms": _latency_stats(latencies),
        "recorded_latency_ms": _latency_stats(
            [sum(c["ms"] for c in r["meta"].get("calls", [])) for r in rows if r["meta"].get("calls")]
        ),
    }
    return _finish(opts.out, opts.golden, items, rows, scores, run_info)


def _latency_stats(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    return {
        "mean": round(statistics.fmean(ordered), 1),
        "p50": round(ordered[len(ordered) // 2], 1),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        "max": round(ordered[-1], 1),
    }


def _finish(
    out: Path,
    golden: Path,
    items: list[GoldItem],
    rows: list[dict[str, Any]],
    scores: list[ArticleScore],
    run_info: dict[str, Any],
) -> dict[str, Any]:
    summary: dict[str, Any] = summarise_scores(scores)
    summary.update(run_info)
    summary["golden"] = {"path": str(golden), "sha256": _file_hash(golden)}
    summary["per_article"] = {
        s.id: {
            "numeric_correct": s.numeric_correct,
            "numeric_slots": s.numeric_slots,
            "hallucinated": s.hallucinated,
            "missed": s.missed,
        }
        for s in scores
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_reports(out, summary, items, rows, scores)
    return summary


def read_predictions(path: Path) -> dict[str, dict[str, Any]]:
    """A predictions file (SPEC §5): JSON Lines of {"id", "summary"}; evidence and summary text optional."""
    preds: dict[str, dict[str, Any]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or "id" not in row or "summary" not in row:
                raise KeyError("id" if not isinstance(row, dict) or "id" not in row else "summary")
            data = dict(row["summary"] or {})
            if data.get("summary") is None:
                data.pop("summary", None)  # SPEC §5: summary text may be missing or null
            summary = OperationSummary.model_validate(data)
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise PredictionsFormatError(f'{path}:{n}: expected {{"id": ..., "summary": {{...}}}} ({exc})') from exc
        except ValidationError as exc:
            raise PredictionsFormatError(f"{path}:{n}: summary does not fit the schema: {exc.errors()[0]}") from exc
        preds[str(row["id"])] = summary.model_dump(mode="json")
    return preds


def score_predictions(golden: Path, predictions: Path, out: Path) -> dict[str, Any]:
    """Score any system's predictions against a golden file; no LLM involved."""
    items = load_golden(golden)
    preds = read_predictions(predictions)
    unknown = sorted(set(preds) - {it.id for it in items})
    if unknown:
        log.warning(
            "%d predictions have ids not in the golden file (ignored): %s", len(unknown), ", ".join(unknown[:5])
        )
    missing = [it.id for it in items if it.id not in preds]
    if missing:
        print(f"warning: {len(missing)} golden articles have no prediction; scored as empty", file=sys.stderr)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    with (out / "results.jsonl").open("w", encoding="utf-8") as fh:
        for it in items:
            row = {
                "id": it.id,
                "prediction": preds.get(it.id),
                "meta": {},
                "error": None if it.id in preds else "no prediction",
                "latency_ms": None,
            }
            row["scores"] = _score_row(it, row).to_dict()
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            rows.append(row)
    scores = [_score_row(it, row) for it, row in zip(items, rows, strict=True)]
    info = {"predictions": {"path": str(predictions), "sha256": _file_hash(predictions), "missing": len(missing)}}
    return _finish(out, golden, items, rows, scores, info)


class _NoProgress:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, *, initial: int, enabled: bool) -> Any:
    if not enabled:
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="article", file=sys.stderr, dynamic_ncols=True)

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

from evals.cache import CacheMiss, CacheMode, CachingBackend
from evals.golden import SPLITS, GoldItem, SplitChoice, load_golden, select_split, split_hashes
from evals.metrics import summarise_scores
from evals.predictions import parse_prediction
from evals.report import write_reports
from evals.scoring import ArticleScore, score_article
from evals.store import StoreKind, open_store
from service.backends import describe_backend, make_backend
from service.errors import OpsumError
from service.progress import progress_bar
from service.prompts import PromptRegistry
from service.settings import Settings
from service.summarise import Summariser

__all__ = [
    "RunOptions",
    "ArticleRunner",
    "run_eval",
    "score_predictions",
    "load_results",
    "read_predictions",
    "score_row",
    "PredictionsFormatError",
]

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
    split: SplitChoice = "all"
    cache_store: StoreKind = "auto"
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


@dataclass
class ArticleRunner:
    """The per-article work of a run: one golden item in, one results.jsonl row out (prediction, usage,
    transcripts, scores). Holds no per-run state, so another engine can map it over the articles."""

    cache: CachingBackend
    settings: Settings
    registry: PromptRegistry
    prompt_version: str

    def __call__(self, item: GoldItem) -> dict[str, Any]:
        return self.scored(item, self.predict(item))

    def scored(self, item: GoldItem, row: dict[str, Any]) -> dict[str, Any]:
        """The row with its scores (the scoring always runs where the golden labels are)."""
        row["scores"] = score_row(item, row).to_dict()
        return row

    def predict(self, item: GoldItem) -> dict[str, Any]:
        """The row without scores: what a remote worker computes."""
        started = time.perf_counter()
        backend = self.cache.for_article(item.text, item.id)
        row: dict[str, Any]
        try:
            summariser = Summariser(self.settings, backend=backend, registry=self.registry)
            result = summariser.summarise(item.text, title=item.title, prompt_version=self.prompt_version)
            row = {"id": item.id, "prediction": result.summary.model_dump(mode="json"), "meta": result.meta}
            row["error"] = None
        except CacheMiss:
            raise  # a replay-only run must fail loudly, not score empty articles
        except OpsumError as exc:
            row = {"id": item.id, "prediction": None, "meta": {}, "error": f"{type(exc).__name__}: {exc}"}
        row["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        row["prompt_version"] = self.prompt_version
        row["split"] = item.split
        return row


def score_row(item: GoldItem, row: dict[str, Any]) -> ArticleScore:
    """Score a results.jsonl row; the stored prediction is read leniently, like any predictions file."""
    pred = parse_prediction(row["prediction"])[0] if row.get("prediction") else None
    return score_article(item, pred)


def rerecord_command(golden: Path, prompt_version: str, cache_location: Path, split: str) -> str:
    """The exact command that records the missing responses of one prompt version (resumable)."""
    split_flag = "" if split == "all" else f" --split {split}"
    return (
        f"opsum eval run --golden {golden} --prompt {prompt_version} --cache-dir {cache_location}{split_flag} "
        f"--out runs/record-{prompt_version}"
    )


def run_eval(opts: RunOptions) -> dict[str, Any]:
    """Summarise every golden article of the split (resuming), score, and write the run folder."""
    items = select_split(load_golden(opts.golden), opts.split)
    if not items:
        raise PredictionsFormatError(f"{opts.golden}: no article in split {opts.split!r}")
    if opts.limit:
        items = items[: opts.limit]
    settings = opts.settings
    registry = PromptRegistry(settings.prompts_dir)
    prompt = registry.get(opts.prompt_version or settings.prompt_version)
    name, model = describe_backend(settings)
    location = opts.cache_dir or settings.cache_dir / "responses"
    cache = CachingBackend(
        lambda: make_backend(settings),
        name=name,
        model=model,
        store=open_store(location, opts.cache_store),
        mode=opts.cache_mode,
        prompt_hash=prompt.hash,
        settings={
            "temperature": settings.temperature,
            "seed": settings.seed,
            "max_reasks": settings.max_reasks,
            "n_ctx": settings.n_ctx,
        },
        rerecord=rerecord_command(opts.golden, prompt.version, location, opts.split),
    )
    # results.jsonl keeps every call's transcript
    runner = ArticleRunner(cache, settings.with_overrides(transcripts=True), registry, prompt.version)

    opts.out.mkdir(parents=True, exist_ok=True)
    previous = _previous_summary(opts.out, prompt.version)
    done = load_results(opts.out)
    # resume: articles already done with this prompt version; failed ones run again
    done = {k: v for k, v in done.items() if v.get("prompt_version") == prompt.version and not v.get("error")}
    todo = [it for it in items if it.id not in done]
    workers = opts.concurrency or (1 if name == "embedded" else 4)
    started = time.perf_counter()
    progress = progress_bar(len(items), initial=len(items) - len(todo), enabled=opts.progress)
    tally = _RunningTally([done[it.id] for it in items if it.id in done])
    results_path = opts.out / "results.jsonl"
    _end_cut_off_line(results_path)
    with results_path.open("a", encoding="utf-8") as fh, ThreadPoolExecutor(max_workers=workers) as pool:
        if opts.engine == "ray":
            from evals.engines import predict_on_ray

            by_id = {it.id: it for it in todo}
            predictions: Any = (
                runner.scored(by_id[row["id"]], row)
                for row in predict_on_ray(
                    todo,
                    runner=runner,
                    location=location,
                    store_kind=opts.cache_store,
                    workers=workers,
                    address=opts.ray_address,
                )
            )
        else:
            predictions = pool.map(runner, todo)
        for row in predictions:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh.flush()
            done[row["id"]] = row
            tally.add(row)
            progress.set_postfix_str(tally.postfix(cache), refresh=False)
            progress.update(1)
    progress.close()
    wall_s = time.perf_counter() - started
    rows = [done[it.id] for it in items]
    scores = [score_row(it, row) for it, row in zip(items, rows, strict=True)]
    latencies = [r["latency_ms"] for r in rows if r.get("latency_ms") is not None]
    hits, misses = cache.hits, cache.misses
    if previous is not None:  # a resumed run: how it was made includes every earlier session
        wall_s += float(previous.get("wall_s") or 0)
        hits += int((previous.get("cache") or {}).get("hits") or 0)
        misses += int((previous.get("cache") or {}).get("misses") or 0)
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
        "cache": {"mode": opts.cache_mode, "hits": hits, "misses": misses, "store": str(location)},
        "errors": sum(1 for r in rows if r.get("error")),
        "latency_ms": _latency_stats(latencies),
        "recorded_latency_ms": _latency_stats(
            [sum(c["ms"] for c in r["meta"].get("calls", [])) for r in rows if r["meta"].get("calls")]
        ),
    }
    if previous is not None and not todo:
        # nothing new ran: the record of how the run was made stays as it was
        run_info.update({k: previous[k] for k in ("wall_s", "cache", "latency_ms") if k in previous})
    return _finish(opts.out, opts.golden, opts.split, items, rows, scores, run_info)


def _previous_summary(out: Path, prompt_version: str) -> dict[str, Any] | None:
    path = out / "summary.json"
    if not path.is_file():
        return None
    try:
        summary: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None
    return summary if summary.get("prompt_version") == prompt_version else None


def _end_cut_off_line(results_path: Path) -> None:
    """The last line of an interrupted run: end it, so it stays one unreadable line."""
    if results_path.is_file() and results_path.stat().st_size:
        with results_path.open("rb") as existing:
            existing.seek(-1, 2)
            cut_off = existing.read(1) != b"\n"
        if cut_off:
            with results_path.open("a", encoding="utf-8") as fh:
                fh.write("\n")


class _RunningTally:
    """What the progress bar shows: articles with errors and the numeric accuracy so far."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.errors = 0
        self.correct = 0
        self.slots = 0
        for row in rows:
            self.add(row)

    def add(self, row: dict[str, Any]) -> None:
        self.errors += bool(row.get("error"))
        self.correct += int(row.get("scores", {}).get("numeric_correct", 0))
        self.slots += int(row.get("scores", {}).get("numeric_slots", 0))

    def postfix(self, cache: CachingBackend) -> str:
        acc = f"{self.correct / self.slots:.3f}" if self.slots else "–"
        return f"cache {cache.hits} hit/{cache.misses} miss, errors {self.errors}, numeric acc {acc}"


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
    split: SplitChoice,
    items: list[GoldItem],
    rows: list[dict[str, Any]],
    scores: list[ArticleScore],
    run_info: dict[str, Any],
) -> dict[str, Any]:
    summary: dict[str, Any] = summarise_scores(scores)
    summary.update(run_info)
    hashes = split_hashes(golden)
    summary["golden"] = {"path": str(golden), "sha256": _file_hash(golden), "splits": hashes}
    summary["split"] = split
    summary["splits"] = {}
    for name in SPLITS:
        part = [s for s, it in zip(scores, items, strict=True) if it.split == name]
        if part:
            summary["splits"][name] = {"golden_sha256": hashes.get(name), **summarise_scores(part)}
    summary["per_article"] = {
        s.id: {
            "split": it.split,
            "numeric_correct": s.numeric_correct,
            "numeric_slots": s.numeric_slots,
            "hallucinated": s.hallucinated,
            "missed": s.missed,
        }
        for s, it in zip(scores, items, strict=True)
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_reports(out, summary, items, rows, scores)
    return summary


def read_predictions(path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    """A predictions file (SPEC §5): JSON Lines of {"id", "summary"}, read leniently (see
    `evals.predictions`). Returns the summaries by id and, by id, a warning per value dropped."""
    if not path.is_file():
        raise PredictionsFormatError(f"no predictions file at {path}")
    preds: dict[str, dict[str, Any]] = {}
    notes: dict[str, list[str]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict) or "id" not in row or "summary" not in row:
                raise KeyError("id" if not isinstance(row, dict) or "id" not in row else "summary")
            summary, warnings = parse_prediction(row["summary"] or {})
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise PredictionsFormatError(f'{path}:{n}: expected {{"id": ..., "summary": {{...}}}} ({exc})') from exc
        preds[str(row["id"])] = summary.model_dump(mode="json")
        if warnings:
            notes[str(row["id"])] = [f"{path.name}:{n}: {w}" for w in warnings]
    return preds, notes


def score_predictions(golden: Path, predictions: Path, out: Path, *, split: SplitChoice = "all") -> dict[str, Any]:
    """Score any system's predictions against a golden file; no LLM involved."""
    items = select_split(load_golden(golden), split)
    preds, notes = read_predictions(predictions)
    for article_id, warnings in notes.items():
        for w in warnings[:3]:
            print(f"warning: {article_id}: {w}", file=sys.stderr)
    unknown = sorted(set(preds) - {it.id for it in load_golden(golden)})
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
                "meta": {"warnings": notes.get(it.id, [])},
                "error": None if it.id in preds else "no prediction",
                "latency_ms": None,
                "split": it.split,
            }
            row["scores"] = score_row(it, row).to_dict()
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            rows.append(row)
    scores = [score_row(it, row) for it, row in zip(items, rows, strict=True)]
    info = {
        "predictions": {
            "path": str(predictions),
            "sha256": _file_hash(predictions),
            "missing": len(missing),
            "values_dropped": sum(len(w) for w in notes.values()),
        }
    }
    return _finish(out, golden, split, items, rows, scores, info)

"""Response cache: a backend wrapper that records and replays structured LLM answers.

It sits between the core and the real backend, at the level of single LLM calls, so that a
replay still runs every deterministic step of the core (mining, grounding, aggregation) for
real: a change there shows in a replayed run, and a change that alters what is sent to the
model is a cache miss. The key covers the backend, the model, the prompt version's hash, the
response schema's hash, the article's hash, the generation settings, and the exact messages.

Modes: `use` (replay hits, record misses), `refresh` (always call, overwrite), `off`,
`replay` (hits only: a miss is an error naming the re-record command; used by CI).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from service.backends.base import Backend, ExtractionFailed, Usage
from service.errors import BackendError

__all__ = ["CachingBackend", "CacheMiss", "CacheMode", "cache_key"]

T = TypeVar("T", bound=BaseModel)
CacheMode = Literal["use", "refresh", "off", "replay"]


class CacheMiss(BackendError):
    def __init__(self, step: str) -> None:
        super().__init__(
            f"no cached response for step {step!r} and the cache is replay-only: the prompt, schema, "
            "article or mined input changed since it was recorded; re-record with "
            "`make record-baseline` (see README, 'Re-recording the CI baseline')"
        )


def _sha(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def cache_key(
    *,
    backend: str,
    model: str,
    prompt_hash: str,
    schema: dict[str, Any],
    article: str,
    settings: dict[str, Any],
    messages: list[dict[str, str]],
    step: str,
) -> str:
    return _sha(
        {
            "backend": backend,
            "model": model,
            "prompt_hash": prompt_hash,
            "schema_hash": _sha(schema),
            "article_hash": hashlib.sha256(article.encode()).hexdigest(),
            "settings": settings,
            "messages_hash": _sha(messages),
            "step": step,
        }
    )


class CachingBackend:
    """Wraps a backend (created lazily: a full replay never loads the model)."""

    def __init__(
        self,
        make_inner: Callable[[], Backend],
        *,
        name: str,
        model: str,
        directory: Path,
        mode: CacheMode,
        prompt_hash: str,
        settings: dict[str, Any],
    ) -> None:
        self._make_inner = make_inner
        self._inner: Backend | None = None
        self.name = name
        self.model = model
        self.directory = directory
        self.mode = mode
        self.prompt_hash = prompt_hash
        self.settings = settings
        self.article = ""
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    @property
    def inner(self) -> Backend:
        """The real backend, built once for the whole run (a view asks its parent)."""
        parent = getattr(self, "_parent", None)
        if parent is not None:
            return parent.inner
        with self._lock:
            if self._inner is None:
                self._inner = self._make_inner()
            return self._inner

    def for_article(self, article: str) -> CachingBackend:
        """A view of this cache bound to one article (the article's hash is part of the key)."""
        view = CachingBackend(
            self._make_inner,
            name=self.name,
            model=self.model,
            directory=self.directory,
            mode=self.mode,
            prompt_hash=self.prompt_hash,
            settings=self.settings,
        )
        view._parent = self  # type: ignore[attr-defined]
        view.article = article
        return view

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def check_ready(self) -> None:
        if self.mode != "replay":
            self.inner.check_ready()

    def extract(
        self, messages: list[dict[str, str]], response_model: type[T], *, step: str, usage: Usage, max_tokens: int
    ) -> T:
        if self.mode == "off":
            return self._call(messages, response_model, step=step, usage=usage, max_tokens=max_tokens)
        key = cache_key(
            backend=self.name,
            model=self.model,
            prompt_hash=self.prompt_hash,
            schema=response_model.model_json_schema(),
            article=self.article,
            settings={**self.settings, "max_tokens": max_tokens},
            messages=messages,
            step=step,
        )
        path = self._path(key)
        if self.mode in {"use", "replay"} and path.is_file():
            entry = json.loads(path.read_text(encoding="utf-8"))
            self._count(hit=True)
            for call in entry["usage"]["calls"]:
                usage.record_call(call, cached=True)
            usage.retries += entry["usage"].get("retries", 0)
            usage.reasks += entry["usage"].get("reasks", 0)
            if entry["status"] == "failed":
                raise ExtractionFailed(entry["message"], entry.get("last_arguments"), entry.get("errors", []))
            return response_model.model_validate(entry["output"])
        if self.mode == "replay":
            self._count(hit=False)
            raise CacheMiss(step)
        self._count(hit=False)
        local = Usage()
        try:
            result = self.inner.extract(messages, response_model, step=step, usage=local, max_tokens=max_tokens)
        except ExtractionFailed as exc:
            self._write(
                path,
                {
                    "status": "failed",
                    "message": str(exc),
                    "last_arguments": exc.last_arguments,
                    "errors": exc.errors,
                    "usage": _usage_dict(local),
                    "step": step,
                },
            )
            _merge(usage, local)
            raise
        self._write(
            path,
            {
                "status": "ok",
                "output": result.model_dump(mode="json", by_alias=True),
                "usage": _usage_dict(local),
                "step": step,
            },
        )
        _merge(usage, local)
        return result

    def _call(self, messages: list[dict[str, str]], response_model: type[T], **kw: Any) -> T:
        return self.inner.extract(messages, response_model, **kw)

    def _count(self, *, hit: bool) -> None:
        target = getattr(self, "_parent", self)
        if hit:
            target.hits += 1
        else:
            target.misses += 1

    @staticmethod
    def _write(path: Path, entry: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(entry, fh, ensure_ascii=False, indent=1, sort_keys=True)
        os.replace(tmp, path)


def _usage_dict(u: Usage) -> dict[str, Any]:
    return {"calls": u.calls, "retries": u.retries, "reasks": u.reasks}


def _merge(into: Usage, local: Usage) -> None:
    for call in local.calls:
        into.record_call(call, cached=False)
    into.retries += local.retries
    into.reasks += local.reasks

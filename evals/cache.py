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
import threading
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from evals.store import ResponseStore
from service.backends.base import Backend, ExtractionFailed, Usage
from service.errors import BackendError

__all__ = ["CachingBackend", "CacheMiss", "CacheMode", "cache_key"]

T = TypeVar("T", bound=BaseModel)
CacheMode = Literal["use", "refresh", "off", "replay"]


class CacheMiss(BackendError):
    """A replay-only run met a call that was never recorded; names the article, the step and the fix."""

    def __init__(self, step: str, *, article_id: str | None = None, rerecord: str | None = None) -> None:
        self.step = step
        self.article_id = article_id
        where = f"article {article_id!r}, step {step!r}" if article_id else f"step {step!r}"
        fix = f"`{rerecord}`" if rerecord else "`make record PROMPT=<version>`"
        super().__init__(
            f"no recorded response for {where} (replay-only): the prompt, schema, article or mined input "
            f"changed since it was recorded; re-record that prompt version with {fix} "
            "(resumable: only the missing calls run)"
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
        store: ResponseStore,
        mode: CacheMode,
        prompt_hash: str,
        settings: dict[str, Any],
        rerecord: str | None = None,
    ) -> None:
        self._make_inner = make_inner
        self._inner: Backend | None = None
        self.name = name
        self.model = model
        self.store = store
        self.mode = mode
        self.prompt_hash = prompt_hash
        self.settings = settings
        self.rerecord = rerecord
        self.article = ""
        self.article_id: str | None = None
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    @property
    def inner(self) -> Backend:
        """The real backend, built once for the whole run (a view asks its parent)."""
        parent: CachingBackend | None = getattr(self, "_parent", None)
        if parent is not None:
            return parent.inner
        with self._lock:
            if self._inner is None:
                self._inner = self._make_inner()
            return self._inner

    def for_article(self, article: str, article_id: str | None = None) -> CachingBackend:
        """A view of this cache bound to one article (the article's hash is part of the key)."""
        view = CachingBackend(
            self._make_inner,
            name=self.name,
            model=self.model,
            store=self.store,
            mode=self.mode,
            prompt_hash=self.prompt_hash,
            settings=self.settings,
            rerecord=self.rerecord,
        )
        view._parent = self  # type: ignore[attr-defined]
        view.article = article
        view.article_id = article_id
        return view

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
        entry = self.store.get(key) if self.mode in {"use", "replay"} else None
        if entry is not None:
            self._count(hit=True)
            _replay_calls(entry, messages, usage)
            usage.retries += entry["usage"].get("retries", 0)
            usage.reasks += entry["usage"].get("reasks", 0)
            if entry["status"] == "failed":
                raise ExtractionFailed(entry["message"], entry.get("last_arguments"), entry.get("errors", []))
            return response_model.model_validate(entry["output"])
        if self.mode == "replay":
            self._count(hit=False)
            raise CacheMiss(step, article_id=self.article_id, rerecord=self.rerecord)
        self._count(hit=False)
        local = Usage()
        try:
            result = self.inner.extract(messages, response_model, step=step, usage=local, max_tokens=max_tokens)
        except ExtractionFailed as exc:
            self.store.put(
                key,
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
        self.store.put(
            key,
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


def _replay_calls(entry: dict[str, Any], messages: list[dict[str, str]], usage: Usage) -> None:
    """Count an entry's calls as cached. An entry recorded before transcripts existed has no
    messages or raw response: the first call's messages are the ones being sent now (the key
    holds their hash), its validated output is kept as `output`, and nothing else is invented."""
    calls = entry["usage"]["calls"]
    for i, recorded in enumerate(calls):
        call = dict(recorded)
        if i == 0 and "messages" not in call:
            call["messages"] = messages
        usage.record_call(call, cached=True)
        if "response" not in call and i == len(calls) - 1 and entry.get("status") == "ok":
            usage.calls[-1]["output"] = entry.get("output")


def _usage_dict(u: Usage) -> dict[str, Any]:
    return {"calls": u.calls, "retries": u.retries, "reasks": u.reasks}


def _merge(into: Usage, local: Usage) -> None:
    for call in local.calls:
        into.record_call(call, cached=False)
    into.retries += local.retries
    into.reasks += local.reasks

"""The embedded default: a GGUF model run in process by llama.cpp (llama-cpp-python).

Structured output is grammar-constrained: instructor's TOOLS mode sends a forced tool choice,
and llama-cpp-python compiles the tool's JSON schema into a GBNF grammar. The model's own chat
template (from the GGUF metadata) formats the messages. One generation runs at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from service.backends.base import InstructorBackend
from service.deadline import Deadline, DeadlineExceeded, current_deadline
from service.errors import BackendTimeout, BackendUnavailable
from service.model_store import DEFAULT_MODEL, ModelUnavailable, ensure_model
from service.settings import Settings

__all__ = ["EmbeddedBackend"]

log = logging.getLogger(__name__)


class _Stopped(Exception):
    """Raised inside llama.cpp's sampling loop to end a generation past its deadline."""


class _StopAt:
    """A llama-cpp logits processor that changes nothing and stops the generation once `deadline` has passed."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.deadline.expired():
            raise _Stopped(self.deadline.reason)
        return scores


class EmbeddedBackend(InstructorBackend):
    name = "embedded"

    def __init__(self, settings: Settings, *, load: bool = True) -> None:
        super().__init__(
            temperature=settings.temperature,
            seed=settings.seed,
            max_reasks=settings.max_reasks,
            transport_retries=0,
        )
        self.settings = settings
        self.model_path: Path | None = settings.model_path
        self.model = self.model_path.stem if self.model_path else DEFAULT_MODEL.name
        self._llama: Any = None
        self._lock = threading.Lock()
        self.load_seconds: float | None = None
        if load:
            self.load()

    def load(self) -> None:
        """Find (or assemble) the GGUF and load it once."""
        if self._llama is not None:
            return
        try:
            import llama_cpp
        except ImportError as exc:  # pragma: no cover - install problem
            raise BackendUnavailable("llama-cpp-python is not installed: run the README's set-up command") from exc
        try:
            path = self.model_path or ensure_model(self.settings.cache_dir)
        except ModelUnavailable as exc:
            raise BackendUnavailable(str(exc)) from exc
        if not path.is_file():
            raise BackendUnavailable(f"no GGUF model at {path}: fix OPSUM_MODEL_PATH")
        started = time.perf_counter()
        try:
            self._llama = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=self.settings.n_ctx,
                n_threads=self.settings.n_threads,
                seed=self.settings.seed,
                verbose=False,
            )
        except Exception as exc:  # llama.cpp raises ValueError on a bad file
            raise BackendUnavailable(f"llama.cpp could not load {path}: {exc}") from exc
        self.load_seconds = time.perf_counter() - started
        self.model_path = path
        log.info("embedded model %s loaded in %.1fs", path.name, self.load_seconds)

    def _raw_create(self, **kwargs: Any) -> Any:
        self.load()
        kwargs.pop("model", None)
        work = current_deadline()
        call = work.child(self.settings.timeout_s, what="LLM call")
        # waiting for the model counts against the call; a generation stops after the token at which
        # the call's deadline passes or the work is cancelled (the logits processor leaves scores as they are)
        if not self._lock.acquire(timeout=min(call.remaining(), threading.TIMEOUT_MAX)):
            raise self._timed_out(work, call)
        try:
            return self._llama.create_chat_completion_openai_v1(**kwargs, logits_processor=[_StopAt(call)])
        except _Stopped as exc:
            raise self._timed_out(work, call) from exc
        finally:
            self._lock.release()

    def _timed_out(self, work: Deadline, call: Deadline) -> BackendTimeout:
        if work.expired():
            return DeadlineExceeded(f"the LLM call was cut: {work.reason}")
        return BackendTimeout(
            f"the embedded model did not finish within {self.settings.timeout_s}s; raise OPSUM_TIMEOUT_S "
            "or OPSUM_N_THREADS, or lower OPSUM_MAX_TOKENS"
        )

    def count_tokens(self, text: str) -> int:
        self.load()
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def check_ready(self) -> None:
        self.load()

"""The embedded default: a GGUF model run in process by llama.cpp (llama-cpp-python).

Structured output is grammar-constrained: instructor's TOOLS mode sends a forced tool choice,
and llama-cpp-python compiles the tool's JSON schema into a GBNF grammar. The model's own chat
template (from the GGUF metadata) formats the messages. One generation runs at a time.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from pathlib import Path
from typing import Any

from service.backends.base import InstructorBackend
from service.deadline import Deadline, DeadlineExceeded, current_deadline
from service.errors import BackendUnavailable
from service.model_store import DEFAULT_MODEL, ModelUnavailable, ensure_model
from service.settings import Settings

__all__ = ["EmbeddedBackend"]

log = logging.getLogger(__name__)


class _Stopped(Exception):
    """Raised from llama.cpp's generation loop to end a generation past its deadline."""


def _checked_eval(llama: Any, deadline: Deadline) -> Any:
    """`llama.eval`, refusing to evaluate the next token once `deadline` has passed or was cancelled.

    llama-cpp-python's generation loop is Python: it calls `self.eval(tokens)` once for the prompt and
    once per generated token, so an exception here ends the generation at the next token. (A logits
    processor would run inside a ctypes callback, where an exception is printed and swallowed.)
    Sampling is untouched, so the output is the same as without the check."""
    original = llama.eval

    def eval_(tokens: Any) -> Any:
        if deadline.expired():
            raise _Stopped(deadline.reason)
        return original(tokens)

    return eval_


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
        # The work's deadline (a request's time limit, a cancel) bounds the wait for the model and the
        # generation, which stops at the next token (see _checked_eval). OPSUM_TIMEOUT_S is not applied
        # here: a generation is already bounded by OPSUM_MAX_TOKENS, and a long article's prompt on a
        # slow CPU must not be cut where it used to finish.
        work = current_deadline()
        if not self._lock.acquire(timeout=min(work.remaining(), threading.TIMEOUT_MAX)):
            raise DeadlineExceeded(f"the embedded model was busy until {work.reason}")
        self._llama.eval = _checked_eval(self._llama, work)  # an instance attribute, removed below
        try:
            return self._llama.create_chat_completion_openai_v1(**kwargs)
        except _Stopped as exc:
            raise DeadlineExceeded(f"the generation was stopped: {work.reason}") from exc
        finally:
            with contextlib.suppress(AttributeError):
                del self._llama.eval
            self._lock.release()

    def count_tokens(self, text: str) -> int:
        self.load()
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def check_ready(self) -> None:
        self.load()

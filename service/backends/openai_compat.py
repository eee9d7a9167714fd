"""Any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server) through `openai` + instructor."""

from __future__ import annotations

from typing import Any

import httpx2
import openai

from service.backends.base import InstructorBackend, TransientError
from service.backends.bounded_http import BoundedTransport, ReplyTooLarge, bounded_call
from service.deadline import DeadlineExceeded, current_deadline
from service.errors import BackendBadOutput, BackendReplyTooLarge, BackendTimeout, BackendUnavailable
from service.settings import Settings

__all__ = ["OpenAIBackend"]


class OpenAIBackend(InstructorBackend):
    name = "openai"

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            temperature=settings.temperature,
            seed=settings.seed,
            max_reasks=settings.max_reasks,
            transport_retries=settings.transport_retries,
        )
        self.model = settings.model or "gpt-4o-mini"
        self.base_url = settings.base_url
        self.timeout_s = settings.timeout_s
        self.max_reply_bytes = settings.max_reply_bytes
        # The openai client's own retries are off: ours count each retry into the call's usage.
        # Its sockets obey the deadline of each call (connect + whole reply) and the reply cap.
        self.client = openai.OpenAI(
            base_url=settings.base_url,
            api_key=settings.api_key or "not-needed",
            timeout=settings.timeout_s,
            max_retries=0,
            http_client=httpx2.Client(transport=BoundedTransport(), timeout=settings.timeout_s),
        )

    def _raw_create(self, **kwargs: Any) -> Any:
        work = current_deadline()
        try:
            with bounded_call(work, self.timeout_s, self.max_reply_bytes):
                return self.client.chat.completions.create(**kwargs, timeout=max(0.001, work.bound(self.timeout_s)))
        except openai.APITimeoutError as exc:
            if work.expired():  # the request's own deadline, or a cancel, cut the call
                raise DeadlineExceeded(f"the LLM call was cut: {work.reason}") from exc
            raise BackendTimeout(
                f"the openai backend at {self.base_url or 'api.openai.com'} did not answer within "
                f"{self.timeout_s}s (connect and whole reply); raise OPSUM_TIMEOUT_S or check the server"
            ) from exc
        except openai.APIConnectionError as exc:
            if isinstance(exc.__cause__, ReplyTooLarge):
                raise BackendReplyTooLarge(
                    f"{exc.__cause__}: it was abandoned unread; raise OPSUM_MAX_REPLY_BYTES if the model "
                    "really answers this much"
                ) from exc
            raise TransientError(f"cannot connect to {self.base_url or 'the OpenAI API'}") from exc
        except openai.InternalServerError as exc:
            raise TransientError(f"HTTP {exc.status_code} from the backend") from exc
        except openai.RateLimitError as exc:
            raise TransientError("HTTP 429 (rate limited) from the backend") from exc
        except openai.AuthenticationError as exc:
            raise BackendUnavailable(
                "the backend rejected the API key (HTTP 401); set OPSUM_API_KEY or OPENAI_API_KEY"
            ) from exc
        except openai.NotFoundError as exc:
            raise BackendUnavailable(
                f"the backend does not know model {self.model!r} or the URL is wrong (HTTP 404); check OPSUM_MODEL "
                "and OPSUM_BASE_URL"
            ) from exc
        except openai.APIStatusError as exc:
            raise BackendBadOutput(f"HTTP {exc.status_code} from the backend: {exc.message[:200]}") from exc

    def check_ready(self) -> None:
        """Raise BackendUnavailable unless the endpoint answers `GET /models`."""
        try:
            self.client.with_options(timeout=5.0).models.list()
        except openai.APIConnectionError as exc:
            raise BackendUnavailable(
                f"cannot reach the openai backend at {self.base_url or 'api.openai.com'}: start the server "
                "or fix OPSUM_BASE_URL"
            ) from exc
        except openai.APIStatusError as exc:
            if exc.status_code >= 500:
                raise BackendUnavailable(f"the openai backend answers HTTP {exc.status_code}") from exc

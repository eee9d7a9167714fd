"""Real bounds on time and size (issue 10, break 4): a per-call deadline that a trickling backend cannot
stretch, a cap on the reply's size, and a request deadline that cancels the work and frees its slot."""

from __future__ import annotations

import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from service.backends.openai_compat import OpenAIBackend
from service.deadline import Deadline, DeadlineExceeded
from service.errors import BackendReplyTooLarge, BackendTimeout
from service.settings import Settings
from service.summarise import Summariser
from tests.api.conftest import ServeFn, running
from tests.api.hostile_backend import Delivery, HostileBackend
from tests.api.oracle import SEED, oracle, wait_until
from tests.api.test_errors import assert_problem
from tests.support.scripted_server import ScriptedServer


def _settings(url: str, tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "backend": "openai",
        "base_url": url,
        "model": "scripted",
        "api_key": "test",
        "transport_retries": 0,
        "max_reasks": 0,
        "timeout_s": 10.0,
        "cache_dir": tmp,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _timed(fn: object, limit: float) -> tuple[float, BaseException | None]:
    """Run `fn()` in a thread; (time.perf_counter() when it ended, exception raised). Fails past `limit`."""
    box: list[BaseException | None] = [None]

    def target() -> None:
        try:
            fn()  # type: ignore[operator]
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box[0] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(limit)
    assert not t.is_alive(), f"still running after {limit}s: the bound did not hold"
    return time.perf_counter(), box[0]


def test_a_trickling_backend_is_cut_at_the_call_deadline(tmp_path: Path) -> None:
    """One byte every 0.5 s keeps every socket read short; the whole call must still end at OPSUM_TIMEOUT_S."""
    with HostileBackend(Delivery(trickle_s=0.5, chunk=1)) as backend:
        summariser = Summariser(_settings(backend.base_url, tmp_path, timeout_s=2.0))
        ended, error = _timed(lambda: summariser.summarise(SEED), limit=30.0)
    assert isinstance(error, BackendTimeout), error
    assert "OPSUM_TIMEOUT_S" in str(error)
    took = ended - backend.arrived[0]  # from the request's arrival to the error (connect is a moment before)
    assert 1.8 <= took < 2.8, took
    assert backend.calls == ["Entities"]  # no further step after the timeout


def test_a_huge_reply_is_abandoned_at_the_cap_not_parsed(tmp_path: Path) -> None:
    """A 60 MB reply: the call fails once the cap is read, and memory stays far below the reply's size."""
    with HostileBackend(Delivery(pad_bytes=60 * 1024 * 1024)) as backend:
        summariser = Summariser(_settings(backend.base_url, tmp_path, max_reply_bytes=1024 * 1024))
        summariser.backend  # noqa: B018 - build the client before measuring
        tracemalloc.start()
        try:
            _, error = _timed(lambda: summariser.summarise(SEED), limit=20.0)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert isinstance(error, BackendReplyTooLarge), error
    assert "OPSUM_MAX_REPLY_BYTES" in str(error)
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB: the reply was read in full"
    assert backend.calls == ["Entities"]  # not re-asked, not retried


def test_a_reply_under_the_cap_is_read(tmp_path: Path) -> None:
    with HostileBackend(Delivery(pad_bytes=100_000)) as backend:
        result = Summariser(_settings(backend.base_url, tmp_path, max_reply_bytes=1024 * 1024)).summarise(SEED)
    assert result.summary.relevant


def test_a_cancelled_deadline_cuts_the_call_in_progress(tmp_path: Path) -> None:
    with HostileBackend(Delivery(trickle_s=0.2, chunk=1)) as backend:
        backend_ = OpenAIBackend(_settings(backend.base_url, tmp_path, timeout_s=30.0))
        summariser = Summariser(_settings(backend.base_url, tmp_path), backend=backend_)
        deadline = Deadline()
        cancelled_at: list[float] = []

        def cancel_when_the_call_runs() -> None:
            while not backend.arrived:
                time.sleep(0.01)
            time.sleep(0.3)
            cancelled_at.append(time.perf_counter())
            deadline.cancel("the client went away")

        threading.Thread(target=cancel_when_the_call_runs, daemon=True).start()
        ended, error = _timed(lambda: summariser.summarise(SEED, deadline=deadline), limit=30.0)
    assert isinstance(error, DeadlineExceeded) and "client went away" in str(error), error
    assert ended - cancelled_at[0] < 0.7, ended - cancelled_at[0]
    assert backend.calls == ["Entities"]


def test_no_llm_step_starts_after_the_deadline(tmp_path: Path) -> None:
    with running(ScriptedServer(responder=oracle())) as server:
        summariser = Summariser(_settings(server.base_url, tmp_path))
        deadline = Deadline(0.0)
        with pytest.raises(DeadlineExceeded, match="not started"):
            summariser.summarise(SEED, deadline=deadline)
        assert server.requests == []


def test_request_deadline_is_504_and_frees_the_slot_at_once(serve: ServeFn) -> None:
    """After the 504 the work is cancelled: the slot is free within a fraction of a second, no further step runs."""
    with (
        running(ScriptedServer(responder=oracle(delay=3.0))) as server,
        serve(
            server,
            settings={"prompt_version": "v2-mined-mentions"},
            service={"request_timeout_s": 0.5, "max_concurrency": 1},
        ) as c,
    ):
        started = time.perf_counter()
        body = assert_problem(c.post("/v1/summarise", json={"text": SEED}), 504, "request-timeout")
        assert time.perf_counter() - started < 1.0
        assert "OPSUM_REQUEST_TIMEOUT_S" in body["detail"]
        assert wait_until(lambda: c.get("/readyz").json()["queue"]["running"] == 0, timeout=1.5)
        time.sleep(3.5)  # the backend would have answered the first step by now
        assert len(server.requests) == 1


def test_queue_status_gives_a_waiting_request_its_place(serve: ServeFn) -> None:
    import httpx

    with (
        running(ScriptedServer(responder=oracle(delay=2.0))) as server,
        serve(server, settings={"prompt_version": "v1-schema-fill"}, service={"max_concurrency": 1}) as c,
    ):
        base = str(c.base_url)
        results: list[int] = []

        def post(request_id: str) -> None:
            r = httpx.post(
                base + "/v1/summarise", json={"text": SEED}, headers={"X-Request-ID": request_id}, timeout=30
            )
            results.append(r.status_code)

        first = threading.Thread(target=post, args=("first-one",), daemon=True)
        first.start()
        assert wait_until(lambda: len(server.requests) == 1, timeout=10)
        second = threading.Thread(target=post, args=("second-one",), daemon=True)
        second.start()
        assert wait_until(lambda: c.get("/v1/queue/second-one").status_code == 200, timeout=5)
        waiting = c.get("/v1/queue/second-one").json()
        running_now = c.get("/v1/queue/first-one").json()
        assert waiting["state"] == "queued" and waiting["position"] == 1
        assert running_now["state"] == "running" and running_now["position"] is None
        assert_problem(c.get("/v1/queue/nobody"), 404, "unknown-request")
        first.join(15)
        second.join(15)
        assert results == [200, 200]
        assert_problem(c.get("/v1/queue/second-one"), 404, "unknown-request")  # finished: forgotten


def test_a_client_that_leaves_mid_run_cancels_the_work(serve: ServeFn) -> None:
    import httpx

    with (
        running(ScriptedServer(responder=oracle(delay=3.0))) as server,
        serve(server, service={"max_concurrency": 1}) as c,
    ):
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(str(c.base_url) + "/v1/summarise", json={"text": SEED}, timeout=0.8)
        # the server notices the disconnect and cuts the call: the slot is free long before the backend answers
        assert wait_until(lambda: c.get("/readyz").json()["queue"]["running"] == 0, timeout=1.5)
        time.sleep(3.0)
        assert len(server.requests) == 1  # no further step


class _FakeLlama:
    """llama-cpp-python's shape where it matters: the generation loop calls `self.eval` once per token."""

    def __init__(self) -> None:
        self.tokens = 0

    def eval(self, tokens: list[int]) -> None:
        self.tokens += len(tokens)
        time.sleep(0.01)

    def create_chat_completion_openai_v1(self, **kwargs: object) -> str:
        for i in range(300):  # 3 s of "generation"
            self.eval([i])
        return "done"


def test_the_embedded_generation_stops_at_the_next_token_once_cancelled(tmp_path: Path) -> None:
    from service.backends.embedded import EmbeddedBackend
    from service.deadline import deadline_scope

    backend = EmbeddedBackend(Settings(cache_dir=tmp_path), load=False)
    fake = _FakeLlama()
    backend._llama = fake
    deadline = Deadline()
    threading.Timer(0.3, deadline.cancel, args=("the service is shutting down",)).start()
    started = time.perf_counter()
    with deadline_scope(deadline), pytest.raises(DeadlineExceeded, match="shutting down"):
        backend._raw_create(messages=[], model="x")
    assert time.perf_counter() - started < 0.6
    assert 5 < fake.tokens < 100
    assert "eval" not in vars(fake)  # the check is removed again
    assert backend._raw_create(messages=[], model="x") == "done"  # no deadline: it runs to the end

"""A slow, broken or lying backend: 502 / 504 problems, and the service carries on afterwards."""

from __future__ import annotations

import socket
import time
from typing import Any

import httpx
import pytest

from tests.api.conftest import ServeFn, running
from tests.api.oracle import SEED, oracle, tool_name
from tests.api.test_errors import assert_problem
from tests.support.scripted_server import ScriptedServer, Step, tool_reply


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_backend_unreachable_is_502_and_not_ready(serve: ServeFn, scripted: ScriptedServer) -> None:
    dead = f"http://127.0.0.1:{_closed_port()}/v1"
    with serve(scripted, settings={"base_url": dead}) as c:
        body = assert_problem(c.get("/readyz"), 503, "not-ready")
        assert "cannot reach" in body["detail"]
        body = assert_problem(c.post("/v1/summarise", json={"text": SEED}), 502, "backend-unavailable")
        assert "cannot connect" in body["detail"]
        assert c.get("/healthz").status_code == 200  # alive, not ready


def test_backend_down_mid_request_is_502(serve: ServeFn) -> None:
    """The first call of the three is answered; then the backend drops the connection."""

    def fault(body: dict[str, Any]) -> Step | None:
        return Step(drop=True) if tool_name(body) == "MentionLabels" else None

    with running(ScriptedServer(responder=oracle(fault=fault))) as server, serve(server) as c:
        body = assert_problem(c.post("/v1/summarise", json={"text": SEED}), 502, "backend-unavailable")
        assert "failed" in body["detail"]
        assert [tool_name(b) for b in server.requests] == ["Entities", "MentionLabels"]


def test_http_500s_after_retries_are_502(serve: ServeFn) -> None:
    with (
        running(ScriptedServer(script=[Step(status=500)])) as server,
        serve(server, settings={"transport_retries": 1}) as c,
    ):
        body = assert_problem(c.post("/v1/summarise", json={"text": SEED}), 502, "backend-unavailable")
        assert "2 tries" in body["detail"] and len(server.requests) == 2


def test_backend_timeout_is_504(serve: ServeFn) -> None:
    with (
        running(ScriptedServer(responder=oracle(delay=1.5))) as server,
        serve(server, settings={"timeout_s": 0.3}) as c,
    ):
        started = time.perf_counter()
        body = assert_problem(c.post("/v1/summarise", json={"text": SEED}), 504, "backend-timeout")
        assert time.perf_counter() - started < 1.4
        assert "OPSUM_TIMEOUT_S" in body["detail"]


@pytest.mark.parametrize("version", ["v2-mined-mentions", "v1-schema-fill"])
@pytest.mark.parametrize("garbage", ["not json {", '{"relevant": "perhaps"}', ""])
def test_garbage_after_the_reasks_is_502(serve: ServeFn, version: str, garbage: str) -> None:
    with (
        running(ScriptedServer(script=[tool_reply(garbage)])) as server,
        serve(server, settings={"max_reasks": 1}) as c,
    ):
        r = c.post("/v1/summarise", json={"text": SEED, "prompt_version": version})
        body = assert_problem(r, 502, "backend-bad-output")
        assert "usable answer" in body["detail"]
        assert len(server.requests) == 2  # one ask, one re-ask


def test_the_service_recovers_when_the_backend_comes_back(serve: ServeFn) -> None:
    broken = {"on": True}

    def fault(body: dict[str, Any]) -> Step | None:
        return Step(drop=True) if broken["on"] else None

    with running(ScriptedServer(responder=oracle(fault=fault))) as server, serve(server) as c:
        assert c.post("/v1/summarise", json={"text": SEED}).status_code == 502
        broken["on"] = False
        r = c.post("/v1/summarise", json={"text": SEED})
        assert r.status_code == 200 and r.json()["summary"]["arrests"]["value"] == 3


def test_a_failing_item_does_not_fail_the_batch(serve: ServeFn) -> None:
    def fault(body: dict[str, Any]) -> Step | None:
        text = "\n".join(str(m.get("content")) for m in body["messages"])
        return Step(status=500) if "BROKEN" in text else None

    with running(ScriptedServer(responder=oracle(fault=fault))) as server, serve(server) as c:
        items = [{"id": "good", "text": SEED}, {"id": "bad", "text": SEED + "\nBROKEN"}]
        r = c.post("/v1/summarise/batch", json={"items": items})
        assert r.status_code == 200
        by_id = {res["id"]: res for res in r.json()["results"]}
        assert by_id["good"]["status"] == 200
        assert by_id["bad"]["status"] == 502
        assert by_id["bad"]["problem"]["type"] == "urn:opsum:problem:backend-unavailable"


def test_client_timeouts_do_not_break_the_server(serve: ServeFn) -> None:
    with running(ScriptedServer(responder=oracle(delay=0.4))) as server, serve(server) as c:
        with pytest.raises(httpx.ReadTimeout):
            c.post("/v1/summarise", json={"text": SEED}, timeout=0.1)
        assert c.post("/v1/summarise", json={"text": SEED}).status_code == 200

"""Bad input gets a clear problem (application/problem+json), never a 500 with a stack trace."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from service.api import create_app
from service.summarise import Summariser
from tests.api.conftest import LiveServer, ServeFn, backend_settings, service_settings
from tests.api.oracle import SEED
from tests.support.scripted_server import ScriptedServer

PROBLEM = "application/problem+json"


def assert_problem(r: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["type"] == f"urn:opsum:problem:{slug}"
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["request_id"] == r.headers["x-request-id"]
    assert "Traceback" not in r.text
    return body


@pytest.mark.parametrize(
    "payload, slug",
    [
        ({}, "invalid-request"),
        ({"title": "no text"}, "invalid-request"),
        ({"text": None}, "invalid-request"),
        ({"text": 42}, "invalid-request"),
        ({"text": ["a"]}, "invalid-request"),
        ({"text": ""}, "empty-article"),
        ({"text": " \n\t "}, "empty-article"),
        ({"text": "abc\x00def " * 10}, "binary-article"),
        ({"text": SEED, "title": "t" * 1001}, "invalid-request"),
    ],
)
def test_422_for_missing_empty_or_unusable_text(
    client: httpx.Client, scripted: ScriptedServer, payload: dict[str, Any], slug: str
) -> None:
    body = assert_problem(client.post("/v1/summarise", json=payload), 422, slug)
    if slug == "invalid-request":
        assert body["errors"] and all("input" not in e for e in body["errors"])
    assert scripted.requests == []


@pytest.mark.parametrize(
    "raw", [b'{"text": "abc"', b"", b"null", b"[]", b'"text"', b"{'text': 'x'}", b'{"text": "caf\xe9"}']
)
def test_422_for_malformed_json(client: httpx.Client, raw: bytes) -> None:
    r = client.post("/v1/summarise", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM


def test_malformed_json_names_the_position(client: httpx.Client) -> None:
    r = client.post("/v1/summarise", content=b'{"text": }', headers={"Content-Type": "application/json"})
    body = assert_problem(r, 422, "malformed-json")
    assert "character 9" in body["detail"]


def test_unknown_prompt_version_is_422(client: httpx.Client, scripted: ScriptedServer) -> None:
    body = assert_problem(
        client.post("/v1/summarise", json={"text": SEED, "prompt_version": "v9"}), 422, "invalid-request"
    )
    assert "v2-mined-mentions" in body["detail"]  # the message lists the versions there are
    assert scripted.requests == []


def test_unknown_prompt_version_without_a_schema_enum(serve: ServeFn, scripted: ScriptedServer, tmp_path: Path) -> None:
    """A version that vanished after start-up still gets the core's message, as a 422."""
    app = create_app(backend_settings(scripted, tmp_path), service_settings(tmp_path))
    summariser: Summariser = app.state.opsum.summariser
    summariser.registry._versions.pop("v1-schema-fill")
    with LiveServer(app) as live, httpx.Client(base_url=live.url) as c:
        r = c.post("/v1/summarise", json={"text": SEED, "prompt_version": "v1-schema-fill"})
        body = assert_problem(r, 422, "unknown-prompt-version")
        assert body["known_versions"] == ["v2-mined-mentions"]


def test_413_when_the_article_is_over_the_character_limit(serve: ServeFn, scripted: ScriptedServer) -> None:
    with serve(scripted, settings={"max_chars": 1000}) as c:
        body = assert_problem(c.post("/v1/summarise", json={"text": "x" * 1001}), 413, "article-too-long")
        assert body["limit"] == 1000 and body["length"] == 1001
        assert c.post("/v1/summarise", json={"text": SEED[:1000]}).status_code == 200


def test_413_when_the_body_is_over_the_byte_limit(serve: ServeFn, scripted: ScriptedServer) -> None:
    with serve(scripted, service={"max_body_bytes": 2048}) as c:
        body = assert_problem(c.post("/v1/summarise", json={"text": "é" * 2000}), 413, "body-too-large")
        assert body["limit"] == 2048


def _raw_request(url: str, head: str, body: bytes = b"", read_timeout: float = 5.0) -> tuple[float, bytes]:
    """Send a raw HTTP/1.1 request; return (seconds to the first byte of the answer, the answer)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=read_timeout) as sock:
        started = time.perf_counter()
        sock.sendall(head.encode() + body)
        answer = sock.recv(65536)
        elapsed = time.perf_counter() - started
        while b"\r\n\r\n" not in answer or len(answer.partition(b"\r\n\r\n")[2]) < _length(answer):
            more = sock.recv(65536)
            if not more:
                break
            answer += more
        return elapsed, answer


def _length(answer: bytes) -> int:
    for line in answer.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def test_413_from_content_length_before_the_body_is_read(client: httpx.Client) -> None:
    head = (
        "POST /v1/summarise HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        "Content-Length: 50000000\r\n\r\n"
    )
    elapsed, answer = _raw_request(str(client.base_url), head, b'{"text": "')
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"body-too-large" in answer and elapsed < 2


def test_413_for_a_chunked_body_that_grows_too_large(serve: ServeFn, scripted: ScriptedServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(100):
            yield b"a" * 1024
        yield b'"}'

    with serve(scripted, service={"max_body_bytes": 4096}) as c:
        r = c.post("/v1/summarise", content=chunks(), headers={"Content-Type": "application/json"})
        assert_problem(r, 413, "body-too-large")
        assert scripted.requests == []


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
    ],
)
def test_415_for_a_wrong_content_type(client: httpx.Client, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    r = client.post("/v1/summarise", content=json.dumps({"text": SEED}).encode(), headers=headers)
    if content_type is None:  # httpx adds none for raw bytes
        assert "content-type" not in r.request.headers
    assert_problem(r, 415, "unsupported-media-type")


def test_json_variants_are_accepted(client: httpx.Client) -> None:
    for content_type in ["application/json; charset=utf-8", "application/problem+json", "Application/JSON"]:
        r = client.post(
            "/v1/summarise", content=json.dumps({"text": SEED}).encode(), headers={"Content-Type": content_type}
        )
        assert r.status_code == 200, (content_type, r.text)


def test_404_and_405_are_problems(client: httpx.Client) -> None:
    assert_problem(client.get("/v1/nothing"), 404, "not-found")
    r = client.get("/v1/summarise")
    assert_problem(r, 405, "method-not-allowed")
    assert r.headers["allow"] == "POST"


class _Exploding(Summariser):
    def summarise(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals /home/app/model.py line 12")


def test_an_unexpected_error_is_a_500_problem_without_details(scripted: ScriptedServer, tmp_path: Path) -> None:
    settings = backend_settings(scripted, tmp_path)
    app = create_app(settings, service_settings(tmp_path), summariser=_Exploding(settings))
    with LiveServer(app) as live, httpx.Client(base_url=live.url) as c:
        body = assert_problem(c.post("/v1/summarise", json={"text": SEED}), 500, "internal-error")
        assert "secret" not in json.dumps(body)
        assert c.get("/healthz").status_code == 200  # and the server lives on

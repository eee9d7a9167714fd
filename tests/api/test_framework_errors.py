"""Framework-level errors and docs (issue 10, break 6): problem+json for what the app can intercept,
/docs and /redoc with no network."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import httpx

from tests.api.conftest import running
from tests.api.oracle import oracle
from tests.api.test_errors import assert_problem
from tests.api.test_server import opsum_server
from tests.support.scripted_server import ScriptedServer


def test_json_nested_100000_deep_is_the_documented_422(client: httpx.Client) -> None:
    body = '{"text": ' + "[" * 100_000 + "]" * 100_000 + "}"
    r = client.post("/v1/summarise", content=body, headers={"Content-Type": "application/json"})
    problem = assert_problem(r, 422, "malformed-json")
    assert "nested" in problem["detail"]


def test_a_malformed_content_length_is_a_problem(tmp_path: Path) -> None:
    with (
        running(ScriptedServer(responder=oracle())) as backend,
        opsum_server(backend, tmp_path, graceful=1.0) as (_, url, _t),
    ):
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(
                b"POST /v1/summarise HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 12abc\r\n\r\n{}"
            )
            sock.settimeout(3)
            reply = b""
            while chunk := sock.recv(4096):
                reply += chunk
    head, _, payload = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), head
    assert b"content-type: application/problem+json" in head.lower()
    problem = json.loads(payload)
    assert problem["type"] == "urn:opsum:problem:malformed-request" and problem["status"] == 400


def test_docs_and_redoc_load_nothing_from_another_host(client: httpx.Client) -> None:
    for page in ("/docs", "/redoc"):
        r = client.get(page)
        assert r.status_code == 200
        urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", r.text)
        urls += re.findall(r"""url:\s*['"]([^'"]+)['"]""", r.text)
        assert urls, page
        assert not [u for u in urls if u.startswith(("http:", "https:", "//"))], (page, urls)
        for u in urls:
            if u.startswith("/docs-assets/"):
                asset = client.get(u)
                assert asset.status_code == 200 and len(asset.content) > 1000, u

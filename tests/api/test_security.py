"""API keys, request IDs, logs without article text, CORS off unless configured."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from service.api import ServiceSettings
from service.api.logs import RequestIdFilter
from tests.api.conftest import ServeFn
from tests.api.oracle import SEED
from tests.api.test_errors import _raw_request, assert_problem
from tests.support.scripted_server import ScriptedServer

KEY = "k3y-for-tests-0123456789"


@pytest.fixture
def keyed(serve: ServeFn, scripted: ScriptedServer) -> Iterator[httpx.Client]:
    with serve(scripted, service={"api_keys": [KEY, "another-key-abcdef"]}) as c:
        yield c


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/v1/prompts"),
        ("GET", "/v1/examples"),
        ("POST", "/v1/summarise"),
        ("POST", "/v1/summarise/batch"),
        ("GET", "/v1/nothing"),
    ],
)
def test_every_v1_route_needs_a_key(keyed: httpx.Client, scripted: ScriptedServer, method: str, path: str) -> None:
    r = keyed.request(method, path, json={"text": SEED})
    body = assert_problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == 'Bearer realm="opsum"'
    assert "Authorization: Bearer" in body["detail"]
    assert scripted.requests == []


@pytest.mark.parametrize(
    "header, error",
    [
        ("Bearer wrong-key-000000", "invalid_token"),
        (f"Basic {KEY}", "invalid_request"),
        ("Bearer", "invalid_request"),
        (f"Bearer {KEY}x", "invalid_token"),
    ],
)
def test_a_wrong_key_is_401(keyed: httpx.Client, header: str, error: str) -> None:
    r = keyed.post("/v1/summarise", json={"text": SEED}, headers={"Authorization": header})
    assert_problem(r, 401, "unauthorized")
    assert f'error="{error}"' in r.headers["www-authenticate"]


def test_a_right_key_passes(keyed: httpx.Client) -> None:
    for key in (KEY, "another-key-abcdef"):
        headers = {"Authorization": f"bearer {key}"}
        assert keyed.post("/v1/summarise", json={"text": SEED}, headers=headers).status_code == 200
        assert keyed.get("/v1/prompts", headers=headers).status_code == 200


def test_probes_page_and_docs_need_no_key(keyed: httpx.Client) -> None:
    for path in ("/healthz", "/readyz", "/", "/openapi.json", "/docs"):
        assert keyed.get(path).status_code == 200, path
    schema = keyed.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert schema["paths"]["/v1/summarise"]["post"]["security"] == [{"apiKey": []}]


def test_auth_comes_before_the_body_is_read(keyed: httpx.Client) -> None:
    head = "POST /v1/summarise HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\nContent-Length: 50000000\r\n\r\n"
    elapsed, answer = _raw_request(str(keyed.base_url), head)
    assert answer.startswith(b"HTTP/1.1 401") and elapsed < 2


def test_api_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSUM_API_KEYS", f"{KEY}, second-key-123456")
    monkeypatch.setenv("OPSUM_CORS_ORIGINS", '["https://a.example", "https://b.example"]')
    s = ServiceSettings()
    assert [k.get_secret_value() for k in s.api_keys] == [KEY, "second-key-123456"]
    assert s.cors_origins == ["https://a.example", "https://b.example"]
    assert KEY not in repr(s)
    monkeypatch.setenv("OPSUM_API_KEYS", "short")
    with pytest.raises(ValueError, match="at least 8 characters"):
        ServiceSettings()


def test_request_ids_are_made_or_echoed(client: httpx.Client) -> None:
    made = client.get("/healthz").headers["x-request-id"]
    assert len(made) == 32
    assert client.get("/healthz").headers["x-request-id"] != made
    assert client.get("/healthz", headers={"X-Request-ID": "pipeline-42.a"}).headers["x-request-id"] == "pipeline-42.a"
    odd = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"}).headers["x-request-id"]
    assert odd != "bad id\twith spaces" and len(odd) == 32
    r = client.post("/v1/summarise", json={}, headers={"X-Request-ID": "req-7"})
    assert r.headers["x-request-id"] == "req-7" and r.json()["request_id"] == "req-7"


def test_log_lines_carry_the_request_id_and_never_the_article(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    marker = "Zyxwvutsrq"  # a word that appears only in the article
    text = SEED + f"\nThe {marker} unit assisted."
    caplog.handler.addFilter(RequestIdFilter())  # stamps each record as it is emitted, in its context
    with caplog.at_level(logging.INFO):
        r = client.post("/v1/summarise", json={"text": text}, headers={"X-Request-ID": "trace-me-1"})
        client.post("/v1/summarise", json={"text": text, "prompt_version": "v0"})
    assert r.status_code == 200
    info = [rec for rec in caplog.records if rec.levelno >= logging.INFO]
    assert not any(marker in rec.getMessage() for rec in info)
    core_lines = [rec for rec in info if rec.getMessage().startswith("summarised ")]
    assert core_lines and all(rec.request_id == "trace-me-1" for rec in core_lines)  # type: ignore[attr-defined]
    access = [rec.getMessage() for rec in info if rec.name == "service.api.access"]
    assert any(m.startswith("POST /v1/summarise 200") for m in access)


def test_cors_is_off_by_default(client: httpx.Client) -> None:
    r = client.post("/v1/summarise", json={"text": SEED}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    pre = client.options(
        "/v1/summarise", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in pre.headers


def test_cors_allows_only_the_configured_origins(serve: ServeFn, scripted: ScriptedServer) -> None:
    with serve(scripted, service={"cors_origins": ["https://newsroom.example"], "api_keys": [KEY]}) as c:
        pre = c.options(
            "/v1/summarise",
            headers={
                "Origin": "https://newsroom.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == "https://newsroom.example"
        r = c.post(
            "/v1/summarise",
            json={"text": SEED},
            headers={"Origin": "https://newsroom.example", "Authorization": f"Bearer {KEY}"},
        )
        assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "https://newsroom.example"
        assert "X-Request-ID" in r.headers["access-control-expose-headers"]
        other = c.options(
            "/v1/summarise", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        )
        assert "access-control-allow-origin" not in other.headers

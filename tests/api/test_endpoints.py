"""What each endpoint answers when all goes well (SPEC §5)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import ServeFn
from tests.api.oracle import SEED, SEED_COUNTS, SEED_TITLE, tool_name
from tests.support.scripted_server import ScriptedServer

META_KEYS = {
    "model",
    "prompt_version",
    "prompt_hash",
    "llm_calls",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms",
    "warnings",
}


def _counts(summary: dict) -> dict[str, int | None]:
    return {k: (summary[k] or {}).get("value") for k in SEED_COUNTS}


@pytest.mark.parametrize("version, calls", [("v2-mined-mentions", (2, 3)), ("v1-schema-fill", (1, 1))])
def test_summarise_seed_article(
    client: httpx.Client, scripted: ScriptedServer, version: str, calls: tuple[int, int]
) -> None:
    r = client.post("/v1/summarise", json={"text": SEED, "title": SEED_TITLE, "prompt_version": version})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"summary", "meta"}
    summary, meta = body["summary"], body["meta"]
    assert summary["relevant"] is True
    assert _counts(summary) == SEED_COUNTS
    assert summary["operation_name"] == "MOZAIK 2023"
    assert [s["quantity"] for s in summary["seizures"]] == [200]
    for key in SEED_COUNTS:  # every number is quoted from the article
        assert summary[key]["evidence"] in SEED
    assert set(meta) >= META_KEYS
    assert meta["prompt_version"] == version and meta["model"] == "scripted"
    assert calls[0] <= meta["llm_calls"] <= calls[1]  # v2 names seized items itself when the text says
    assert meta["llm_calls"] == len(scripted.requests)
    assert meta["queue_ms"] >= 0


def test_default_prompt_version_and_null_title(client: httpx.Client, scripted: ScriptedServer) -> None:
    r = client.post("/v1/summarise", json={"text": SEED, "title": None, "prompt_version": None})
    assert r.status_code == 200
    assert r.json()["meta"]["prompt_version"] == "v2-mined-mentions"
    assert [tool_name(b) for b in scripted.requests][:2] == ["Entities", "MentionLabels"]


def test_non_english_text_is_not_relevant_not_an_error(client: httpx.Client, scripted: ScriptedServer) -> None:
    text = (
        "La policía detuvo a varios sospechosos durante una operación contra el tráfico de drogas "
        "en la ciudad, según informó el ministerio del interior en un comunicado."
    )
    r = client.post("/v1/summarise", json={"text": text})
    assert r.status_code == 200
    summary = r.json()["summary"]
    assert summary["relevant"] is False
    assert all(summary[k] is None for k in SEED_COUNTS)
    assert scripted.requests == []  # no model call at all


def test_prompts_lists_versions_with_hashes(client: httpx.Client) -> None:
    r = client.get("/v1/prompts")
    assert r.status_code == 200
    body = r.json()
    versions = {p["version"]: p for p in body["prompts"]}
    assert {"v1-schema-fill", "v2-mined-mentions"} <= set(versions)
    assert body["default"] == "v2-mined-mentions" and versions["v2-mined-mentions"]["default"] is True
    for p in versions.values():
        assert len(p["hash"]) == 16 and p["description"] and p["strategy"]


def test_health_and_ready(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ready" and body["backend"] == "openai" and body["model"] == "scripted"
    assert body["queue"]["slots"] == 4


def test_openapi_and_docs(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    post = schema["paths"]["/v1/summarise"]["post"]
    assert {"413", "415", "422", "429", "502", "504"} <= set(post["responses"])
    assert "application/problem+json" in post["responses"]["422"]["content"]
    body_schema = schema["components"]["schemas"]["SummariseRequest"]
    assert body_schema["required"] == ["text"]
    assert client.get("/docs").status_code == 200
    assert client.get("/redoc").status_code == 200


def test_batch_gives_per_item_results_and_problems(client: httpx.Client) -> None:
    items = [
        {"id": "seed", "text": SEED},
        {"id": "blank", "text": "   "},
        {"id": "huge", "text": "word " * 20_001},
        {"id": "v1", "text": SEED, "prompt_version": "v1-schema-fill"},
    ]
    r = client.post("/v1/summarise/batch", json={"items": items})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["succeeded"] == 2 and body["failed"] == 2
    by_id = {res["id"]: res for res in body["results"]}
    assert [res["index"] for res in body["results"]] == [0, 1, 2, 3]
    assert _counts(by_id["seed"]["summary"]) == SEED_COUNTS
    assert by_id["v1"]["meta"]["prompt_version"] == "v1-schema-fill"
    assert by_id["blank"]["status"] == 422
    assert by_id["blank"]["problem"]["type"] == "urn:opsum:problem:empty-article"
    assert by_id["huge"]["status"] == 413 and by_id["huge"]["problem"]["limit"] == 100_000


def test_batch_size_is_bounded(serve: ServeFn, scripted: ScriptedServer) -> None:
    with serve(scripted, service={"batch_max": 2}) as c:
        r = c.post("/v1/summarise/batch", json={"items": [{"text": SEED}] * 3})
        assert r.status_code == 422
        assert "at most 2 items" in r.json()["detail"]
        assert c.post("/v1/summarise/batch", json={"items": []}).status_code == 422
        assert scripted.requests == []


def test_page_is_served_with_a_strict_policy(client: httpx.Client) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<textarea" in r.text and "/v1/summarise" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"


def _write_golden(path: Path) -> None:
    rows = [
        {"id": "one", "title": "First", "text": "Police arrested 3 people.", "labels": {}},
        {"broken": True},
        {"id": "two", "title": "Second", "text": "Officers searched 4 houses.", "labels": {}},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n", encoding="utf-8")


def test_examples_from_the_golden_file(serve: ServeFn, scripted: ScriptedServer, tmp_path: Path) -> None:
    golden = tmp_path / "golden.jsonl"
    _write_golden(golden)
    with serve(scripted, service={"examples_path": golden}) as c:
        listed = c.get("/v1/examples").json()["examples"]
        assert [(e["id"], e["title"]) for e in listed] == [("one", "First"), ("two", "Second")]
        one = c.get("/v1/examples/one").json()
        assert one == {"id": "one", "title": "First", "text": "Police arrested 3 people."}
        missing = c.get("/v1/examples/nope")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"


def test_examples_fall_back_to_the_articles_folder(serve: ServeFn, scripted: ScriptedServer, tmp_path: Path) -> None:
    folder = tmp_path / "golden" / "articles"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text("Headline A\n\nPolice arrested 3 people.", encoding="utf-8")
    (folder / "b.txt").write_text("Body B", encoding="utf-8")
    (folder / "b.labels.json").write_text(json.dumps({"title": "Title B"}), encoding="utf-8")
    with serve(scripted, service={"examples_path": tmp_path / "golden" / "golden.jsonl"}) as c:
        listed = c.get("/v1/examples").json()["examples"]
        assert [(e["id"], e["title"]) for e in listed] == [("a", "Headline A"), ("b", "Title B")]


def test_no_golden_set_means_no_examples(client: httpx.Client) -> None:
    assert client.get("/v1/examples").json() == {"examples": []}

"""End to end against an adversarial OpenAI-compatible backend on 127.0.0.1.

It fills every field of every tool schema it is sent with hostile values (numbers, names, dates
and units the article does not contain, empty strings, negatives). Both prompt versions must give
a summary with none of them, or a clean backend error: CLI exit 3, HTTP 502; never a traceback,
an exit 1 or 2, or an HTTP 500.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from service.cli import main
from tests.api.conftest import ServeFn
from tests.support.hostile import hostile_arguments, leaks
from tests.support.scripted_server import ScriptedServer, Step, tool_reply

ARTICLE = (
    "RIGA, 4 June 2024 - Police identified 39 suspects and arrested 8 people on Monday in Operation "
    "NORTH LIGHT, the Latvian State Police said. Officers searched 41 homes and seized 300 kg of "
    "cannabis and \u20ac14 million in cash. Two victims were rescued. Europol supported the action."
)
VERSIONS = ["v1-schema-fill", "v2-mined-mentions"]
VARIANTS = range(8)


def hostile_server(variant: int) -> ScriptedServer:
    def respond(request: dict[str, Any]) -> Step:
        schema = request["tools"][0]["function"]["parameters"]
        return tool_reply(hostile_arguments(schema, variant + len(request.get("messages", []))))

    return ScriptedServer(responder=respond)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_cli_gives_a_grounded_summary_or_exit_3(
    version: str, variant: int, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSUM_MAX_REASKS", "1")
    monkeypatch.setenv("OPSUM_TRANSPORT_RETRIES", "0")
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    with hostile_server(variant) as server:
        args = ["summarise", str(path), "--prompt", version, "--base-url", server.base_url, "--model", "m"]
        code = main(args)
    out, err = capsys.readouterr()
    assert code in (0, 3), err
    assert "Traceback" not in err
    if code == 0:
        doc = json.loads(out)
        assert leaks(doc["summary"], ARTICLE) == []
    else:
        assert err.startswith("opsum: backend error:")


@pytest.mark.parametrize("version", VERSIONS)
def test_http_answers_200_or_502(version: str, serve: ServeFn) -> None:
    for variant in range(4):
        with hostile_server(variant) as server, serve(server) as client:
            r = client.post("/v1/summarise", json={"text": ARTICLE, "prompt_version": version})
            assert r.status_code in (200, 502), r.text
            if r.status_code == 200:
                assert leaks(r.json()["summary"], ARTICLE) == []
            else:
                assert r.headers["content-type"].startswith("application/problem+json")

"""`opsum summarise`: JSON out, and a one-line actionable error with a non-zero exit for bad input."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from service.cli import main
from tests.core.test_backend_faults import ARTICLE, draft
from tests.support.scripted_server import ScriptedServer, tool_reply


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_summarise_prints_summary_and_meta(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    with ScriptedServer(script=[tool_reply(draft())]) as server:
        code, out, _ = run_cli(
            [
                "summarise",
                str(path),
                "--prompt",
                "v1-schema-fill",
                "--base-url",
                server.base_url,
                "--model",
                "scripted",
            ],
            capsys,
        )
    assert code == 0
    doc = json.loads(out)
    assert doc["summary"]["arrests"]["value"] == 12
    for key in (
        "model",
        "prompt_version",
        "prompt_hash",
        "llm_calls",
        "prompt_tokens",
        "completion_tokens",
        "latency_ms",
        "warnings",
    ):
        assert key in doc["meta"]
    assert doc["meta"]["prompt_version"] == "v1-schema-fill"


def test_summarise_reads_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(ARTICLE.encode())))
    with ScriptedServer(script=[tool_reply(draft())]) as server:
        code, out, _ = run_cli(
            [
                "summarise",
                "-",
                "--prompt",
                "v1-schema-fill",
                "--base-url",
                server.base_url,
                "--model",
                "scripted",
                "--compact",
            ],
            capsys,
        )
    assert code == 0 and len(out.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the article is empty"),
        (b"   \n\t  ", "the article is empty"),
        (b"\x00\x01\x02binary\xff", "not text"),
        (b"\xff\xfe\xfa invalid utf-8", "not valid UTF-8"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, message: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    code, out, err = run_cli(["summarise", str(path), "--base-url", "http://127.0.0.1:9/v1", "--model", "x"], capsys)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_oversized_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSUM_MAX_CHARS", "1000")
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000, encoding="utf-8")
    code, _, err = run_cli(["summarise", str(path), "--base-url", "http://127.0.0.1:9/v1", "--model", "x"], capsys)
    assert code == 2 and "over the limit of 1000" in err and "OPSUM_MAX_CHARS" in err


def test_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["summarise", "/nonexistent/article.txt"], capsys)
    assert code == 2 and "no such file" in err


def test_unreachable_backend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSUM_TRANSPORT_RETRIES", "0")
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    code, _, err = run_cli(
        ["summarise", str(path), "--prompt", "v1-schema-fill", "--base-url", "http://127.0.0.1:9/v1", "--model", "x"],
        capsys,
    )
    assert code == 3
    assert "cannot connect to http://127.0.0.1:9/v1" in err and len(err.strip().splitlines()) == 1


def test_unknown_prompt_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    code, _, err = run_cli(
        ["summarise", str(path), "--prompt", "v9", "--base-url", "http://127.0.0.1:9/v1", "--model", "x"], capsys
    )
    assert code == 2 and "unknown prompt version 'v9'" in err


def test_non_english_text_is_not_relevant_without_a_model_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "de.txt"
    path.write_text(
        "Die Polizei hat gestern in Berlin mehrere Wohnungen durchsucht und drei Männer festgenommen, "
        "teilte die Staatsanwaltschaft mit.",
        encoding="utf-8",
    )
    with ScriptedServer() as server:
        code, out, _ = run_cli(["summarise", str(path), "--base-url", server.base_url, "--model", "x"], capsys)
        assert server.requests == []
    doc = json.loads(out)
    assert code == 0 and doc["summary"]["relevant"] is False and doc["summary"]["arrests"] is None


def test_bad_setting_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSUM_N_THREADS", "zero")
    path = tmp_path / "a.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    code, _, err = run_cli(["summarise", str(path)], capsys)
    assert code == 2 and "bad setting n_threads" in err and len(err.strip().splitlines()) == 1

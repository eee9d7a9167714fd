"""Corpora and a scripted model for the batch tests: every article states its own arrest count,
and the scripted OpenAI-compatible server answers with exactly that count (grounded), so each
output row can be checked against its input."""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path
from typing import Any

from tests.support.scripted_server import Step, tool_reply

PROMPT = "v1-schema-fill"
FAIL_MARKER = "Operation Brokenwire"  # the scripted server answers HTTP 500 for these articles
_ARRESTS = re.compile(r"arrested (\d+) people in Operation (\w+)")


def isolate_env(monkeypatch: Any, cache_home: str) -> None:
    """No OPSUM_* setting leaks in; a model call can only go to the URL a test gives."""
    for key in list(os.environ):
        if key.startswith("OPSUM_") or key in {"OPENAI_API_KEY", "OPENAI_BASE_URL", "RAY_ADDRESS"}:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", cache_home)
    monkeypatch.setenv("OPSUM_BACKEND", "openai")
    monkeypatch.setenv("OPSUM_MAX_REASKS", "0")
    monkeypatch.setenv("OPSUM_TRANSPORT_RETRIES", "0")
    monkeypatch.setenv("OPSUM_TIMEOUT_S", "5")


def article(n: int, name: str = "Lantern") -> str:
    return (
        f"Police dismantle a drug ring in the port\n\nOn 3 May 2024 officers of the Harbour Police arrested "
        f"{n} people in Operation {name}{n} and searched several houses in the old town, the police said."
    )


def draft_for(text: str) -> dict[str, Any]:
    m = _ARRESTS.search(text)
    count, name = (int(m.group(1)), m.group(2)) if m else (None, None)
    return {
        "relevant": True,
        "operation_name": name,
        "crime_types": ["drug_trafficking"],
        "agencies": [{"name": "Harbour Police", "country": None, "role": "lead"}],
        "countries": [],
        "start_date": "2024-05-03",
        "end_date": "2024-05-03",
        "suspects_identified": None,
        "arrests": {"evidence": f"arrested {count} people", "value": count} if count is not None else None,
        "searches": None,
        "victims_identified": None,
        "seizures": [],
        "summary": f"Police arrested {count} people." if count is not None else "Police acted.",
    }


def responder(body: dict[str, Any]) -> Step:
    sent = json.dumps(body.get("messages", []), ensure_ascii=False)
    if FAIL_MARKER in sent:
        return Step(status=500)
    return tool_reply(draft_for(sent), prompt_tokens=300, completion_tokens=40)


def write_corpus(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def corpus(n: int, start: int = 1) -> list[dict[str, Any]]:
    return [{"id": f"a{i:03d}", "title": f"Story {i}", "text": article(i)} for i in range(start, start + n)]


def parse(argv: list[str]) -> argparse.Namespace:
    """`opsum batch …` arguments through the command's own parser (no installed entry point needed)."""
    from service.batch.cli import register

    parser = argparse.ArgumentParser(prog="opsum")
    register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def batch_argv(input: Path, out: Path, base_url: str, *extra: str) -> list[str]:
    return [
        "batch",
        str(input),
        "--out",
        str(out),
        "--prompt",
        PROMPT,
        "--base-url",
        base_url,
        "--model",
        "scripted",
        "--quiet",
        *extra,
    ]


def stored_rows(out: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    for shard in sorted((out / "shards").glob("*.parquet")):
        rows.extend(pq.read_table(shard).to_pylist())
    return rows

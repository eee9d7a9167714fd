"""Shared helpers for the eval-harness tests: gold items and predictions from plain dicts, the
tiny golden file, and scripted answers for the OpenAI-compatible test server."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from evals.golden import GoldItem, parse_item
from service.schema import OperationSummary

DATA = Path(__file__).resolve().parent / "data"
TINY_GOLDEN = DATA / "tiny_golden.jsonl"
PROMPT = "v1-schema-fill"

# Every SPEC §5 key of summary.json, and the rates among them.
SPEC_KEYS = (
    "articles",
    "numeric_accuracy",
    "hallucinated_numbers",
    "missed_numbers",
    "qualifier_accuracy",
    "entity_precision",
    "entity_recall",
    "entity_f1",
    "entity_f1_by_field",
    "seizure_precision",
    "seizure_recall",
    "seizure_f1",
    "relevance_accuracy",
    "grounding_rate",
    "ci95",
)
RATES = (
    "numeric_accuracy",
    "qualifier_accuracy",
    "entity_precision",
    "entity_recall",
    "entity_f1",
    "seizure_precision",
    "seizure_recall",
    "seizure_f1",
    "relevance_accuracy",
    "grounding_rate",
)
RUN_KEYS = (
    "model",
    "prompt_version",
    "prompt_hash",
    "llm_calls",
    "retries",
    "prompt_tokens",
    "completion_tokens",
    "wall_s",
)
ENTITY_FIELDS = ("operation_name", "agencies", "countries", "crime_types")


def isolate_env(monkeypatch: Any, cache_home: str) -> None:
    """No OPSUM_* setting leaks in from the environment, nothing is written to ~/.cache, and a
    model call can only go to an OpenAI-compatible URL given explicitly (never the embedded model)."""
    for key in list(os.environ):
        if key.startswith("OPSUM_") or key in {"OPENAI_API_KEY", "OPENAI_BASE_URL"}:
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", cache_home)
    monkeypatch.setenv("OPSUM_BACKEND", "openai")
    monkeypatch.setenv("OPSUM_MAX_REASKS", "0")
    monkeypatch.setenv("OPSUM_TRANSPORT_RETRIES", "0")
    monkeypatch.setenv("OPSUM_TIMEOUT_S", "5")


def gold(
    labels: dict[str, Any], lenient: dict[str, Any] | None = None, *, text: str = "An article.", id: str = "t"
) -> GoldItem:
    """A GoldItem through the same parser the golden loader uses (SPEC §3 record)."""
    return parse_item({"id": id, "text": text, "labels": labels, "lenient": lenient or {}}, "test")


def pred(**fields: Any) -> OperationSummary:
    fields.setdefault("relevant", True)
    return OperationSummary.model_validate(fields)


def labels_as_summary(labels: dict[str, Any]) -> dict[str, Any]:
    """A gold `labels` block turned into a valid OperationSummary dict (a 'perfect' prediction)."""
    s = dict(labels)
    op = s.get("operation_name")
    if isinstance(op, list):
        s["operation_name"] = op[0] if op else None
    s["agencies"] = [a if isinstance(a, dict) else {"name": a} for a in s.get("agencies") or []]
    for k in ("suspects_identified", "arrests", "searches", "victims_identified"):
        if isinstance(s.get(k), (int, float)):
            s[k] = {"value": int(s[k])}
    return s


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def perfect_predictions(golden: Path, out: Path) -> Path:
    rows = []
    for line in golden.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            rows.append({"id": r["id"], "summary": labels_as_summary(r["labels"])})
    return write_jsonl(out, rows)


# --- scripted model answers (prompt v1-schema-fill: one "OperationSummary" tool call) ----------


def draft(relevant: bool = True, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "relevant": relevant,
        "operation_name": None,
        "crime_types": [],
        "agencies": [],
        "countries": [],
        "start_date": None,
        "end_date": None,
        "suspects_identified": None,
        "arrests": None,
        "searches": None,
        "victims_identified": None,
        "seizures": [],
        "summary": "A summary.",
    }
    base.update(kw)
    return base


GOOD = {
    "lantern": draft(
        operation_name="Lantern",
        crime_types=["drug_trafficking"],
        agencies=[{"name": "Judiciary Police", "country": "Portugal", "role": "lead"}],
        countries=["Portugal"],
        arrests={"evidence": "arrested 12 people", "value": 12},
        searches={"evidence": "searched 5 houses", "value": 5},
        seizures=[{"item": "cocaine", "evidence": "seized 3 kg of cocaine", "quantity": 3, "unit": "kg"}],
        summary="The Judiciary Police arrested 12 people in Operation Lantern.",
    ),
    "harbour": draft(
        operation_name="Harbour",
        crime_types=["human_trafficking"],
        agencies=[{"name": "Guardia Civil", "country": "Spain", "role": "lead"}],
        countries=["Spain"],
        arrests={"evidence": "arrested 7 people", "value": 7},
        victims_identified={"evidence": "rescued 4 victims", "value": 4},
        summary="The Guardia Civil arrested 7 people and rescued 4 victims.",
    ),
    "stats": draft(relevant=False, summary="Recorded crime fell last year."),
}

# A worse "model": misses harbour's arrests, and calls the statistics story an operation with a
# grounded but hallucinated count (4000 officers as arrests).
BAD = {
    "lantern": GOOD["lantern"],
    "harbour": draft(
        operation_name="Harbour",
        crime_types=["human_trafficking"],
        agencies=[{"name": "Guardia Civil", "country": "Spain", "role": "lead"}],
        countries=["Spain"],
        victims_identified={"evidence": "rescued 4 victims", "value": 4},
        summary="The Guardia Civil rescued 4 victims.",
    ),
    "stats": draft(
        relevant=True,
        crime_types=["other"],
        arrests={"evidence": "4000 officers", "value": 4000},
        summary="The police force has 4000 officers.",
    ),
}

MARKERS = {"lantern": "Operation Lantern", "harbour": "Operation Harbour", "stats": "statistics office"}


def responder_for(answers: dict[str, dict[str, Any]]):  # type: ignore[no-untyped-def]
    """A ScriptedServer responder: the answer for whichever tiny-golden article the request carries."""
    from tests.support.scripted_server import Step, tool_reply

    def respond(body: dict[str, Any]) -> Step:
        sent = json.dumps(body.get("messages", []), ensure_ascii=False)
        for article_id, marker in MARKERS.items():
            if marker in sent:
                return tool_reply(answers[article_id])
        return Step(status=500)

    return respond

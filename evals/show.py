"""`opsum eval show RUN ARTICLE_ID`: one article's transcript (every LLM call) as readable text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.runner import PredictionsFormatError, load_results

__all__ = ["render_transcript", "find_row"]

NOT_RECORDED = "not recorded (this call was recorded before transcripts were kept)"


def find_row(run: Path, article_id: str) -> dict[str, Any]:
    if not (run / "results.jsonl").is_file():
        raise PredictionsFormatError(f"{run} is not a run folder (no results.jsonl); make one with `opsum eval run`")
    rows = load_results(run)
    if article_id not in rows:
        near = ", ".join(sorted(i for i in rows if article_id.lower() in i.lower())[:5]) or ", ".join(sorted(rows)[:5])
        raise PredictionsFormatError(f"no article {article_id!r} in {run / 'results.jsonl'} (ids like: {near})")
    return rows[article_id]


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if content is None and message.get("tool_calls"):
        return json.dumps(message["tool_calls"], ensure_ascii=False)
    return json.dumps(content, ensure_ascii=False)


def _indent(text: str, pad: str = "    ") -> str:
    return "\n".join(pad + line for line in text.splitlines() or [""])


def _pretty(raw: str) -> str:
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except (json.JSONDecodeError, TypeError):
        return raw


def render_transcript(row: dict[str, Any], *, max_chars: int | None = None) -> str:
    """Every call of the article: step, tokens, time, cached or not, the messages as sent, the raw
    response, and the validation errors that triggered a re-ask. Missing parts say so."""
    meta = row.get("meta") or {}
    calls = meta.get("calls") or []

    def cut(text: str) -> str:
        if max_chars is not None and len(text) > max_chars:
            return text[:max_chars] + f" … [{len(text) - max_chars} more characters]"
        return text

    head = (
        f"article {row['id']} (split {row.get('split', 'dev')}) · prompt {row.get('prompt_version', '?')} · "
        f"{len(calls)} call(s), {meta.get('prompt_tokens', 0)}+{meta.get('completion_tokens', 0)} tokens"
    )
    lines = [head]
    if row.get("error"):
        lines.append(f"error: {row['error']}")
    if not calls:
        lines.append("no LLM calls recorded for this article (a scored predictions file has none)")
    for n, call in enumerate(calls, start=1):
        cached = "cached" if call.get("cached") else "live"
        lines.append("")
        lines.append(
            f"── call {n}/{len(calls)} · step {call.get('step')} · "
            f"{call.get('prompt_tokens', 0)}+{call.get('completion_tokens', 0)} tokens · {call.get('ms', 0)} ms · {cached}"
        )
        messages = call.get("messages")
        if messages is None:
            lines.append(f"  messages: {NOT_RECORDED}")
        else:
            lines.append(f"  messages ({len(messages)}):")
            for m in messages:
                lines.append(f"  [{m.get('role', '?')}]")
                lines.append(_indent(cut(_content(m))))
        if "response" in call and call["response"] is not None:
            lines.append("  response (raw tool-call arguments):")
            lines.append(_indent(cut(_pretty(call["response"]))))
        else:
            lines.append(f"  response: {NOT_RECORDED}")
            if call.get("output") is not None:
                lines.append("  validated output kept in the cache:")
                lines.append(_indent(cut(json.dumps(call["output"], indent=2, ensure_ascii=False))))
        errors = call.get("errors")
        if errors:
            lines.append("  validation errors (the next call re-asked with them):")
            lines += [f"    - {e}" for e in errors]
        elif "response" in call:
            lines.append("  validation errors: none")
    warnings = meta.get("warnings") or []
    if warnings:
        lines.append("")
        lines.append("warnings:")
        lines += [f"  - {w}" for w in warnings]
    return "\n".join(lines) + "\n"

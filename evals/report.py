"""Run reports: `report.md` (tables) and `report.html` (tables, and each article's text with every
predicted number's evidence highlighted and wrong, missed or hallucinated values marked)."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from evals.charts import Interval, interval_chart
from evals.golden import GoldItem
from evals.metrics import COUNT_METRICS, METRICS, prf
from evals.scoring import ENTITY_FIELDS, ArticleScore, EntityTally
from service.grounding import locate

__all__ = ["write_reports", "metric_rows", "fmt", "fmt_ci", "template_env"]

# numeric accuracy and its two counts first, then the other overall rates (evals.metrics' own order)
_ORDER = [
    "numeric_accuracy",
    *COUNT_METRICS,
    *(name for name in METRICS if "." not in name and name != "numeric_accuracy"),
]


def fmt(v: Any) -> str:
    """A rate with 3 decimals (never "-0.000"), a count as an integer, None as a dash."""
    if v is None:
        return "–"
    if isinstance(v, float):
        text = f"{v:.3f}"
        return "0.000" if text == "-0.000" else text
    return str(v)


def fmt_ci(interval: Any) -> str:
    return f"[{fmt(interval[0])}, {fmt(interval[1])}]" if interval else "–"


def metric_rows(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    ci = summary.get("ci95", {})
    for name in _ORDER:
        interval = ci.get(name)
        rows.append((name, fmt(summary.get(name)), fmt_ci(interval)))
    for field in ENTITY_FIELDS:
        interval = ci.get(f"entity_f1.{field}")
        rows.append(
            (
                f"entity_f1 · {field}",
                fmt(summary.get("entity_f1_by_field", {}).get(field)),
                fmt_ci(interval),
            )
        )
    return rows


def _run_lines(summary: dict[str, Any]) -> list[str]:
    keys = [
        "model",
        "backend",
        "prompt_version",
        "prompt_hash",
        "llm_calls",
        "retries",
        "reasks",
        "prompt_tokens",
        "completion_tokens",
        "wall_s",
        "errors",
    ]
    lines = [f"- {k}: {summary[k]}" for k in keys if k in summary]
    if summary.get("latency_ms"):
        lines.append(f"- per-article latency (ms): {summary['latency_ms']}")
    if summary.get("cache"):
        lines.append(f"- cache: {summary['cache']}")
    return lines


def _article_line(score: ArticleScore, row: dict[str, Any]) -> str:
    total = EntityTally()
    for tally in score.entities.values():
        total.add(tally)
    warnings = len(row.get("meta", {}).get("warnings", []))
    err = row.get("error") or ""
    return (
        f"| {score.id} | {score.numeric_correct}/{score.numeric_slots} | {score.hallucinated} | {score.missed} "
        f"| {fmt(prf(total)[2])} | {warnings} | {err[:60]} |"
    )


def write_markdown(out: Path, summary: dict[str, Any], scores: list[ArticleScore], rows: list[dict[str, Any]]) -> None:
    lines = ["# opsum eval report", "", *_run_lines(summary), "", "| metric | value | 95% CI |", "|---|---|---|"]
    lines += [f"| {n} | {v} | {c} |" for n, v, c in metric_rows(summary)]
    lines += [
        "",
        "## Articles",
        "",
        "| id | numbers right | hallucinated | missed | entity F1 | warnings | error |",
        "|---|---|---|---|---|---|---|",
    ]
    for score, row in zip(scores, rows, strict=True):
        lines.append(_article_line(score, row))
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def highlight(text: str, marks: list[tuple[str, str, str]]) -> Markup:
    """The article as HTML with each evidence span wrapped in <mark class=...> (whitespace-tolerant)."""
    spans: list[tuple[int, int, str, str]] = []
    for evidence, css, label in marks:
        found = locate(evidence, text)[:1]
        for start, end in found:
            if not any(s < end and start < e for s, e, _, _ in spans):
                spans.append((start, end, css, label))
    spans.sort()
    parts, pos = [], 0
    for s, e, css, label in spans:
        parts.append(html.escape(text[pos:s]))
        parts.append(f'<mark class="{css}" title="{html.escape(label)}">{html.escape(text[s:e])}</mark>')
        pos = e
    parts.append(html.escape(text[pos:]))
    return Markup("".join(parts))


def template_env() -> Environment:
    return Environment(
        loader=PackageLoader("evals", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _names(values: Any) -> str:
    if not values:
        return "–"
    return ", ".join(str(v) for v in values)


def _field_rows(item: GoldItem, score: ArticleScore, pred: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every field, gold against predicted: relevance, entities (with tp/fp/fn), dates, counts, seizures."""
    p = pred or {}
    rows: list[dict[str, Any]] = []
    right = score.relevance_correct == 1
    rows.append(
        {
            "field": "relevant",
            "gold": str(item.relevant).lower(),
            "pred": "–" if pred is None else str(p.get("relevant")).lower(),
            "outcome": "right" if right else "wrong",
            "css": "correct" if right else "wrong",
        }
    )
    gold_entities = {
        "operation_name": " / ".join(item.operation_names) or "–",
        "agencies": _names(a.name for a in item.agencies),
        "countries": _names(item.countries),
        "crime_types": _names(item.crime_types),
    }
    pred_entities = {
        "operation_name": p.get("operation_name") or "–",
        "agencies": _names(a.get("name") for a in p.get("agencies") or []),
        "countries": _names(p.get("countries")),
        "crime_types": _names(p.get("crime_types")),
    }
    for name in ENTITY_FIELDS:
        t = score.entities[name]
        ok = t.fp == 0 and t.fn == 0
        rows.append(
            {
                "field": name,
                "gold": gold_entities[name],
                "pred": pred_entities[name],
                "outcome": f"tp {t.tp} · fp {t.fp} · fn {t.fn}",
                "css": "correct" if ok else "hallucinated" if t.fp and not t.fn else "wrong",
            }
        )
    for name in ("start_date", "end_date"):
        g, v = getattr(item, name), p.get(name)
        rows.append(
            {
                "field": name,
                "gold": g or "–",
                "pred": v or "–",
                "outcome": "not scored",
                "css": "changed" if g != v else "correct",
            }
        )
    for d in score.details:
        name = d["field"] if not d.get("item") else f"{d['field']} · {d['item']}"
        unit = f" {d['unit']}" if d.get("unit") else ""
        rows.append(
            {
                "field": name,
                "gold": "–" if d["gold"] is None else f"{_qty(d['gold'])}{unit}",
                "pred": "–" if d["pred"] is None else f"{_qty(d['pred'])}{unit}",
                "outcome": d["outcome"],
                "css": d["outcome"],
            }
        )
    return rows


def _qty(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _call_view(call: dict[str, Any]) -> dict[str, Any]:
    messages = call.get("messages")
    view_messages = None
    if messages is not None:
        view_messages = []
        for m in messages:
            content = m.get("content")
            text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, indent=1)
            view_messages.append({"role": m.get("role", "?"), "content": text, "preview": text[:90].replace("\n", " ")})
    response = call.get("response")
    if response is not None:
        try:
            response = json.dumps(json.loads(response), indent=2, ensure_ascii=False)
        except (json.JSONDecodeError, TypeError):
            pass
    output = call.get("output")
    return {
        "step": call.get("step"),
        "prompt_tokens": call.get("prompt_tokens", 0),
        "completion_tokens": call.get("completion_tokens", 0),
        "ms": call.get("ms", 0),
        "cached": call.get("cached", False),
        "messages": view_messages,
        "response": response,
        "output": None if output is None else json.dumps(output, indent=2, ensure_ascii=False),
        "errors": call.get("errors") or [],
    }


def _charts(summary: dict[str, Any]) -> tuple[Markup, Markup]:
    ci = summary.get("ci95", {})

    def row(label: str, value: Any, key: str) -> Interval:
        interval = ci.get(key)
        return Interval(label, value, *(interval if interval else (None, None)))

    rates = [
        row(name, summary.get(name), name) for name in _ORDER if name not in {"hallucinated_numbers", "missed_numbers"}
    ]
    by_field = summary.get("entity_f1_by_field", {})
    fields = [row(f, by_field.get(f), f"entity_f1.{f}") for f in ENTITY_FIELDS]
    fields.append(row("seizures", summary.get("seizure_f1"), "seizure_f1"))
    fields.append(row("all entities", summary.get("entity_f1"), "entity_f1"))
    return (
        interval_chart(rates, title="Rates with 95% intervals"),
        interval_chart(fields, title="F1 per field with 95% intervals"),
    )


def write_html(
    out: Path, summary: dict[str, Any], items: list[GoldItem], scores: list[ArticleScore], rows: list[dict[str, Any]]
) -> None:
    articles = []
    for item, score, row in zip(items, scores, rows, strict=True):
        marks = [
            (d["evidence"], d["outcome"], f"{d['field']}: {d['pred']} ({d['outcome']})")
            for d in score.details
            if d.get("evidence")
        ]
        total = EntityTally()
        for tally in score.entities.values():
            total.add(tally)
        f1 = prf(total)[2]
        meta = row.get("meta") or {}
        calls = meta.get("calls") or []
        articles.append(
            {
                "id": item.id,
                "title": item.title,
                "split": item.split,
                "score": score,
                "error": row.get("error"),
                "f1": fmt(f1),
                "f1_sort": 2.0 if f1 is None else round(f1, 4),
                "numbers_sort": score.numeric_correct / score.numeric_slots if score.numeric_slots else 1.0,
                "fields": _field_rows(item, score, row.get("prediction")),
                "warnings": meta.get("warnings", []),
                "calls": [_call_view(c) for c in calls],
                "tokens": sum(c.get("prompt_tokens", 0) + c.get("completion_tokens", 0) for c in calls),
                "text_html": highlight(item.text, marks),
            }
        )
    rate_chart, field_chart = _charts(summary)
    metrics = [
        {"name": n, "value": v, "ci": c, "method": (summary.get("ci95_method") or {}).get(_metric_key(n), "")}
        for n, v, c in metric_rows(summary)
    ]
    page = (
        template_env()
        .get_template("report.html.j2")
        .render(
            s=summary,
            run_info=[(line[2:].split(": ", 1) + [""])[:2] for line in _run_lines(summary)],
            metrics=metrics,
            splits=list((summary.get("splits") or {}).items()),
            articles=articles,
            rate_chart=rate_chart,
            field_chart=field_chart,
            fmt=fmt,
        )
    )
    (out / "report.html").write_text(page, encoding="utf-8")


def _metric_key(row_name: str) -> str:
    return row_name.replace("entity_f1 · ", "entity_f1.")


def write_reports(
    out: Path, summary: dict[str, Any], items: list[GoldItem], rows: list[dict[str, Any]], scores: list[ArticleScore]
) -> None:
    write_markdown(out, summary, scores, rows)
    write_html(out, summary, items, scores, rows)

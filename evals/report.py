"""Run reports: `report.md` (tables) and `report.html` (tables, and each article's text with every
predicted number's evidence highlighted and wrong, missed or hallucinated values marked)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from evals.golden import GoldItem
from evals.metrics import prf
from evals.scoring import ENTITY_FIELDS, ArticleScore, EntityTally
from service.grounding import locate

__all__ = ["write_reports", "metric_rows", "fmt"]

_ORDER = [
    "numeric_accuracy",
    "hallucinated_numbers",
    "missed_numbers",
    "qualifier_accuracy",
    "entity_precision",
    "entity_recall",
    "entity_f1",
    "seizure_precision",
    "seizure_recall",
    "seizure_f1",
    "relevance_accuracy",
    "grounding_rate",
]


def fmt(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def metric_rows(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = []
    ci = summary.get("ci95", {})
    for name in _ORDER:
        interval = ci.get(name)
        rows.append((name, fmt(summary.get(name)), f"[{fmt(interval[0])}, {fmt(interval[1])}]" if interval else "–"))
    for field in ENTITY_FIELDS:
        interval = ci.get(f"entity_f1.{field}")
        rows.append(
            (
                f"entity_f1 · {field}",
                fmt(summary.get("entity_f1_by_field", {}).get(field)),
                f"[{fmt(interval[0])}, {fmt(interval[1])}]" if interval else "–",
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


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>opsum eval · {{ s.prompt_version or 'predictions' }}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
th{background:#f3f3f3}.art{border-top:2px solid #ddd;margin-top:2rem;padding-top:1rem}
.cols{display:grid;grid-template-columns:3fr 2fr;gap:1.5rem}
pre{white-space:pre-wrap;font:13px/1.5 system-ui,sans-serif;background:#fafafa;padding:1rem;border:1px solid #eee}
mark.correct{background:#c8f0c8}mark.wrong{background:#ffd0a0}mark.hallucinated{background:#ffb3b3}
mark.plain{background:#e0e8ff}.missed{color:#b00}.tag{font-size:12px;padding:0 .3rem;border-radius:3px}
.tag.correct{background:#c8f0c8}.tag.wrong{background:#ffd0a0}.tag.hallucinated{background:#ffb3b3}
.tag.missed{background:#eee;color:#b00}
</style></head><body>
<h1>opsum eval report</h1>
<ul>{% for l in run_lines %}<li>{{ l[2:] }}</li>{% endfor %}</ul>
<table><tr><th>metric</th><th>value</th><th>95% CI</th></tr>
{% for n, v, c in metric_rows %}<tr><td>{{ n }}</td><td>{{ v }}</td><td>{{ c }}</td></tr>{% endfor %}</table>
<p>Legend: <span class="tag correct">right</span> <span class="tag wrong">wrong value</span>
<span class="tag hallucinated">hallucinated</span> <span class="tag missed">missed</span></p>
{% for a in articles %}
<div class="art" id="{{ a.id }}"><h2>{{ a.id }}</h2>
<p>{{ a.title or '' }} · numbers {{ a.score.numeric_correct }}/{{ a.score.numeric_slots }},
hallucinated {{ a.score.hallucinated }}, missed {{ a.score.missed }}{% if a.error %} · <b>error:</b> {{ a.error }}{% endif %}</p>
<div class="cols"><pre>{{ a.text_html }}</pre><div>
<table><tr><th>field</th><th>gold</th><th>predicted</th><th></th></tr>
{% for d in a.details %}<tr><td>{{ d.field }}{% if d.item %} · {{ d.item }}{% endif %}</td><td>{{ d.gold if d.gold is not none else '–' }}</td>
<td>{{ d.pred if d.pred is not none else '–' }}</td><td><span class="tag {{ d.outcome }}">{{ d.outcome }}</span></td></tr>{% endfor %}
</table>
{% if a.warnings %}<p><b>warnings</b></p><ul>{% for w in a.warnings %}<li>{{ w }}</li>{% endfor %}</ul>{% endif %}
</div></div></div>
{% endfor %}
</body></html>
"""


def write_html(
    out: Path, summary: dict[str, Any], items: list[GoldItem], scores: list[ArticleScore], rows: list[dict[str, Any]]
) -> None:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    articles = []
    for item, score, row in zip(items, scores, rows, strict=True):
        marks = [
            (
                d.get("evidence"),
                d["outcome"] if d["outcome"] != "correct" else "correct",
                f"{d['field']}: {d['pred']} ({d['outcome']})",
            )
            for d in score.details
            if d.get("evidence")
        ]
        articles.append(
            {
                "id": item.id,
                "title": item.title,
                "score": score,
                "error": row.get("error"),
                "details": [d for d in score.details if not (d["outcome"] == "correct" and d["gold"] is None)],
                "warnings": row.get("meta", {}).get("warnings", []),
                "text_html": highlight(item.text, marks),
            }
        )
    page = env.from_string(_HTML).render(
        s=summary, run_lines=_run_lines(summary), metric_rows=metric_rows(summary), articles=articles
    )
    (out / "report.html").write_text(page, encoding="utf-8")


def write_reports(
    out: Path, summary: dict[str, Any], items: list[GoldItem], rows: list[dict[str, Any]], scores: list[ArticleScore]
) -> None:
    write_markdown(out, summary, scores, rows)
    write_html(out, summary, items, scores, rows)

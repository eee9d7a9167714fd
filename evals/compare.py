"""`opsum eval compare RUN_A RUN_B`: per metric and per field, the delta with a paired bootstrap CI,
and the articles that got better or worse, with why."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from evals.charts import Interval, StripPoint, delta_strip, forest_plot
from evals.golden import load_golden
from evals.metrics import COUNT_METRICS, HIGHER_IS_BETTER, METRICS, paired_bootstrap
from evals.report import fmt, template_env
from evals.runner import load_results, score_row
from evals.scoring import ArticleScore

__all__ = ["compare_runs", "render_markdown", "render_html"]


def _load_run(run: Path, golden: Path | None) -> tuple[dict[str, Any], dict[str, ArticleScore], dict[str, Any]]:
    summary_path = run / "summary.json"
    if not summary_path.is_file():
        raise FileNotFoundError(f"{run} is not a run folder (no summary.json); make one with `opsum eval run`")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    golden_path = golden or Path(summary["golden"]["path"])
    items = {it.id: it for it in load_golden(golden_path)}
    rows = load_results(run)
    scores = {}
    for article_id, row in rows.items():
        if article_id in items:
            scores[article_id] = score_row(items[article_id], row)
    return summary, scores, rows


def _why(a: ArticleScore, b: ArticleScore) -> str:
    reasons = []
    da = {(d["field"], d.get("item")): d for d in a.details}
    for key, d in {(d["field"], d.get("item")): d for d in b.details}.items():
        old = da.get(key)
        if old and old["outcome"] != d["outcome"]:
            name = key[0] if not key[1] else f"{key[0]} {key[1]}"
            reasons.append(f"{name}: {old['outcome']} ({old['pred']}) → {d['outcome']} ({d['pred']})")
    for field, t in b.entities.items():
        o = a.entities[field]
        if (o.tp, o.fp, o.fn) != (t.tp, t.fp, t.fn):
            reasons.append(f"{field}: tp/fp/fn {o.tp}/{o.fp}/{o.fn} → {t.tp}/{t.fp}/{t.fn}")
    if a.relevance_correct != b.relevance_correct:
        reasons.append("relevance " + ("fixed" if b.relevance_correct else "broken"))
    return "; ".join(reasons)


def _label(summary: dict[str, Any], run: Path) -> str:
    """What produced a run: its prompt version, or the predictions file it scored."""
    if summary.get("prompt_version"):
        return str(summary["prompt_version"])
    preds = (summary.get("predictions") or {}).get("path")
    return f"predictions {Path(preds).name}" if preds else run.name


def _article_points(s: ArticleScore) -> float:
    ent = sum(t.tp for t in s.entities.values()) - sum(t.fp + t.fn for t in s.entities.values()) * 0.5
    return s.numeric_correct - s.hallucinated + 0.5 * ent + s.relevance_correct


def compare_runs(run_a: Path, run_b: Path, *, golden: Path | None = None, n_boot: int = 1000) -> dict[str, Any]:
    sa, scores_a, _ = _load_run(run_a, golden)
    sb, scores_b, _ = _load_run(run_b, golden)
    common = sorted(set(scores_a) & set(scores_b))
    if not common:
        raise ValueError("the two runs share no article: compare runs over the same golden file")
    a = [scores_a[i] for i in common]
    b = [scores_b[i] for i in common]
    metrics: list[dict[str, Any]] = []
    for name, fn in [*METRICS.items(), *COUNT_METRICS.items()]:
        va, vb = fn(a), fn(b)
        delta = None if va is None or vb is None else vb - va
        ci = paired_bootstrap(a, b, name, n=n_boot)
        better = HIGHER_IS_BETTER.get(name.split(".")[0], True)
        verdict = "no clear difference"
        if ci is not None and (ci[0] > 0 or ci[1] < 0):
            improved = (ci[0] > 0) == better
            verdict = "B better" if improved else "B worse"
        metrics.append(
            {
                "metric": name,
                "a": va,
                "b": vb,
                "delta": delta,
                "ci95": None if ci is None else [round(ci[0], 4), round(ci[1], 4)],
                "verdict": verdict,
            }
        )
    changes = []
    for i in common:
        pa, pb = _article_points(scores_a[i]), _article_points(scores_b[i])
        if pa != pb or _why(scores_a[i], scores_b[i]):
            changes.append(
                {
                    "id": i,
                    "direction": "better" if pb > pa else "worse" if pb < pa else "changed",
                    "delta": round(pb - pa, 2),
                    "why": _why(scores_a[i], scores_b[i]),
                }
            )
    return {
        "a": {
            "run": str(run_a),
            "label": _label(sa, run_a),
            "prompt_version": sa.get("prompt_version"),
            "model": sa.get("model"),
        },
        "b": {
            "run": str(run_b),
            "label": _label(sb, run_b),
            "prompt_version": sb.get("prompt_version"),
            "model": sb.get("model"),
        },
        "articles": len(common),
        "only_in_a": sorted(set(scores_a) - set(scores_b)),
        "only_in_b": sorted(set(scores_b) - set(scores_a)),
        "metrics": metrics,
        "articles_changed": changes,
        "cost": {k: [sa.get(k), sb.get(k)] for k in ("llm_calls", "prompt_tokens", "completion_tokens", "wall_s")},
    }


def render_markdown(c: dict[str, Any]) -> str:
    a, b = c["a"], c["b"]
    lines = [
        f"# opsum compare: A = {a['label']} ({a['run']}) vs B = {b['label']} ({b['run']})",
        "",
        f"{c['articles']} articles in both runs. Deltas are B − A with a paired bootstrap 95% CI over articles.",
        "",
        "| metric | A | B | Δ (B−A) | 95% CI of Δ | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for m in c["metrics"]:
        k = m["metric"] in COUNT_METRICS
        ci = f"[{fmt_delta(m['ci95'][0], count=k)}, {fmt_delta(m['ci95'][1], count=k)}]" if m["ci95"] else "–"
        lines.append(
            f"| {m['metric']} | {fmt(m['a'])} | {fmt(m['b'])} | {fmt_delta(m['delta'], count=k)} | {ci} | {m['verdict']} |"
        )
    lines += ["", "| cost | A | B |", "|---|---|---|"]
    lines += [f"| {k} | {fmt(v[0])} | {fmt(v[1])} |" for k, v in c["cost"].items()]
    for direction in ("worse", "better", "changed"):
        rows = [x for x in c["articles_changed"] if x["direction"] == direction]
        if rows:
            lines += ["", f"## Articles that got {direction} in B ({len(rows)})", ""]
            lines += [f"- **{x['id']}**: {x['why'] or 'scores moved'}" for x in rows]
    return "\n".join(lines) + "\n"


def fmt_delta(v: Any, *, count: bool = False) -> str:
    """A signed delta: "+0.012", "−0.040", "0.000" for no change (never "-0.000"); counts as integers."""
    if v is None:
        return "–"
    if count or isinstance(v, int):
        return "0" if round(v) == 0 else f"{round(v):+d}".replace("-", "−")
    text = f"{v:+.3f}"
    if text in {"+0.000", "-0.000"}:
        return "0.000"
    return text.replace("-", "−")


def _report_link(run: str, out: Path) -> str:
    return Path(os.path.relpath(Path(run) / "report.html", out)).as_posix()


def render_html(c: dict[str, Any], *, out: Path | None = None) -> str:
    """compare.html from its template: forest plot of every metric's Δ, tables, and a per-article Δ
    strip whose dots (and rows) link into both runs' reports (relative to `out`)."""
    here = out or Path(c["b"]["run"])
    report_a, report_b = _report_link(c["a"]["run"], here), _report_link(c["b"]["run"], here)
    tones = {"B better": "better", "B worse": "worse"}
    rates = [m for m in c["metrics"] if m["metric"] not in COUNT_METRICS]
    forest = forest_plot(
        [
            Interval(
                m["metric"],
                m["delta"],
                m["ci95"][0] if m["ci95"] else None,
                m["ci95"][1] if m["ci95"] else None,
                tone=tones.get(m["verdict"], "neutral"),
            )
            for m in rates
        ],
        title="Δ (B − A) of each rate, paired 95% CI",
    )
    strip = delta_strip(
        [
            StripPoint(x["id"], float(x.get("delta", 0.0)), f"{report_b}#{x['id']}", f"{x['id']}: {x['why']}")
            for x in c["articles_changed"]
        ],
        title="Per-article Δ of points (B − A); each dot links to the article in B's report",
    )
    metrics = [
        {
            "metric": m["metric"],
            "a": fmt(m["a"]),
            "b": fmt(m["b"]),
            "delta": fmt_delta(m["delta"], count=m["metric"] in COUNT_METRICS),
            "ci": (
                f"[{fmt_delta(m['ci95'][0], count=m['metric'] in COUNT_METRICS)}, "
                f"{fmt_delta(m['ci95'][1], count=m['metric'] in COUNT_METRICS)}]"
                if m["ci95"]
                else "–"
            ),
            "verdict": m["verdict"],
            "css": tones.get(m["verdict"], "changed"),
        }
        for m in c["metrics"]
    ]
    groups = []
    for direction in ("worse", "better", "changed"):
        rows = [
            {**x, "delta": f"{float(x.get('delta', 0.0)):+g}".replace("-", "−")}
            for x in c["articles_changed"]
            if x["direction"] == direction
        ]
        if rows:
            groups.append({"direction": direction, "rows": rows})
    return (
        template_env()
        .get_template("compare.html.j2")
        .render(
            c=c,
            metrics=metrics,
            cost=[(k, [fmt(v[0]), fmt(v[1])]) for k, v in c["cost"].items()],
            groups=groups,
            forest=forest,
            strip=strip,
            report_a=report_a,
            report_b=report_b,
        )
    )

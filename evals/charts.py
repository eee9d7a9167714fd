"""Inline SVG charts for the reports (no script, no network): interval bars and a Δ strip."""

from __future__ import annotations

import html
from dataclasses import dataclass

from markupsafe import Markup

__all__ = ["Interval", "interval_chart", "forest_plot", "delta_strip", "StripPoint"]

_FONT = "font-family:system-ui,sans-serif;font-size:12px"


@dataclass(frozen=True)
class Interval:
    label: str
    value: float | None
    low: float | None
    high: float | None
    tone: str = "neutral"  # neutral | better | worse


@dataclass(frozen=True)
class StripPoint:
    id: str
    delta: float
    href: str
    title: str


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def interval_chart(rows: list[Interval], *, title: str, lo: float = 0.0, hi: float = 1.0) -> Markup:
    """One row per metric: a dot at the value and a whisker over its 95 % interval, on [lo, hi]."""
    label_w, plot_w, row_h, top = 190, 420, 22, 28
    height = top + row_h * len(rows) + 24
    width = label_w + plot_w + 70

    def x(v: float) -> float:
        return label_w + (min(max(v, lo), hi) - lo) / (hi - lo) * plot_w

    parts = [
        f'<svg class="chart" role="img" aria-label="{_e(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" style="{_FONT}">',
        f'<text x="0" y="16" font-weight="600">{_e(title)}</text>',
    ]
    for tick in (lo, lo + (hi - lo) / 4, lo + (hi - lo) / 2, lo + 3 * (hi - lo) / 4, hi):
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{top - 6}" x2="{x(tick):.1f}" y2="{height - 20}" stroke="#e3e3e3"/>'
            f'<text x="{x(tick):.1f}" y="{height - 6}" text-anchor="middle" fill="#666">{tick:g}</text>'
        )
    for i, r in enumerate(rows):
        y = top + i * row_h + row_h / 2
        parts.append(f'<text x="{label_w - 8}" y="{y + 4:.1f}" text-anchor="end">{_e(r.label)}</text>')
        if r.value is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + 4:.1f}" fill="#999">undefined</text>')
            continue
        if r.low is not None and r.high is not None:
            parts.append(
                f'<line class="whisker" x1="{x(r.low):.1f}" y1="{y:.1f}" x2="{x(r.high):.1f}" y2="{y:.1f}" '
                f'stroke="#4a6fa5" stroke-width="2"/>'
                f'<line x1="{x(r.low):.1f}" y1="{y - 5:.1f}" x2="{x(r.low):.1f}" y2="{y + 5:.1f}" stroke="#4a6fa5"/>'
                f'<line x1="{x(r.high):.1f}" y1="{y - 5:.1f}" x2="{x(r.high):.1f}" y2="{y + 5:.1f}" stroke="#4a6fa5"/>'
            )
        ci = f" [{r.low:.3f}, {r.high:.3f}]" if r.low is not None and r.high is not None else ""
        parts.append(
            f'<circle cx="{x(r.value):.1f}" cy="{y:.1f}" r="4.5" fill="#1f3b63"><title>{_e(r.label)}: '
            f"{r.value:.3f}{ci}</title></circle>"
            f'<text x="{label_w + plot_w + 8}" y="{y + 4:.1f}">{r.value:.3f}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def forest_plot(rows: list[Interval], *, title: str) -> Markup:
    """Each metric's Δ (B − A) with its paired 95 % CI around a zero line; green better, red worse."""
    spans = [abs(v) for r in rows for v in (r.value, r.low, r.high) if v is not None]
    bound = max([0.05, *spans]) * 1.1
    label_w, plot_w, row_h, top = 190, 420, 22, 28
    height = top + row_h * len(rows) + 24
    width = label_w + plot_w + 90

    def x(v: float) -> float:
        return label_w + (v + bound) / (2 * bound) * plot_w

    colour = {"better": "#1a7f37", "worse": "#c62828", "neutral": "#555"}
    parts = [
        f'<svg class="chart forest" role="img" aria-label="{_e(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" style="{_FONT}">',
        f'<text x="0" y="16" font-weight="600">{_e(title)}</text>',
        f'<line x1="{x(0):.1f}" y1="{top - 6}" x2="{x(0):.1f}" y2="{height - 20}" stroke="#999" stroke-dasharray="3,3"/>',
        f'<text x="{x(-bound):.1f}" y="{height - 6}" fill="#666">{-bound:+.2f}</text>',
        f'<text x="{x(0):.1f}" y="{height - 6}" text-anchor="middle" fill="#666">0</text>',
        f'<text x="{x(bound):.1f}" y="{height - 6}" text-anchor="end" fill="#666">{bound:+.2f}</text>',
    ]
    for i, r in enumerate(rows):
        y = top + i * row_h + row_h / 2
        c = colour.get(r.tone, "#555")
        parts.append(f'<text x="{label_w - 8}" y="{y + 4:.1f}" text-anchor="end">{_e(r.label)}</text>')
        if r.value is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + 4:.1f}" fill="#999">undefined</text>')
            continue
        if r.low is not None and r.high is not None:
            parts.append(
                f'<line class="ci" x1="{x(r.low):.1f}" y1="{y:.1f}" x2="{x(r.high):.1f}" y2="{y:.1f}" '
                f'stroke="{c}" stroke-width="2"/>'
            )
        parts.append(
            f'<rect class="delta" x="{x(r.value) - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{c}">'
            f"<title>{_e(r.label)}: Δ {r.value:+.4f}</title></rect>"
            f'<text x="{label_w + plot_w + 8}" y="{y + 4:.1f}" fill="{c}">{r.value:+.3f}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def delta_strip(points: list[StripPoint], *, title: str) -> Markup:
    """One dot per article at its Δ of per-article points, each a link (into run B's report)."""
    width, height, pad = 720, 90, 30
    bound = max([1.0, *(abs(p.delta) for p in points)])

    def x(v: float) -> float:
        return pad + (v + bound) / (2 * bound) * (width - 2 * pad)

    parts = [
        f'<svg class="chart strip" role="img" aria-label="{_e(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" style="{_FONT}">',
        f'<text x="0" y="14" font-weight="600">{_e(title)}</text>',
        f'<line x1="{pad}" y1="50" x2="{width - pad}" y2="50" stroke="#ccc"/>',
        f'<line x1="{x(0):.1f}" y1="24" x2="{x(0):.1f}" y2="70" stroke="#999" stroke-dasharray="3,3"/>',
        f'<text x="{pad}" y="84" fill="#666">{-bound:+g} (B worse)</text>',
        f'<text x="{width - pad}" y="84" text-anchor="end" fill="#666">{bound:+g} (B better)</text>',
    ]
    for i, p in enumerate(points):
        c = "#1a7f37" if p.delta > 0 else "#c62828" if p.delta < 0 else "#777"
        y = 50 + ((i % 5) - 2) * 4  # a little jitter so equal deltas stay visible
        parts.append(
            f'<a href="{_e(p.href)}"><circle class="article-dot" cx="{x(p.delta):.1f}" cy="{y}" r="5" fill="{c}" '
            f'fill-opacity="0.75"><title>{_e(p.title)}</title></circle></a>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))

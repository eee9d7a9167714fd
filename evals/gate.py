"""`opsum eval gate RUN --baseline FILE`: fail when a run loses accuracy against a baseline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.metrics import HIGHER_IS_BETTER

__all__ = ["GateResult", "gate", "GATED_RATES"]

GATED_RATES = (
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


@dataclass
class GateResult:
    passed: bool
    failures: list[str]
    checked: list[str]


def gate(run_summary: dict[str, Any], baseline: dict[str, Any], *, max_drop: float = 0.02) -> GateResult:
    """Every rate within `max_drop` of the baseline; no more hallucinated or missed numbers than the
    baseline; and no hallucinated number in an article where the baseline had none."""
    failures: list[str] = []
    checked: list[str] = []
    for name in GATED_RATES:
        base, now = baseline.get(name), run_summary.get(name)
        if base is None:
            continue
        checked.append(name)
        if now is None:
            failures.append(f"{name}: missing from the run (baseline {base:.4f})")
        elif HIGHER_IS_BETTER[name] and now < base - max_drop:
            failures.append(f"{name}: {now:.4f} < baseline {base:.4f} − {max_drop} (drop {base - now:.4f})")
    by_field = baseline.get("entity_f1_by_field") or {}
    for field, base in by_field.items():
        now = (run_summary.get("entity_f1_by_field") or {}).get(field)
        if base is None:
            continue
        checked.append(f"entity_f1.{field}")
        if now is None or now < base - max_drop:
            failures.append(f"entity_f1.{field}: {now} < baseline {base:.4f} − {max_drop}")
    for name in ("hallucinated_numbers", "missed_numbers"):
        base, now = baseline.get(name), run_summary.get(name)
        if base is None:
            continue
        checked.append(name)
        if now is None or now > base:
            failures.append(f"{name}: {now} > baseline {base}")
    base_articles = baseline.get("per_article") or {}
    run_articles = run_summary.get("per_article") or {}
    for article_id, base in base_articles.items():
        now = run_articles.get(article_id)
        if now is None:
            failures.append(f"article {article_id}: in the baseline but not in the run")
        elif base.get("hallucinated", 0) == 0 and now.get("hallucinated", 0) > 0:
            failures.append(f"article {article_id}: {now['hallucinated']} hallucinated number(s), baseline had none")
    return GateResult(passed=not failures, failures=failures, checked=checked)


def load_summary(path: Path) -> dict[str, Any]:
    target = path / "summary.json" if path.is_dir() else path
    if not target.is_file():
        raise FileNotFoundError(f"no summary at {target}: give a run folder or a summary.json file")
    return json.loads(target.read_text(encoding="utf-8"))

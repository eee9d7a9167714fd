"""`opsum eval gate RUN --baseline FILE`: fail when a run loses accuracy against a baseline.

Checks, each one a JUnit `<testcase>`:
- every rate within its allowed drop of the baseline (`--max-drop`, or per metric from a TOML file);
- no more hallucinated or missed numbers than the baseline (plus an allowed rise, default 0);
- no hallucinated number in an article where the baseline had none;
- the same golden articles (per split, a hash of the split's lines) and the same prompt hash.
A baseline with per-split blocks (`splits`) is gated split by split; an older one as a whole.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from evals.metrics import COUNT_METRICS, HIGHER_IS_BETTER, METRICS
from service.errors import OpsumError

__all__ = [
    "Check",
    "GateResult",
    "GateInputError",
    "Thresholds",
    "gate",
    "load_summary",
    "load_thresholds",
    "GATED_RATES",
    "junit_xml",
    "summary_markdown",
]

# Every overall rate of evals.metrics (the per-field F1s are reported, not gated); both counts.
GATED_RATES = tuple(name for name in METRICS if "." not in name)
GATED_COUNTS = tuple(COUNT_METRICS)


class GateInputError(OpsumError, ValueError):
    """A run, baseline or thresholds file the gate cannot read: a usage error (exit 2), not a regression."""


@dataclass
class Thresholds:
    """Largest allowed drop per rate (`default` for the rest) and largest allowed rise per count."""

    default: float = 0.02
    per_metric: dict[str, float] = field(default_factory=dict)

    def allowed(self, name: str) -> float:
        if name in self.per_metric:
            return self.per_metric[name]
        return 0.0 if name in GATED_COUNTS else self.default


@dataclass
class Check:
    name: str
    passed: bool
    message: str
    group: str = "run"


@dataclass
class GateResult:
    checks: list[Check]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[str]:
        return [c.message for c in self.checks if not c.passed]

    @property
    def checked(self) -> list[str]:
        return [c.name for c in self.checks]

    @property
    def notes(self) -> list[str]:
        return [c.message for c in self.checks if c.passed and c.name.startswith("same ")]


def _rate_checks(run: dict[str, Any], base: dict[str, Any], th: Thresholds, prefix: str, group: str) -> list[Check]:
    checks: list[Check] = []
    rates = [(n, base.get(n), run.get(n)) for n in GATED_RATES]
    by_field_b, by_field_r = base.get("entity_f1_by_field") or {}, run.get("entity_f1_by_field") or {}
    rates += [(f"entity_f1.{f}", b, by_field_r.get(f)) for f, b in by_field_b.items()]
    for name, b, now in rates:
        if b is None:
            continue
        drop = th.allowed(name)
        if now is None:
            checks.append(Check(name, False, f"{prefix}{name}: missing from the run (baseline {b:.4f})", group))
        elif HIGHER_IS_BETTER[name] and now < b - drop - 1e-12:
            msg = f"{prefix}{name}: {now:.4f} < baseline {b:.4f} − {drop} (drop {b - now:.4f})"
            checks.append(Check(name, False, msg, group))
        else:
            checks.append(
                Check(name, True, f"{prefix}{name}: {now:.4f} (baseline {b:.4f}, allowed drop {drop})", group)
            )
    for name in GATED_COUNTS:
        b, now = base.get(name), run.get(name)
        if b is None:
            continue
        rise = th.allowed(name)
        limit = f"baseline {b}" + (f" + {rise:g}" if rise else "")
        ok = now is not None and now <= b + rise
        checks.append(Check(name, ok, f"{prefix}{name}: {now} {'≤' if ok else '>'} {limit}", group))
    return checks


def _article_checks(run: dict[str, Any], base: dict[str, Any], splits: set[str] | None) -> list[Check]:
    checks: list[Check] = []
    run_articles = run.get("per_article") or {}
    for article_id, b in (base.get("per_article") or {}).items():
        if splits is not None and b.get("split", "dev") not in splits:
            continue
        now = run_articles.get(article_id)
        name = f"article {article_id}"
        if now is None:
            checks.append(Check(name, False, f"article {article_id}: in the baseline but not in the run", "articles"))
        elif b.get("hallucinated", 0) == 0 and now.get("hallucinated", 0) > 0:
            msg = f"article {article_id}: {now['hallucinated']} hallucinated number(s), baseline had none"
            checks.append(Check(name, False, msg, "articles"))
        else:
            checks.append(Check(name, True, f"article {article_id}: no new hallucinated number", "articles"))
    return checks


def _same(name: str, now: str | None, base: str | None, what: str, group: str) -> Check | None:
    if base is None:
        return None
    if now == base:
        return Check(f"same {name}", True, f"{name} {now} matches the baseline", group)
    return Check(
        f"same {name}",
        False,
        f"{name}: the run has {now}, the baseline {base}: {what}",
        group,
    )


def gate(
    run_summary: dict[str, Any],
    baseline: dict[str, Any],
    *,
    max_drop: float | None = None,
    thresholds: Thresholds | None = None,
) -> GateResult:
    """Every check of the module docstring; `max_drop` overrides the thresholds' default."""
    th = thresholds or Thresholds()
    if max_drop is not None:
        th = Thresholds(default=max_drop, per_metric=th.per_metric)
    checks: list[Check] = []
    same = _same(
        "prompt_hash",
        run_summary.get("prompt_hash"),
        baseline.get("prompt_hash"),
        "the run used another prompt (or prompt text) than the baseline; record a new baseline for it",
        "provenance",
    )
    if same is not None and "prompt_hash" in run_summary:
        checks.append(same)
    base_splits: dict[str, Any] = baseline.get("splits") or {}
    if base_splits:
        run_splits: dict[str, Any] = run_summary.get("splits") or {}
        for split, base_block in base_splits.items():
            block = run_splits.get(split)
            if block is None:
                msg = f"split {split}: in the baseline but not in the run (run it with --split {split} or all)"
                checks.append(Check(f"split {split}", False, msg, split))
                continue
            hash_check = _same(
                f"golden {split} articles",
                block.get("golden_sha256"),
                base_block.get("golden_sha256"),
                f"the {split} articles or their labels changed since the baseline was recorded",
                split,
            )
            if hash_check is not None:
                checks.append(hash_check)
            checks += _rate_checks(block, base_block, th, f"[{split}] ", split)
        checks += _article_checks(run_summary, baseline, set(base_splits))
    else:
        base_golden = (baseline.get("golden") or {}).get("sha256")
        hash_check = _same(
            "golden file",
            (run_summary.get("golden") or {}).get("sha256"),
            base_golden,
            "the golden file changed since the baseline was recorded",
            "provenance",
        )
        if hash_check is not None:
            checks.append(hash_check)
        checks += _rate_checks(run_summary, baseline, th, "", "run")
        checks += _article_checks(run_summary, baseline, None)
    return GateResult(checks)


def load_summary(path: Path) -> dict[str, Any]:
    target = path / "summary.json" if path.is_dir() else path
    if not target.is_file():
        raise GateInputError(f"no summary at {target}: give a run folder or a summary.json file")
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise GateInputError(f"{target} is not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise GateInputError(f"{target} is not a summary.json object")
    return data


def load_thresholds(path: Path) -> Thresholds:
    """A TOML file: `max_drop = 0.02` (the default) and a `[metrics]` table of per-metric limits
    (the largest allowed drop of a rate, or the largest allowed rise of a count)."""
    if not path.is_file():
        raise GateInputError(f"no thresholds file at {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise GateInputError(f"{path}: not valid TOML ({exc})") from exc
    known = set(METRICS) | set(GATED_COUNTS)
    unknown_keys = set(data) - {"max_drop", "metrics"}
    if unknown_keys:
        raise GateInputError(f"{path}: unknown key(s) {', '.join(sorted(unknown_keys))}; use max_drop and [metrics]")
    per_metric = data.get("metrics") or {}
    for name, value in per_metric.items():
        if name not in known:
            raise GateInputError(f"{path}: unknown metric {name!r} in [metrics]; known: {', '.join(sorted(known))}")
        if not isinstance(value, (int, float)) or value < 0:
            raise GateInputError(f"{path}: [metrics] {name} must be a number ≥ 0")
    default = data.get("max_drop", 0.02)
    if not isinstance(default, (int, float)) or default < 0:
        raise GateInputError(f"{path}: max_drop must be a number ≥ 0")
    return Thresholds(default=float(default), per_metric={k: float(v) for k, v in per_metric.items()})


def junit_xml(result: GateResult, *, suite: str = "opsum eval gate") -> str:
    """JUnit XML: one <testcase> per check, a <failure> for each that failed."""
    failures = sum(1 for c in result.checks if not c.passed)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites><testsuite name={quoteattr(suite)} tests="{len(result.checks)}" failures="{failures}">',
    ]
    for c in result.checks:
        head = f"<testcase classname={quoteattr('gate.' + c.group)} name={quoteattr(c.name)}"
        if c.passed:
            lines.append(f"{head}/>")
        else:
            lines.append(f"{head}><failure message={quoteattr(c.message)}/></testcase>")
    lines.append("</testsuite></testsuites>")
    return "\n".join(lines) + "\n"


def summary_markdown(result: GateResult, *, run: str, baseline: str) -> str:
    """A CI step summary: the verdict, then the failed checks, then every check."""
    verdict = "passed" if result.passed else "FAILED"
    lines = [f"### opsum eval gate {verdict}", "", f"Run `{run}` against baseline `{baseline}`.", ""]
    if not result.passed:
        lines += ["**Failures**", ""] + [f"- {f}" for f in result.failures] + [""]
    lines += ["| check | result | detail |", "|---|---|---|"]
    for c in result.checks:
        detail = c.message.replace("|", "\\|")
        lines.append(f"| {c.group}: {c.name} | {'✅' if c.passed else '❌'} | {detail} |")
    return "\n".join(lines) + "\n"

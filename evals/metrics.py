"""Metrics over articles: micro-averaged rates from per-article tallies, with bootstrap CIs.

A metric is a function from a list of `ArticleScore`s to a number (or None when undefined,
e.g. qualifier accuracy with no correct value to judge). Confidence intervals resample
articles with replacement; `paired_bootstrap` resamples the same articles for two runs.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

from evals.scoring import ENTITY_FIELDS, ArticleScore, EntityTally

__all__ = ["METRICS", "COUNT_METRICS", "summarise_scores", "bootstrap_ci", "paired_bootstrap", "prf"]

Metric = Callable[[Sequence[ArticleScore]], float | None]


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def prf(t: EntityTally) -> tuple[float | None, float | None, float | None]:
    p = _ratio(t.tp, t.tp + t.fp)
    r = _ratio(t.tp, t.tp + t.fn)
    if t.tp + t.fp + t.fn == 0:
        return None, None, None
    f = 2 * t.tp / (2 * t.tp + t.fp + t.fn)
    return p, r, f


def _entity_total(scores: Sequence[ArticleScore], fields: Sequence[str] = ENTITY_FIELDS) -> EntityTally:
    total = EntityTally()
    for s in scores:
        for f in fields:
            total.add(s.entities[f])
    return total


def _seizure_total(scores: Sequence[ArticleScore]) -> EntityTally:
    total = EntityTally()
    for s in scores:
        total.add(s.seizures)
    return total


METRICS: dict[str, Metric] = {
    "numeric_accuracy": lambda ss: _ratio(sum(s.numeric_correct for s in ss), sum(s.numeric_slots for s in ss)),
    "qualifier_accuracy": lambda ss: _ratio(sum(s.qualifier_correct for s in ss), sum(s.qualifier_total for s in ss)),
    "entity_precision": lambda ss: prf(_entity_total(ss))[0],
    "entity_recall": lambda ss: prf(_entity_total(ss))[1],
    "entity_f1": lambda ss: prf(_entity_total(ss))[2],
    "seizure_precision": lambda ss: prf(_seizure_total(ss))[0],
    "seizure_recall": lambda ss: prf(_seizure_total(ss))[1],
    "seizure_f1": lambda ss: prf(_seizure_total(ss))[2],
    "relevance_accuracy": lambda ss: _ratio(sum(s.relevance_correct for s in ss), len(ss)),
    "grounding_rate": lambda ss: _ratio(sum(s.evidence_found for s in ss), sum(s.evidence_spans for s in ss)),
}
for _field in ENTITY_FIELDS:
    METRICS[f"entity_f1.{_field}"] = (lambda f: lambda ss: prf(_entity_total(ss, (f,)))[2])(_field)

COUNT_METRICS: dict[str, Callable[[Sequence[ArticleScore]], int]] = {
    "hallucinated_numbers": lambda ss: sum(s.hallucinated for s in ss),
    "missed_numbers": lambda ss: sum(s.missed for s in ss),
}

# Rates where higher is better; the two counts are better lower.
HIGHER_IS_BETTER = {name: True for name in METRICS} | {name: False for name in COUNT_METRICS}


def bootstrap_ci(
    scores: Sequence[ArticleScore],
    metric: Callable[[Sequence[ArticleScore]], float | None],
    *,
    n: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile bootstrap over articles."""
    if not scores:
        return None
    rng = random.Random(seed)
    values = []
    k = len(scores)
    for _ in range(n):
        sample = [scores[rng.randrange(k)] for _ in range(k)]
        v = metric(sample)
        if v is not None:
            values.append(float(v))
    if not values:
        return None
    values.sort()
    lo = values[int((1 - level) / 2 * (len(values) - 1))]
    hi = values[int((1 + level) / 2 * (len(values) - 1))]
    return lo, hi


def paired_bootstrap(
    a: Sequence[ArticleScore],
    b: Sequence[ArticleScore],
    metric: Callable[[Sequence[ArticleScore]], float | None],
    *,
    n: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """CI of metric(b) - metric(a), resampling the same articles in both runs (a[i] and b[i] pair)."""
    if len(a) != len(b) or not a:
        raise ValueError("paired bootstrap needs the same articles, in the same order, in both runs")
    rng = random.Random(seed)
    k = len(a)
    deltas = []
    for _ in range(n):
        idx = [rng.randrange(k) for _ in range(k)]
        va, vb = metric([a[i] for i in idx]), metric([b[i] for i in idx])
        if va is not None and vb is not None:
            deltas.append(float(vb) - float(va))
    if not deltas:
        return None
    deltas.sort()
    return deltas[int((1 - level) / 2 * (len(deltas) - 1))], deltas[int((1 + level) / 2 * (len(deltas) - 1))]


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


def summarise_scores(scores: Sequence[ArticleScore], *, n_boot: int = 1000, seed: int = 0) -> dict[str, object]:
    """The metric block of SPEC §5's summary.json."""
    out: dict[str, object] = {"articles": len(scores)}
    for name, fn in METRICS.items():
        if "." not in name:
            out[name] = _r(fn(scores))
    for name, count_fn in COUNT_METRICS.items():
        out[name] = count_fn(scores)
    out["entity_f1_by_field"] = {f: _r(METRICS[f"entity_f1.{f}"](scores)) for f in ENTITY_FIELDS}
    ci: dict[str, list[float] | None] = {}
    for name, fn in METRICS.items():
        interval = bootstrap_ci(scores, fn, n=n_boot, seed=seed)
        ci[name] = None if interval is None else [round(interval[0], 4), round(interval[1], 4)]
    for name, count_fn in COUNT_METRICS.items():
        interval = bootstrap_ci(scores, count_fn, n=n_boot, seed=seed)
        ci[name] = None if interval is None else [round(interval[0], 4), round(interval[1], 4)]
    out["ci95"] = ci
    return out

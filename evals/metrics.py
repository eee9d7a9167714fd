"""Metrics over articles: micro-averaged rates from per-article tallies, with honest intervals.

Every rate is a ratio of sums over articles: each article contributes a numerator and a
denominator (numbers right / number slots; 2·tp / (2·tp + fp + fn) for an F1), so a metric is
`sum(num) / sum(den)`, and a resample of articles is a resample of those two columns.

Intervals (95 % unless asked otherwise; the method of each is recorded in `ci95_method`):
- **proportions** (accuracies, precisions, recalls, grounding rate): the Wilson score interval
  of k successes in n trials. It is never zero-width, also at 0 or 1 (213/213 → [0.982, 1]).
- **F1 scores** (not a proportion): BCa bootstrap over articles (`scipy.stats.bootstrap`); when
  every resample gives the same value (an F1 of 1.0), the Wilson interval of tp in tp + (fp+fn)/2.
- **counts** (hallucinated and missed numbers): BCa bootstrap over articles of the total, widened
  outwards to whole numbers; when every article has the same count (all zero), the exact Poisson
  (Garwood) interval of the total.
- **deltas** (`paired_bootstrap`, for `eval compare`): BCa bootstrap over the same resampled
  articles in both runs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import cast

import numpy as np
from scipy import stats

from evals.scoring import ENTITY_FIELDS, ArticleScore, EntityTally

__all__ = [
    "METRICS",
    "COUNT_METRICS",
    "HIGHER_IS_BETTER",
    "PROPORTIONS",
    "summarise_scores",
    "interval",
    "wilson",
    "poisson_interval",
    "bootstrap_ci",
    "paired_bootstrap",
    "prf",
]

Metric = Callable[[Sequence[ArticleScore]], float | None]
Parts = Callable[[ArticleScore], tuple[float, float]]


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def prf(t: EntityTally) -> tuple[float | None, float | None, float | None]:
    p = _ratio(t.tp, t.tp + t.fp)
    r = _ratio(t.tp, t.tp + t.fn)
    if t.tp + t.fp + t.fn == 0:
        return None, None, None
    f = 2 * t.tp / (2 * t.tp + t.fp + t.fn)
    return p, r, f


def _entities(s: ArticleScore, fields: Sequence[str] = ENTITY_FIELDS) -> EntityTally:
    total = EntityTally()
    for f in fields:
        total.add(s.entities[f])
    return total


def _precision(t: EntityTally) -> tuple[float, float]:
    return t.tp, t.tp + t.fp


def _recall(t: EntityTally) -> tuple[float, float]:
    return t.tp, t.tp + t.fn


def _f1(t: EntityTally) -> tuple[float, float]:
    return 2 * t.tp, 2 * t.tp + t.fp + t.fn


# Each rate: what one article adds to its numerator and denominator.
PARTS: dict[str, Parts] = {
    "numeric_accuracy": lambda s: (s.numeric_correct, s.numeric_slots),
    "qualifier_accuracy": lambda s: (s.qualifier_correct, s.qualifier_total),
    "entity_precision": lambda s: _precision(_entities(s)),
    "entity_recall": lambda s: _recall(_entities(s)),
    "entity_f1": lambda s: _f1(_entities(s)),
    "seizure_precision": lambda s: _precision(s.seizures),
    "seizure_recall": lambda s: _recall(s.seizures),
    "seizure_f1": lambda s: _f1(s.seizures),
    "relevance_accuracy": lambda s: (s.relevance_correct, 1),
    "grounding_rate": lambda s: (s.evidence_found, s.evidence_spans),
}
for _field in ENTITY_FIELDS:
    PARTS[f"entity_f1.{_field}"] = (lambda f: lambda s: _f1(s.entities[f]))(_field)

F1_METRICS = frozenset(n for n in PARTS if "f1" in n)
PROPORTIONS = frozenset(PARTS) - F1_METRICS

COUNT_PARTS: dict[str, Callable[[ArticleScore], int]] = {
    "hallucinated_numbers": lambda s: s.hallucinated,
    "missed_numbers": lambda s: s.missed,
}


def _columns(scores: Sequence[ArticleScore], name: str) -> tuple[np.ndarray, np.ndarray]:
    pairs = np.array([PARTS[name](s) for s in scores], dtype=float).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def _rate(name: str) -> Metric:
    def metric(ss: Sequence[ArticleScore]) -> float | None:
        num, den = _columns(ss, name)
        return _ratio(float(num.sum()), float(den.sum()))

    return metric


def _count(name: str) -> Callable[[Sequence[ArticleScore]], int]:
    return lambda ss: int(sum(COUNT_PARTS[name](s) for s in ss))


METRICS: dict[str, Metric] = {name: _rate(name) for name in PARTS}
COUNT_METRICS: dict[str, Callable[[Sequence[ArticleScore]], int]] = {name: _count(name) for name in COUNT_PARTS}

# Rates where higher is better; the two counts are better lower.
HIGHER_IS_BETTER = {name: True for name in METRICS} | {name: False for name in COUNT_METRICS}


# --- intervals --------------------------------------------------------------------------------


def _z(level: float) -> float:
    return float(stats.norm.ppf(1 - (1 - level) / 2))


def wilson(k: float, n: float, *, level: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval of k successes in n trials (None when n is 0)."""
    if n <= 0:
        return None
    z = _z(level)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def poisson_interval(k: int, *, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval of a Poisson count k."""
    alpha = 1 - level
    lo = 0.0 if k == 0 else float(stats.chi2.ppf(alpha / 2, 2 * k) / 2)
    return lo, float(stats.chi2.ppf(1 - alpha / 2, 2 * k + 2) / 2)


def _bca(
    data: tuple[np.ndarray, ...], statistic: Callable[..., np.ndarray], *, n: int, seed: int, level: float
) -> tuple[float, float] | None:
    """scipy's BCa bootstrap over articles (rows paired across every array); None when degenerate."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a degenerate distribution is handled by the caller
        res = stats.bootstrap(
            data,
            statistic,
            paired=True,
            vectorized=True,
            n_resamples=n,
            confidence_level=level,
            method="BCa",
            rng=np.random.default_rng(seed),
        )
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if math.isnan(lo) or math.isnan(hi) or float(np.ptp(res.bootstrap_distribution)) == 0.0:
        return None
    return lo, hi


def _ratio_stat(fallback: float) -> Callable[..., np.ndarray]:
    def stat(num: np.ndarray, den: np.ndarray, axis: int = -1) -> np.ndarray:
        d = den.sum(axis=axis)
        # numpy's stubs type a ufunc called with out= as Any; the result is the `out` array
        return cast(
            np.ndarray, np.divide(num.sum(axis=axis), d, out=np.full(np.shape(d), fallback, dtype=float), where=d > 0)
        )

    return stat


def bootstrap_ci(
    scores: Sequence[ArticleScore], name: str, *, n: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float] | None:
    """BCa bootstrap interval over articles of a rate or a count (None when undefined or degenerate)."""
    if len(scores) < 2:
        return None
    if name in COUNT_PARTS:
        col = np.array([COUNT_PARTS[name](s) for s in scores], dtype=float)
        return _bca((col,), lambda c, axis=-1: c.sum(axis=axis), n=n, seed=seed, level=level)
    num, den = _columns(scores, name)
    if den.sum() == 0:
        return None
    return _bca((num, den), _ratio_stat(float(num.sum() / den.sum())), n=n, seed=seed, level=level)


def interval(
    scores: Sequence[ArticleScore], name: str, *, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[tuple[float, float] | None, str]:
    """The interval of one metric, and the method that gave it (see the module docstring)."""
    if name in COUNT_PARTS:
        count = COUNT_METRICS[name](scores)
        ci = bootstrap_ci(scores, name, n=n_boot, seed=seed, level=level)
        if ci is not None:
            return (float(math.floor(ci[0] + 1e-9)), float(math.ceil(ci[1] - 1e-9))), "bca"
        lo, hi = poisson_interval(count, level=level)
        return (float(math.floor(lo)), float(math.ceil(hi))), "poisson"
    num, den = _columns(scores, name)
    k, total = float(num.sum()), float(den.sum())
    if total == 0:
        return None, "undefined"
    if name in PROPORTIONS:
        return wilson(k, total, level=level), "wilson"
    ci = bootstrap_ci(scores, name, n=n_boot, seed=seed, level=level)
    if ci is not None:
        return ci, "bca"
    # an F1 of 2tp/(2tp+fp+fn) is tp "hits" out of tp + (fp+fn)/2
    return wilson(k / 2, total / 2, level=level), "wilson"


def paired_bootstrap(
    a: Sequence[ArticleScore],
    b: Sequence[ArticleScore],
    name: str,
    *,
    n: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float] | None:
    """BCa CI of metric(b) − metric(a), resampling the same articles in both runs (a[i] and b[i] pair).
    Runs that agree on every article give the zero-width interval at their (constant) delta."""
    if len(a) != len(b) or not a:
        raise ValueError("paired bootstrap needs the same articles, in the same order, in both runs")
    if name in COUNT_PARTS:
        ca = np.array([COUNT_PARTS[name](s) for s in a], dtype=float)
        cb = np.array([COUNT_PARTS[name](s) for s in b], dtype=float)
        point = float(cb.sum() - ca.sum())
        if len(a) < 2 or np.array_equal(ca, cb):
            return point, point
        ci = _bca((ca, cb), lambda x, y, axis=-1: y.sum(axis=axis) - x.sum(axis=axis), n=n, seed=seed, level=level)
        return ci if ci is not None else (point, point)
    na, da = _columns(a, name)
    nb, db = _columns(b, name)
    if da.sum() == 0 or db.sum() == 0:
        return None
    ra, rb = float(na.sum() / da.sum()), float(nb.sum() / db.sum())
    if len(a) < 2 or (np.array_equal(na, nb) and np.array_equal(da, db)):
        return rb - ra, rb - ra
    stat_a, stat_b = _ratio_stat(ra), _ratio_stat(rb)

    def delta(x1: np.ndarray, x2: np.ndarray, y1: np.ndarray, y2: np.ndarray, axis: int = -1) -> np.ndarray:
        # numpy's stubs type ndarray[Any, dtype[Any]] - ndarray[Any, dtype[Any]] as Any
        return cast(np.ndarray, stat_b(y1, y2, axis=axis) - stat_a(x1, x2, axis=axis))

    ci = _bca((na, da, nb, db), delta, n=n, seed=seed, level=level)
    return ci if ci is not None else (rb - ra, rb - ra)


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


def summarise_scores(scores: Sequence[ArticleScore], *, n_boot: int = 1000, seed: int = 0) -> dict[str, object]:
    """The metric block of SPEC §5's summary.json, with `ci95_method` naming each interval's method."""
    out: dict[str, object] = {"articles": len(scores)}
    for name, fn in METRICS.items():
        if "." not in name:
            out[name] = _r(fn(scores))
    for name, count_fn in COUNT_METRICS.items():
        out[name] = count_fn(scores)
    out["entity_f1_by_field"] = {f: _r(METRICS[f"entity_f1.{f}"](scores)) for f in ENTITY_FIELDS}
    ci: dict[str, list[float] | list[int] | None] = {}
    methods: dict[str, str] = {}
    for name in [*METRICS, *COUNT_METRICS]:
        found, methods[name] = interval(scores, name, n_boot=n_boot, seed=seed)
        if found is None:
            ci[name] = None
        elif name in COUNT_METRICS:
            ci[name] = [int(found[0]), int(found[1])]
        else:
            ci[name] = [round(found[0], 4), round(found[1], 4)]
    out["ci95"] = ci
    out["ci95_method"] = methods
    return out

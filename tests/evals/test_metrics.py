"""Micro P/R/F1 (cross-checked against scikit-learn), rates, and bootstrap confidence intervals."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.preprocessing import MultiLabelBinarizer

from evals.metrics import (
    METRICS,
    bootstrap_ci,
    interval,
    paired_bootstrap,
    poisson_interval,
    prf,
    summarise_scores,
    wilson,
)
from evals.scoring import EntityTally, score_article
from tests.evals.helpers import ENTITY_FIELDS, gold, pred

CRIMES = ["cybercrime", "fraud", "drug_trafficking", "terrorism", "money_laundering"]
COUNTRIES = ["Spain", "Portugal", "Czechia", "United Kingdom"]


def test_prf_hand_computed():
    # tp 3, fp 1, fn 2: P = 3/4 = 0.75, R = 3/5 = 0.6, F1 = 2·3/(2·3+1+2) = 6/9 = 0.6667
    p, r, f = prf(EntityTally(tp=3, fp=1, fn=2))
    assert (p, r) == (0.75, 0.6)
    assert f == pytest.approx(6 / 9)
    assert prf(EntityTally()) == (None, None, None)  # nothing to judge: undefined, not 0 or 1


def _sk_micro(gold_sets, pred_sets, labels):
    mlb = MultiLabelBinarizer(classes=labels)
    y_true, y_pred = mlb.fit_transform(gold_sets), mlb.transform(pred_sets)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="micro", zero_division=0)
        f_alt = f1_score(y_true, y_pred, average="micro", zero_division=0)
    assert f == pytest.approx(f_alt)
    return p, r, f


article_sets = st.lists(
    st.tuples(
        st.sets(st.sampled_from(CRIMES), max_size=3),
        st.sets(st.sampled_from(CRIMES), max_size=3),
        st.sets(st.sampled_from(COUNTRIES), max_size=2),
        st.sets(st.sampled_from(COUNTRIES), max_size=2),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(article_sets)
def test_entity_micro_prf_matches_sklearn(articles):
    scores, gold_sets, pred_sets = [], [], []
    for gc, pc, gk, pk in articles:
        g = gold({"relevant": True, "crime_types": sorted(gc), "countries": sorted(gk)})
        p = pred(crime_types=sorted(pc), countries=sorted(pk))
        scores.append(score_article(g, p))
        # the same sets as binary label vectors: one column per (field, value)
        gold_sets.append({f"crime:{c}" for c in gc} | {f"country:{c}" for c in gk})
        pred_sets.append({f"crime:{c}" for c in pc} | {f"country:{c}" for c in pk})
    labels = [f"crime:{c}" for c in CRIMES] + [f"country:{c}" for c in COUNTRIES]
    sk_p, sk_r, sk_f = _sk_micro(gold_sets, pred_sets, labels)
    n_gold = sum(len(s) for s in gold_sets)
    n_pred = sum(len(s) for s in pred_sets)
    ours = {name: METRICS[name](scores) for name in ("entity_precision", "entity_recall", "entity_f1")}
    # undefined (None) exactly where sklearn would divide by zero
    if n_pred:
        assert ours["entity_precision"] == pytest.approx(sk_p)
    else:
        assert ours["entity_precision"] is None
    if n_gold:
        assert ours["entity_recall"] == pytest.approx(sk_r)
    else:
        assert ours["entity_recall"] is None
    if n_gold or n_pred:
        assert ours["entity_f1"] == pytest.approx(sk_f)
    else:
        assert ours["entity_f1"] is None
    # per field: crime types alone
    g_ct = [{x for x in s if x.startswith("crime:")} for s in gold_sets]
    p_ct = [{x for x in s if x.startswith("crime:")} for s in pred_sets]
    if any(g_ct) or any(p_ct):
        assert METRICS["entity_f1.crime_types"](scores) == pytest.approx(
            _sk_micro(g_ct, p_ct, [f"crime:{c}" for c in CRIMES])[2]
        )


SEIZURES = [("cocaine", 3.0, "kg"), ("cash", 5000.0, "EUR"), ("firearms", 17.0, "items"), ("heroin", 2.0, "kg")]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sets(st.sampled_from(SEIZURES), max_size=3), st.sets(st.sampled_from(SEIZURES), max_size=3)),
        min_size=1,
        max_size=5,
    )
)
def test_seizure_prf_matches_sklearn(articles):
    # distinct items with exact quantities: "matches" is set membership, so sklearn sees the same sets
    scores = []
    for gs, ps in articles:
        g = gold({"relevant": True, "seizures": [{"item": i, "quantity": q, "unit": u} for i, q, u in sorted(gs)]})
        p = pred(seizures=[{"item": i, "quantity": q, "unit": u} for i, q, u in sorted(ps)])
        scores.append(score_article(g, p))
    sk_p, sk_r, sk_f = _sk_micro([set(g) for g, _ in articles], [set(p) for _, p in articles], SEIZURES)
    n_gold = sum(len(g) for g, _ in articles)
    n_pred = sum(len(p) for _, p in articles)
    if n_pred:
        assert METRICS["seizure_precision"](scores) == pytest.approx(sk_p)
    if n_gold:
        assert METRICS["seizure_recall"](scores) == pytest.approx(sk_r)
    if n_gold or n_pred:
        assert METRICS["seizure_f1"](scores) == pytest.approx(sk_f)


def test_numeric_accuracy_matches_sklearn_accuracy():
    cases = [  # (gold arrests, predicted arrests) per article; other counts null on both sides
        (12, 12),
        (5, None),
        (None, 3),
        (None, None),
        (7, 8),
        (0, 0),
    ]
    scores = [
        score_article(gold({"relevant": True, "arrests": g}), pred(arrests=None if p is None else {"value": p}))
        for g, p in cases
    ]
    y_true, y_pred = [], []
    for g, p in cases:
        y_true += [-1 if g is None else g, -1, -1, -1]  # arrests + three null counts; -1 stands for null
        y_pred += [-1 if p is None else p, -1, -1, -1]
    # right: 12/12, None/None, 0/0 on arrests (3 of 6) + 18 null/null = 21 of 24
    assert METRICS["numeric_accuracy"](scores) == pytest.approx(21 / 24)
    assert METRICS["numeric_accuracy"](scores) == pytest.approx(accuracy_score(y_true, y_pred))


def _varied_scores(n: int = 12):
    out = []
    for i in range(n):
        g = gold({"relevant": True, "arrests": 10 + i, "crime_types": ["fraud"]}, id=f"a{i}")
        p = pred(arrests={"value": 10 + i if i % 3 else 99}, crime_types=["fraud"] if i % 2 else ["cybercrime"])
        out.append(score_article(g, p))
    return out


def test_bootstrap_ci_contains_point_and_is_deterministic():
    scores = _varied_scores()
    for name in ("numeric_accuracy", "entity_f1"):
        point = METRICS[name](scores)
        ci = bootstrap_ci(scores, name, n=200, seed=7)
        assert ci is not None
        lo, hi = ci
        assert 0.0 <= lo <= point <= hi <= 1.0, (name, lo, point, hi)
        assert bootstrap_ci(scores, name, n=200, seed=7) == ci  # same seed, same interval
    # numeric accuracy has real spread here: the interval is not a single point
    lo, hi = bootstrap_ci(scores, "numeric_accuracy", n=200, seed=7)
    assert lo < hi
    # relevance is right everywhere: every resample agrees, so there is no bootstrap interval ...
    assert bootstrap_ci(scores, "relevance_accuracy", n=200, seed=7) is None
    # ... and the reported one is Wilson's, which is not zero-width at 1
    (lo, hi), method = interval(scores, "relevance_accuracy")
    assert method == "wilson" and lo < hi == 1.0


def test_bootstrap_ci_is_scipys_bca_over_articles():
    scores = _varied_scores()
    num = np.array([s.numeric_correct for s in scores], dtype=float)
    den = np.array([s.numeric_slots for s in scores], dtype=float)
    ref = stats.bootstrap(
        (num, den),
        lambda x, y, axis=-1: x.sum(axis=axis) / y.sum(axis=axis),
        paired=True,
        vectorized=True,
        n_resamples=300,
        method="BCa",
        rng=np.random.default_rng(11),
    ).confidence_interval
    assert bootstrap_ci(scores, "numeric_accuracy", n=300, seed=11) == pytest.approx((ref.low, ref.high))


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=500), st.data())
def test_wilson_matches_scipy(n, data):
    k = data.draw(st.integers(min_value=0, max_value=n))
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = wilson(k, n)
    assert (lo, hi) == pytest.approx((ref.low, ref.high), abs=1e-9)
    assert lo < hi  # never zero-width, also at k = 0 and k = n


def test_rate_at_one_is_not_zero_width():
    # every count right in every article: the old percentile bootstrap gave [1.000, 1.000]
    scores = [
        score_article(gold({"relevant": True, "arrests": 3 + i}, id=f"p{i}"), pred(arrests={"value": 3 + i}))
        for i in range(10)
    ]
    s = summarise_scores(scores, n_boot=200)
    assert s["numeric_accuracy"] == 1.0
    lo, hi = s["ci95"]["numeric_accuracy"]
    assert hi == 1.0 and lo == pytest.approx(stats.binomtest(40, 40).proportion_ci(method="wilson").low, abs=1e-4)
    assert lo < 0.95
    assert s["ci95_method"]["numeric_accuracy"] == "wilson"
    # no hallucinated number anywhere: the count's interval is the exact Poisson one of 0, in integers
    assert s["ci95"]["hallucinated_numbers"] == [0, 4] and s["ci95_method"]["hallucinated_numbers"] == "poisson"
    assert poisson_interval(0)[1] == pytest.approx(stats.chi2.ppf(0.975, 2) / 2)


def test_count_intervals_are_integers():
    s = summarise_scores(_varied_scores(), n_boot=200)
    lo, hi = s["ci95"]["hallucinated_numbers"]
    assert isinstance(lo, int) and isinstance(hi, int) and lo <= s["hallucinated_numbers"] <= hi


def test_bootstrap_ci_undefined_metric_and_empty():
    scores = _varied_scores(3)
    assert bootstrap_ci(scores, "seizure_f1", n=50) is None  # no seizures anywhere: undefined
    assert bootstrap_ci([], "numeric_accuracy", n=50) is None
    assert summarise_scores(scores, n_boot=50)["ci95"]["seizure_f1"] is None


def test_paired_bootstrap_identical_runs_is_zero():
    scores = _varied_scores()
    for name in ("numeric_accuracy", "entity_f1", "hallucinated_numbers"):
        assert paired_bootstrap(scores, scores, name, n=200, seed=3) == (0.0, 0.0)


def test_paired_bootstrap_direction_and_pairing():
    a = _varied_scores()
    # B is right on every arrests count: the delta B − A of numeric accuracy is > 0 in every resample
    b = [
        score_article(
            gold({"relevant": True, "arrests": 10 + i, "crime_types": ["fraud"]}, id=f"a{i}"),
            pred(arrests={"value": 10 + i}, crime_types=["fraud"]),
        )
        for i in range(12)
    ]
    lo, hi = paired_bootstrap(a, b, "numeric_accuracy", n=200, seed=3)
    assert 0 < lo <= hi
    # the same as scipy's paired BCa on the per-article columns of both runs
    cols = [np.array([s.numeric_correct for s in r], float) for r in (a, b)]
    dens = [np.array([s.numeric_slots for s in r], float) for r in (a, b)]
    ref = stats.bootstrap(
        (cols[0], dens[0], cols[1], dens[1]),
        lambda w, x, y, z, axis=-1: y.sum(axis=axis) / z.sum(axis=axis) - w.sum(axis=axis) / x.sum(axis=axis),
        paired=True,
        vectorized=True,
        n_resamples=200,
        method="BCa",
        rng=np.random.default_rng(3),
    ).confidence_interval
    assert (lo, hi) == pytest.approx((ref.low, ref.high))
    with pytest.raises(ValueError):
        paired_bootstrap(a, b[:-1], "numeric_accuracy", n=10)


def test_summarise_scores_shape():
    s = summarise_scores(_varied_scores(), n_boot=50, seed=0)
    assert s["articles"] == 12
    assert set(s["entity_f1_by_field"]) == set(ENTITY_FIELDS)
    assert isinstance(s["hallucinated_numbers"], int) and isinstance(s["missed_numbers"], int)
    # i % 3 == 0 → arrests 99 is wrong: i = 0, 3, 6, 9 → 4 wrong of 12·4 = 48 slots → 44/48
    assert s["numeric_accuracy"] == round(44 / 48, 4)
    for name, ci in s["ci95"].items():
        if ci is not None:
            assert ci[0] <= ci[1], name
    assert not any(isinstance(v, float) and math.isnan(v) for v in s.values())

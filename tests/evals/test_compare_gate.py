"""`opsum eval compare` (paired bootstrap, per-article changes) and `opsum eval gate` (CI regressions)."""

from __future__ import annotations

import json
import re

import pytest

from evals.compare import compare_runs, render_html, render_markdown
from evals.gate import gate
from evals.metrics import COUNT_METRICS, METRICS
from tests.evals.conftest import run_cli


def _summary(run):  # type: ignore[no-untyped-def]
    return json.loads((run / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def compared(runs, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A = the worse run, B = the good run."""
    out = tmp_path_factory.mktemp("compare")
    rc, stdout, err = run_cli(["eval", "compare", str(runs.bad), str(runs.good), "--out", str(out)])
    assert rc == 0, err
    return out, stdout


def test_compare_markdown_has_a_row_per_metric_with_a_ci(compared):
    out, stdout = compared
    md = (out / "compare.md").read_text(encoding="utf-8")
    assert md.strip() in stdout  # printed, and written
    assert "| metric | A | B | Δ (B−A) | 95% CI of Δ | verdict |" in md
    for name in [*METRICS, *COUNT_METRICS]:
        row = next((line for line in md.splitlines() if line.startswith(f"| {name} |")), None)
        assert row is not None, name
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 6, row
    # numeric accuracy: A 11/13 = 0.846, B 1.0, Δ = 2/13 = 0.154, with an interval
    row = next(line for line in md.splitlines() if line.startswith("| numeric_accuracy |"))
    assert "| 0.846 | 1.000 | +0.154 |" in row  # a signed delta
    assert re.search(r"\[[+−]?\d\.\d{3}, [+−]?\d\.\d{3}\]", row)
    assert "-0.000" not in md and "B = None" not in md
    assert (out / "compare.html").is_file() and (out / "compare.json").is_file()


def test_compare_lists_articles_that_got_better_with_why(compared):
    out, _ = compared
    md = (out / "compare.md").read_text(encoding="utf-8")
    assert "## Articles that got better in B (2)" in md
    better = md.split("## Articles that got better in B", 1)[1]
    # harbour: arrests missed → correct; stats: hallucinated → correct, relevance fixed
    assert "**harbour**" in better and "arrests: missed (None) → correct (7)" in better
    assert "**stats**" in better and "hallucinated" in better and "relevance fixed" in better
    assert "lantern" not in better  # unchanged
    data = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert {c["id"]: c["direction"] for c in data["articles_changed"]} == {"harbour": "better", "stats": "better"}


def test_compare_reversed_lists_articles_that_got_worse(runs):
    c = compare_runs(runs.good, runs.bad, n_boot=100)
    md = render_markdown(c)
    assert "## Articles that got worse in B (2)" in md
    verdicts = {m["metric"]: m for m in c["metrics"]}
    assert verdicts["hallucinated_numbers"]["delta"] == 1
    assert verdicts["relevance_accuracy"]["delta"] == pytest.approx(-1 / 3)
    page = render_html(c)
    assert "<thead><tr><th>metric</th>" in page  # header cells are <th>, from the template
    assert '<svg class="chart forest"' in page and page.count('class="article-dot"') == 2


def test_compare_run_with_itself_is_no_difference(runs):
    c = compare_runs(runs.good, runs.good, n_boot=50)
    for m in c["metrics"]:
        if m["ci95"] is not None:
            assert m["ci95"] == [0.0, 0.0], m["metric"]
            assert m["verdict"] == "no clear difference"
    assert c["articles_changed"] == []


def test_compare_needs_run_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a run folder"):
        compare_runs(tmp_path, tmp_path, n_boot=10)


# --- gate ------------------------------------------------------------------------------------


def test_gate_passes_against_itself(runs):
    rc, out, err = run_cli(["eval", "gate", str(runs.good), "--baseline", str(runs.good / "summary.json")])
    assert rc == 0, err
    assert "gate passed" in out


def test_gate_fails_on_regression_naming_metric_and_article(runs):
    rc, _, err = run_cli(
        ["eval", "gate", str(runs.bad), "--baseline", str(runs.good / "summary.json"), "--max-drop", "0.02"]
    )
    assert rc == 1
    assert "gate FAILED" in err
    # numeric accuracy 0.8462 < 1.0 − 0.02; relevance 0.6667; one hallucinated number where none were
    assert "numeric_accuracy" in err and "relevance_accuracy" in err
    assert "hallucinated_numbers: 1 > baseline 0" in err
    assert "article stats: 1 hallucinated number(s), baseline had none" in err


def test_gate_large_max_drop_still_fails_on_new_hallucination(runs):
    # allowing any drop of the rates, the new hallucinated number in "stats" still fails the gate
    rc, _, err = run_cli(
        [
            "eval",
            "gate",
            str(runs.bad / "summary.json"),
            "--baseline",
            str(runs.good / "summary.json"),
            "--max-drop",
            "1.0",
        ]
    )
    assert rc == 1
    assert "numeric_accuracy" not in err
    assert "article stats" in err


def _base(**over):  # type: ignore[no-untyped-def]
    s = {
        "numeric_accuracy": 0.80,
        "qualifier_accuracy": 0.90,
        "entity_precision": 0.70,
        "entity_recall": 0.60,
        "entity_f1": 0.65,
        "seizure_precision": 0.50,
        "seizure_recall": 0.50,
        "seizure_f1": 0.50,
        "relevance_accuracy": 0.95,
        "grounding_rate": 0.99,
        "hallucinated_numbers": 2,
        "missed_numbers": 5,
        "entity_f1_by_field": {"operation_name": 0.9, "agencies": 0.5, "countries": 0.8, "crime_types": 0.7},
        "per_article": {"a": {"hallucinated": 0}, "b": {"hallucinated": 2}},
    }
    s.update(over)
    return s


def test_gate_max_drop_tolerance():
    assert gate(_base(), _base()).passed
    # 0.80 → 0.79: a drop of 0.01 ≤ 0.02 → pass
    assert gate(_base(numeric_accuracy=0.79), _base(), max_drop=0.02).passed
    # 0.80 → 0.75: a drop of 0.05 > 0.02 → fail, naming the metric
    result = gate(_base(numeric_accuracy=0.75), _base(), max_drop=0.02)
    assert not result.passed
    assert len(result.failures) == 1 and result.failures[0].startswith("numeric_accuracy:")
    # the same drop within a looser --max-drop 0.1 → pass
    assert gate(_base(numeric_accuracy=0.75), _base(), max_drop=0.1).passed
    # a per-field entity F1 drop: 0.8 → 0.7
    result = gate(
        _base(entity_f1_by_field={"operation_name": 0.9, "agencies": 0.5, "countries": 0.7, "crime_types": 0.7}),
        _base(),
    )
    assert [f.split(":")[0] for f in result.failures] == ["entity_f1.countries"]
    # improvements never fail
    assert gate(_base(numeric_accuracy=0.99, hallucinated_numbers=0), _base()).passed


def test_gate_new_hallucination_in_a_clean_article():
    # total unchanged (2), rates unchanged, but article "a" had none in the baseline and has one now
    run = _base(per_article={"a": {"hallucinated": 1}, "b": {"hallucinated": 1}})
    result = gate(run, _base())
    assert not result.passed
    assert result.failures == ["article a: 1 hallucinated number(s), baseline had none"]
    # more hallucinations in an article that already had some: only the total check applies (2 → 2: pass)
    assert gate(_base(per_article={"a": {"hallucinated": 0}, "b": {"hallucinated": 2}}), _base()).passed


def test_gate_counts_and_missing_articles():
    result = gate(_base(missed_numbers=6), _base())
    assert result.failures == ["missed_numbers: 6 > baseline 5"]
    result = gate(_base(per_article={"a": {"hallucinated": 0}}), _base())
    assert result.failures == ["article b: in the baseline but not in the run"]

"""`opsum eval score`: any predictions file scored against any golden file, no LLM (SPEC §5)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evals.golden import DEFAULT_GOLDEN
from evals.runner import PredictionsFormatError, read_predictions
from service.cli import main
from tests.evals.helpers import (
    ENTITY_FIELDS,
    RATES,
    SPEC_KEYS,
    TINY_GOLDEN,
    labels_as_summary,
    perfect_predictions,
    write_jsonl,
)

REPO = Path(__file__).resolve().parents[2]


def _score(golden: Path, predictions: Path, out: Path) -> tuple[int, dict]:
    rc = main(["eval", "score", "--golden", str(golden), "--predictions", str(predictions), "--out", str(out)])
    return rc, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def _assert_spec_shape(summary: dict) -> None:
    for key in SPEC_KEYS:
        assert key in summary, key
    assert set(ENTITY_FIELDS) <= set(summary["entity_f1_by_field"])
    for key in RATES:
        v = summary[key]
        assert v is None or (isinstance(v, (int, float)) and 0.0 <= v <= 1.0), (key, v)
    for field, v in summary["entity_f1_by_field"].items():
        assert v is None or 0.0 <= v <= 1.0, (field, v)
    for key in ("hallucinated_numbers", "missed_numbers", "articles"):
        assert isinstance(summary[key], int) and not isinstance(summary[key], bool), key
    assert isinstance(summary["ci95"], dict)
    for key in RATES:
        assert key in summary["ci95"], key
    for name, interval in summary["ci95"].items():
        if interval is not None:
            lo, hi = interval
            assert lo <= hi, name


@pytest.fixture(scope="module")
def perfect_run(tmp_path_factory):
    """The project's golden set scored against its own labels."""
    d = tmp_path_factory.mktemp("perfect")
    preds = perfect_predictions(DEFAULT_GOLDEN, d / "preds.jsonl")
    rc, summary = _score(DEFAULT_GOLDEN, preds, d / "out")
    return rc, summary, d / "out"


def test_gold_labels_as_predictions_score_perfectly(perfect_run):
    rc, s, out = perfect_run
    assert rc == 0
    assert s["articles"] == 80  # both splits: the held-out test labels are as consistent as the dev ones
    for key in RATES:
        if key == "grounding_rate":
            # the labels carry no evidence: no span to judge, so the rate is undefined (null)
            assert s[key] is None
            continue
        assert s[key] == 1.0, key
    assert s["entity_f1_by_field"] == {f: 1.0 for f in ENTITY_FIELDS}
    assert (s["hallucinated_numbers"], s["missed_numbers"]) == (0, 0)
    # a rate at 1.0 has a Wilson interval that is not zero-width (it was [1.0, 1.0] with the percentile bootstrap)
    lo, hi = s["ci95"]["numeric_accuracy"]
    assert hi == 1.0 and 0.9 < lo < 1.0
    for name in ("results.jsonl", "report.md", "report.html"):
        assert (out / name).is_file(), name


def test_summary_json_has_every_spec_key(perfect_run):
    _assert_spec_shape(perfect_run[1])


def test_score_imperfect_tiny_golden(tmp_path, capsys):
    """Hand-computed over the tiny golden file (3 articles)."""
    rows = [json.loads(line) for line in TINY_GOLDEN.read_text(encoding="utf-8").splitlines()]
    lantern = labels_as_summary(rows[0]["labels"])
    lantern["arrests"] = {"value": 13}  # wrong
    lantern["countries"] = ["Portugal", "Spain"]  # Spain: entity FP
    harbour = labels_as_summary(rows[1]["labels"])
    harbour["victims_identified"] = None  # missed
    stats = {"relevant": True, "arrests": {"value": 4000}}  # relevance wrong, hallucinated count
    preds = write_jsonl(
        tmp_path / "p.jsonl",
        [
            {"id": "lantern", "summary": lantern},
            {"id": "harbour", "summary": harbour},
            {"id": "stats", "summary": stats},
        ],
    )
    rc, s = _score(TINY_GOLDEN, preds, tmp_path / "out")
    assert rc == 0
    _assert_spec_shape(s)
    # slots: lantern 4+1 seizure, harbour 4, stats 4 = 13; wrong 1 (lantern arrests), missed 1 (harbour
    # victims), hallucinated 1 (stats arrests) → correct 13 − 3 = 10
    assert s["numeric_accuracy"] == round(10 / 13, 4)
    assert (s["hallucinated_numbers"], s["missed_numbers"]) == (1, 1)
    # relevance: 2 of 3
    assert s["relevance_accuracy"] == round(2 / 3, 4)
    # entities: gold lantern 4 (name, crime, agency, country) + harbour 4 = 8, all found → tp 8;
    # fp 1 (Spain in lantern) → P = 8/9, R = 1, F1 = 16/17
    assert s["entity_precision"] == round(8 / 9, 4)
    assert s["entity_recall"] == 1.0
    assert s["entity_f1"] == round(16 / 17, 4)
    # countries: tp 2, fp 1 → F1 = 4/5
    assert s["entity_f1_by_field"]["countries"] == 0.8
    # qualifiers: judged on lantern searches+seizure and harbour arrests (3 right values, all exact)
    assert s["qualifier_accuracy"] == 1.0
    assert s["per_article"]["stats"]["hallucinated"] == 1
    printed = capsys.readouterr().out
    assert "numeric_accuracy" in printed and "summary.json" in printed


def test_predictions_without_evidence_or_summary_text_are_accepted(tmp_path):
    rows = [json.loads(line) for line in TINY_GOLDEN.read_text(encoding="utf-8").splitlines()]
    lantern = labels_as_summary(rows[0]["labels"])
    lantern.pop("summary", None)  # no summary text, no evidence anywhere
    assert "evidence" not in json.dumps(lantern)
    preds = write_jsonl(tmp_path / "p.jsonl", [{"id": "lantern", "summary": lantern}])
    rc, s = _score(TINY_GOLDEN, preds, tmp_path / "out")
    assert rc == 0
    assert s["grounding_rate"] is None  # nothing to ground
    # harbour and stats have no prediction: scored as empty non-relevant. harbour misses 2 numbers
    # (arrests 7, victims 4); stats is right as empty. Relevance: lantern + stats right = 2/3
    assert s["missed_numbers"] == 2
    assert s["relevance_accuracy"] == round(2 / 3, 4)
    results = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in results] == ["lantern", "harbour", "stats"]
    assert results[1]["prediction"] is None and results[1]["error"] == "no prediction"


def test_predictions_with_null_evidence_are_accepted(tmp_path):
    preds = write_jsonl(
        tmp_path / "p.jsonl",
        [
            {
                "id": "lantern",
                "summary": {
                    "relevant": True,
                    "arrests": {"value": 12, "evidence": None},
                    "seizures": [{"item": "cocaine", "quantity": 3, "unit": "kg", "evidence": None}],
                },
            },
        ],
    )
    assert read_predictions(preds)[0]["lantern"]["arrests"]["value"] == 12


def test_predictions_with_null_summary_text_are_accepted(tmp_path):
    preds = write_jsonl(
        tmp_path / "p.jsonl",
        [
            {"id": "lantern", "summary": {"relevant": True, "summary": None, "arrests": {"value": 12}}},
        ],
    )
    assert read_predictions(preds)[0]["lantern"]["arrests"]["value"] == 12


def test_values_outside_the_schema_are_dropped_with_a_warning_not_the_file(tmp_path, capsys):
    long_item = "cocaine hydrochloride in vacuum-sealed bricks hidden inside a refrigerated banana container"
    assert len(long_item) > 80  # longer than the model-facing bound of service.schema
    preds = write_jsonl(
        tmp_path / "p.jsonl",
        [
            {
                "id": "lantern",
                "summary": {
                    "relevant": True,
                    "arrests": {"value": 12},
                    "searches": {"value": -1},
                    "crime_types": ["drug_trafficking", "piracy"],
                    "seizures": [{"item": long_item, "quantity": 3, "unit": "kg"}],
                },
            }
        ],
    )
    summaries, notes = read_predictions(preds)
    lantern = summaries["lantern"]
    assert lantern["seizures"][0]["item"] == long_item  # kept whole, and scored
    assert lantern["arrests"]["value"] == 12 and lantern["searches"] is None
    assert lantern["crime_types"] == ["drug_trafficking"]
    assert any(w.startswith("p.jsonl:1: searches") for w in notes["lantern"])
    assert any("crime_types.1" in w for w in notes["lantern"])
    rc, s = _score(TINY_GOLDEN, preds, tmp_path / "out")
    assert rc == 0
    assert s["predictions"]["values_dropped"] == 2
    # lantern: arrests 12 right, the long-named 3 kg of cocaine matches gold's cocaine seizure
    assert s["seizure_recall"] == 1.0
    assert "warning: lantern" in capsys.readouterr().err


def test_prediction_without_id_is_a_format_error(tmp_path):
    preds = write_jsonl(tmp_path / "p.jsonl", [{"summary": {"relevant": True}}])
    with pytest.raises(PredictionsFormatError, match=r"p.jsonl:1"):
        read_predictions(preds)


@pytest.mark.parametrize(
    "line",
    [
        '{"id": "lantern", "summary": ',
        '{"id": "lantern"}',
        "[1, 2]",
    ],
)
def test_malformed_predictions_raise_format_error_naming_the_line(tmp_path, line):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "harbour", "summary": {"relevant": true}}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(PredictionsFormatError, match=r"p.jsonl:2"):
        read_predictions(path)


@pytest.fixture(scope="module")
def malformed_cli(tmp_path_factory):
    d = tmp_path_factory.mktemp("malformed")
    path = d / "p.jsonl"
    path.write_text(
        '{"id": "lantern", "summary": {"relevant": true}}\n{"id": "harbour", "summary": \n', encoding="utf-8"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "service.cli",
            "eval",
            "score",
            "--golden",
            str(TINY_GOLDEN),
            "--predictions",
            str(path),
            "--out",
            str(d / "out"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return proc, path


def test_malformed_predictions_cli_exits_non_zero_naming_the_line(malformed_cli):
    proc, path = malformed_cli
    assert proc.returncode != 0
    assert f"{path}:2" in proc.stderr
    assert not (path.parent / "out" / "summary.json").exists()


def test_malformed_predictions_cli_prints_no_traceback(malformed_cli):
    proc, _ = malformed_cli
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("opsum: error:")

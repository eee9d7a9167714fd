"""Golden files (SPEC §3): the project's golden set, its build check and coverage, and malformed files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from evals.golden import DEFAULT_GOLDEN, GoldenFormatError, load_golden
from service.schema import COUNT_FIELDS, CrimeType
from tests.evals.helpers import TINY_GOLDEN

REPO = Path(__file__).resolve().parents[2]
INJECTION = re.compile(r"ignore (all |any )?(previous|prior|above) instructions|ignore the article", re.IGNORECASE)


@pytest.fixture(scope="module")
def project_golden():
    return load_golden(DEFAULT_GOLDEN)


def test_project_golden_loads(project_golden):
    assert {split: sum(it.split == split for it in project_golden) for split in ("dev", "test")} == {
        "dev": 40,
        "test": 40,
    }
    ids = [it.id for it in project_golden]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "mozaik-2023"
    for it in project_golden:
        assert it.text.strip(), it.id
        assert set(it.counts) == set(COUNT_FIELDS)


def test_seed_article_labels(project_golden):
    seed = project_golden[0]
    # SPEC/seed: 39 suspects identified, 3 arrested, two child victims, 41 raids
    assert seed.counts["suspects_identified"].value == 39
    assert seed.counts["arrests"].value == 3
    assert seed.counts["victims_identified"].value == 2
    assert seed.counts["searches"].value == 41


def test_build_check_passes():
    proc = subprocess.run(
        [sys.executable, "golden/build.py", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_golden_coverage(project_golden):
    seen = {c for it in project_golden for c in it.crime_types}
    assert set(CrimeType.__members__) <= seen, f"crime types never labelled: {set(CrimeType.__members__) - seen}"
    assert sum(not it.relevant for it in project_golden) >= 4
    # prompt injections: "ignore all previous instructions", or an upper-case "SYSTEM:" line
    injected = [it.id for it in project_golden if INJECTION.search(it.text) or "SYSTEM:" in it.text]
    assert len(injected) >= 2, injected
    # non-relevant articles carry no counts and no seizures (SPEC §2: every other field empty)
    for it in project_golden:
        if not it.relevant:
            assert all(c is None for c in it.counts.values()), it.id
            assert not it.seizures, it.id


def test_tiny_golden_loads():
    items = load_golden(TINY_GOLDEN)
    assert [it.id for it in items] == ["lantern", "harbour", "stats"]
    lantern = items[0]
    assert lantern.operation_names == ("Lantern", "Operation Lantern")
    assert lantern.agencies[0].names == ("Judiciary Police", "Policia Judiciaria")
    assert lantern.counts["arrests"].value == 12 and lantern.counts["suspects_identified"] is None
    assert items[2].relevant is False


def test_golden_accepts_spec_variants(tmp_path):
    """Any file in the SPEC format: string or list operation names, bare-number counts, bare-name
    agencies, lenient blocks with only some keys, no lenient block at all."""
    path = tmp_path / "g.jsonl"
    rows = [
        {
            "id": "x",
            "text": "Police arrested 3.",
            "labels": {"relevant": True, "operation_name": "Bulut", "arrests": 3, "agencies": ["Europol"]},
            "lenient": {"countries": ["Germany"]},
        },
        {"id": "y", "text": "A statistics story.", "labels": {"relevant": False}},
        {
            "id": "z",
            "text": "Seized.",
            "labels": {
                "relevant": True,
                "operation_name": ["A", "B"],
                "seizures": [{"item": "cash", "quantity": None}],
            },
            "lenient": {"seizures": [{"item": "phones", "quantity": None}], "operation_name": "C"},
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")  # a blank line too
    x, y, z = load_golden(path)
    assert x.operation_names == ("Bulut",) and x.counts["arrests"].value == 3 and x.agencies[0].name == "Europol"
    assert x.lenient_countries == ("Germany",)
    assert y.relevant is False and y.lenient_countries == ()
    assert z.operation_names == ("A", "B") and z.lenient_operation_names == ("C",)
    assert z.seizures[0].quantity is None and z.lenient_seizures[0].item == "phones"


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD_LINE = json.dumps({"id": "ok", "text": "Police arrested 3 people.", "labels": {"relevant": True}})


@pytest.mark.parametrize(
    ("second_line", "line_no", "words"),
    [
        ("{not json", 2, "not valid JSON"),
        ("[1, 2]", 2, "JSON object"),
        (json.dumps({"id": "b", "text": "t", "labels": {"crime_types": ["piracy"]}}), 2, "piracy"),
        (json.dumps({"id": "b", "text": "t", "labels": {"arrests": {"qualifier": "exact"}}}), 2, "arrests"),
        (
            json.dumps({"id": "b", "text": "t", "labels": {"arrests": {"value": 3, "qualifier": "roughly"}}}),
            2,
            "qualifier",
        ),
        (json.dumps({"id": "b", "text": "t", "labels": {"seizures": [{"quantity": 3}]}}), 2, "seizure"),
        (json.dumps({"id": "b", "text": "t", "labels": {"agencies": [{"role": "lead"}]}}), 2, "agenc"),
        (json.dumps({"id": "b", "text": "t", "labels": [1]}), 2, "labels"),
        (json.dumps({"id": "b", "text": "t"}), 2, "labels"),
        (json.dumps({"id": "ok", "text": "t", "labels": {}}), 2, "duplicate id"),
    ],
)
def test_malformed_golden_names_the_line(tmp_path, second_line, line_no, words):
    path = _write(tmp_path, [GOOD_LINE, second_line])
    with pytest.raises(GoldenFormatError) as err:
        load_golden(path)
    message = str(err.value)
    assert f"{path}:{line_no}" in message, message
    assert words.lower() in message.lower(), message


def test_missing_golden_file(tmp_path):
    with pytest.raises(GoldenFormatError, match="no golden file"):
        load_golden(tmp_path / "nope.jsonl")


def test_line_without_text_is_an_error(tmp_path):
    path = _write(tmp_path, [GOOD_LINE, json.dumps({"id": "b", "labels": {"relevant": True}})])
    with pytest.raises(GoldenFormatError, match=r":2: missing 'text'"):
        load_golden(path)


def test_line_without_id_is_an_error(tmp_path):
    path = _write(tmp_path, [GOOD_LINE, json.dumps({"text": "t", "labels": {"relevant": True}})])
    with pytest.raises(GoldenFormatError, match=r":2: missing 'id'"):
        load_golden(path)


def test_empty_golden_file_is_a_format_error(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(GoldenFormatError):
        load_golden(path)


def test_split_field_defaults_to_dev_and_is_checked(tmp_path):
    from evals.golden import GoldenFormatError, load_golden, select_split, split_hashes

    rows = [
        {"id": "a", "text": "One.", "labels": {"relevant": True}},
        {"id": "b", "split": "test", "text": "Two.", "labels": {"relevant": True}},
        {"id": "c", "split": "dev", "text": "Three.", "labels": {"relevant": True}},
    ]
    path = tmp_path / "g.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    items = load_golden(path)
    assert [it.split for it in items] == ["dev", "test", "dev"]
    assert [it.id for it in select_split(items, "dev")] == ["a", "c"]
    assert [it.id for it in select_split(items, "test")] == ["b"]
    assert len(select_split(items, "all")) == 3
    before = split_hashes(path)
    # adding a test article changes the test split's hash only
    path.write_text(
        path.read_text(encoding="utf-8") + json.dumps({"id": "d", "split": "test", "text": "4.", "labels": {}}) + "\n",
        encoding="utf-8",
    )
    after = split_hashes(path)
    assert after["dev"] == before["dev"] and after["test"] != before["test"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "x", "split": "train", "text": "t", "labels": {}}) + "\n", encoding="utf-8")
    with pytest.raises(GoldenFormatError, match="split 'train'"):
        load_golden(bad)


def test_committed_golden_articles_are_all_labelled_with_a_split():
    from evals.golden import SPLITS

    for path in sorted((Path(__file__).resolve().parents[2] / "golden" / "articles").glob("*.labels.json")):
        assert json.loads(path.read_text(encoding="utf-8")).get("split", "dev") in SPLITS, path.name

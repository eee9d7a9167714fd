"""The harness as CI and prompt authors use it: exit codes, JUnit / Markdown / TOML thresholds, hash
checks, transcripts and `eval show`, the SQLite store, resumed runs, splits, -v, --version, --help."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pydantic import BaseModel

from evals.cache import CachingBackend
from evals.store import DirectoryStore, SqliteStore, open_store
from service.backends.base import Usage
from tests.evals.conftest import eval_run_argv, run_cli
from tests.evals.helpers import GOOD, TINY_GOLDEN, perfect_predictions, responder_for, write_jsonl
from tests.support.scripted_server import ScriptedServer, Step, tool_reply


def _summary(run: Path) -> dict:
    return json.loads((run / "summary.json").read_text(encoding="utf-8"))


def _rows(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "results.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]


# --- gate: exit codes, JUnit, Markdown, thresholds, provenance --------------------------------------


@pytest.fixture(scope="module")
def scored(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A perfect predictions file scored as the baseline, and the same file with every count nulled."""
    d = tmp_path_factory.mktemp("scored")
    perfect = perfect_predictions(TINY_GOLDEN, d / "perfect.jsonl")
    degraded_rows = []
    for line in perfect.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for name in ("suspects_identified", "arrests", "searches", "victims_identified"):
            row["summary"][name] = None
        degraded_rows.append(row)
    degraded = write_jsonl(d / "degraded.jsonl", degraded_rows)
    for name, preds in (("base", perfect), ("degraded", degraded)):
        rc, _, err = run_cli(
            ["eval", "score", "--golden", str(TINY_GOLDEN), "--predictions", str(preds), "--out", str(d / name)]
        )
        assert rc == 0, err
    return d


def test_gate_exit_0_on_the_same_figures(scored):
    rc, out, _ = run_cli(["eval", "gate", str(scored / "base"), "--baseline", str(scored / "base" / "summary.json")])
    assert rc == 0
    assert "golden dev articles" in out and "matches the baseline" in out


def test_gate_exit_1_on_degraded_predictions_with_junit_and_markdown(scored, tmp_path):
    junit, md = tmp_path / "gate.xml", tmp_path / "gate.md"
    rc, _, err = run_cli(
        [
            "eval",
            "gate",
            str(scored / "degraded"),
            "--baseline",
            str(scored / "base" / "summary.json"),
            "--junit",
            str(junit),
            "--summary-md",
            str(md),
        ]
    )
    assert rc == 1
    assert "[dev] numeric_accuracy" in err and "[dev] missed_numbers" in err
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert int(suite.get("tests")) == len(cases) > len(failed) > 0
    assert int(suite.get("failures")) == len(failed)
    assert {"numeric_accuracy", "missed_numbers"} <= set(failed)
    assert "entity_f1" not in failed  # entities were left alone
    text = md.read_text(encoding="utf-8")
    assert text.startswith("### opsum eval gate FAILED") and "❌" in text and "✅" in text


def test_gate_exit_2_on_a_missing_run_with_one_line(tmp_path):
    rc, out, err = run_cli(["eval", "gate", str(tmp_path / "nope"), "--baseline", "evals/baseline.json"])
    assert rc == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "no summary at" in err


def test_exit_2_for_score_run_and_compare_input_errors(tmp_path):
    rc, _, err = run_cli(["eval", "score", "--predictions", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path)])
    assert rc == 2 and "no predictions file" in err and len(err.strip().splitlines()) == 1
    rc, _, err = run_cli(["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b")])
    assert rc == 2 and "not a run folder" in err
    rc, _, err = run_cli(["eval", "run", "--golden", str(tmp_path / "g.jsonl"), "--out", str(tmp_path / "r")])
    assert rc == 2 and "no golden file" in err
    rc, _, err = run_cli(["eval", "show", str(tmp_path), "x"])
    assert rc == 2 and "not a run folder" in err


def test_thresholds_file_sets_per_metric_limits(scored, tmp_path):
    loose = tmp_path / "loose.toml"
    loose.write_text("max_drop = 0.02\n[metrics]\nnumeric_accuracy = 1.0\nmissed_numbers = 100\n", encoding="utf-8")
    argv = ["eval", "gate", str(scored / "degraded"), "--baseline", str(scored / "base"), "--thresholds", str(loose)]
    rc, _, err = run_cli(argv)
    assert rc == 0, err  # the two metrics that dropped are allowed to here
    bad = tmp_path / "bad.toml"
    bad.write_text("[metrics]\nnumeric_acuracy = 0.1\n", encoding="utf-8")
    rc, _, err = run_cli([*argv[:-1], str(bad)])
    assert rc == 2 and "unknown metric 'numeric_acuracy'" in err


def test_gate_says_when_golden_or_prompt_hash_differ(scored, tmp_path):
    base = _summary(scored / "base")
    base["splits"]["dev"]["golden_sha256"] = "0" * 16
    base["prompt_hash"] = "feedfacefeedface"
    run = dict(_summary(scored / "base"), prompt_hash="0123456789abcdef")
    (tmp_path / "base.json").write_text(json.dumps(base), encoding="utf-8")
    (tmp_path / "run.json").write_text(json.dumps(run), encoding="utf-8")
    rc, _, err = run_cli(["eval", "gate", str(tmp_path / "run.json"), "--baseline", str(tmp_path / "base.json")])
    assert rc == 1
    assert "golden dev articles: the run has" in err and "changed since the baseline was recorded" in err
    assert "prompt_hash: the run has 0123456789abcdef, the baseline feedfacefeedface" in err


# --- transcripts, eval show, resume, progress, splits --------------------------------------------


class _Answer(BaseModel):
    x: int


def test_reask_errors_and_messages_are_in_results_and_shown(tmp_path, monkeypatch):
    monkeypatch.setenv("OPSUM_MAX_REASKS", "1")
    answers = dict(GOOD)
    first = {"n": 0}

    def respond(body):  # type: ignore[no-untyped-def]
        sent = json.dumps(body.get("messages", []))
        if "Operation Lantern" in sent and first["n"] == 0:
            first["n"] += 1
            return tool_reply(dict(GOOD["lantern"], crime_types=["jaywalking"]))  # fails validation: re-ask
        return responder_for(answers)(body)

    with ScriptedServer(responder=respond) as srv:
        out = tmp_path / "run"
        rc, _, err = run_cli(eval_run_argv(srv.base_url, out, tmp_path / "cache", "--limit", "1"))
        assert rc == 0, err
    row = _rows(out)[0]
    assert row["error"] is None and row["meta"]["reasks"] == 1
    calls = row["meta"]["calls"]
    assert len(calls) == 2 and "errors" not in calls[1]
    assert calls and all(
        {"step", "messages", "response", "prompt_tokens", "completion_tokens", "ms", "cached"} <= set(c) for c in calls
    )
    assert calls[0]["cached"] is False and "jaywalking" in calls[0]["response"]
    assert any("crime_types" in e for e in calls[0]["errors"])
    assert any("Operation Lantern" in m["content"] for m in calls[0]["messages"])
    rc, shown, err = run_cli(["eval", "show", str(out), "lantern"])
    assert rc == 0, err
    assert "response (raw tool-call arguments)" in shown and "validation errors" in shown and "[user]" in shown
    # the cache holds the same transcript: a replay shows it too, marked cached
    rc, _, err = run_cli(
        eval_run_argv("http://127.0.0.1:9/v1", tmp_path / "replay", tmp_path / "cache", "--limit", "1", "--replay-only")
    )
    assert rc == 0, err
    replayed = _rows(tmp_path / "replay")[0]["meta"]["calls"]
    assert [c["response"] for c in replayed] == [c["response"] for c in calls]
    assert all(c["cached"] for c in replayed) and replayed[0]["errors"] == calls[0]["errors"]


def test_an_old_cache_entry_replays_saying_not_recorded(tmp_path):
    store = DirectoryStore(tmp_path)

    class Fake:
        name, model = "fake", "m"

        def extract(self, messages, response_model, *, step, usage, max_tokens):  # type: ignore[no-untyped-def]
            usage.record(step, 3, 2, 1.0)  # no transcript, like entries recorded before transcripts existed
            return response_model(x=7)

        def check_ready(self) -> None:
            pass

    def cache(mode):  # type: ignore[no-untyped-def]
        return CachingBackend(Fake, name="fake", model="m", store=store, mode=mode, prompt_hash="h", settings={})

    msgs = [{"role": "user", "content": "count"}]
    cache("use").for_article("t").extract(msgs, _Answer, step="s", usage=Usage(), max_tokens=8)
    usage = Usage()
    assert cache("replay").for_article("t").extract(msgs, _Answer, step="s", usage=usage, max_tokens=8).x == 7
    call = usage.calls[0]
    assert call["cached"] is True and call["messages"] == msgs  # the key holds these messages' hash
    assert "response" not in call and call["output"] == {"x": 7}  # nothing invented
    from evals.show import NOT_RECORDED, render_transcript

    text = render_transcript({"id": "t", "meta": {"calls": usage.calls}})
    assert f"response: {NOT_RECORDED}" in text and '"x": 7' in text


def test_resumed_finished_run_keeps_its_figures(runs):
    before = _summary(runs.good)
    rc, _, err = run_cli(eval_run_argv(runs.server_good.base_url, runs.good, runs.cache_good))
    assert rc == 0, err
    after = _summary(runs.good)
    assert after["wall_s"] == before["wall_s"] and after["cache"] == before["cache"]
    assert after["numeric_accuracy"] == before["numeric_accuracy"]


def test_split_selection_and_per_split_figures(tmp_path):
    golden = tmp_path / "g.jsonl"
    lines = TINY_GOLDEN.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(x) for x in lines]
    rows[2]["split"] = "test"  # "stats" is a test article
    write_jsonl(golden, rows)
    preds = perfect_predictions(golden, tmp_path / "p.jsonl")
    rc, _, err = run_cli(
        ["eval", "score", "--golden", str(golden), "--predictions", str(preds), "--out", str(tmp_path / "all")]
    )
    assert rc == 0, err
    s = _summary(tmp_path / "all")
    assert s["split"] == "all" and s["articles"] == 3
    assert {k: v["articles"] for k, v in s["splits"].items()} == {"dev": 2, "test": 1}
    assert s["per_article"]["stats"]["split"] == "test"
    rc, _, err = run_cli(
        [
            "eval",
            "score",
            "--golden",
            str(golden),
            "--predictions",
            str(preds),
            "--split",
            "dev",
            "--out",
            str(tmp_path / "dev"),
        ]
    )
    assert rc == 0, err
    dev = _summary(tmp_path / "dev")
    assert dev["articles"] == 2 and set(dev["splits"]) == {"dev"}
    # a baseline over both splits: the dev-only run fails the gate, naming the missing split
    rc, _, err = run_cli(["eval", "gate", str(tmp_path / "dev"), "--baseline", str(tmp_path / "all")])
    assert rc == 1 and "split test: in the baseline but not in the run" in err


def test_progress_line_shows_hits_errors_and_accuracy(tmp_path, capsys):
    from evals.runner import _RunningTally

    class C:
        hits, misses = 5, 2

    tally = _RunningTally([{"scores": {"numeric_correct": 3, "numeric_slots": 4}, "error": None}])
    tally.add({"scores": {"numeric_correct": 0, "numeric_slots": 4}, "error": "BackendError: x"})
    assert tally.postfix(C()) == "cache 5 hit/2 miss, errors 1, numeric acc 0.375"


# --- stores -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["dir", "sqlite"])
def test_stores_round_trip_and_pick_by_name(tmp_path, kind):
    store = open_store(tmp_path / ("c.sqlite" if kind == "sqlite" else "c"))
    assert isinstance(store, SqliteStore if kind == "sqlite" else DirectoryStore)
    assert store.get("ab12") is None
    store.put("ab12", {"status": "ok", "output": {"x": "é"}})
    store.put("ab12", {"status": "ok", "output": {"x": 2}})  # overwrite (refresh)
    store.put("cd34", {"status": "failed"})
    assert store.get("ab12") == {"status": "ok", "output": {"x": 2}}
    assert sorted(store.keys()) == ["ab12", "cd34"]


def test_sqlite_store_serves_a_run(tmp_path):
    db = tmp_path / "responses.sqlite"
    with ScriptedServer(responder=responder_for(GOOD)) as srv:
        rc, _, err = run_cli(eval_run_argv(srv.base_url, tmp_path / "r1", db))
        assert rc == 0, err
        asked = len(srv.requests)
    assert db.is_file() and not any(p.suffix == ".json" for p in tmp_path.rglob("*") if p.parent == tmp_path / "??")
    rc, _, err = run_cli(eval_run_argv("http://127.0.0.1:9/v1", tmp_path / "r2", db, "--replay-only"))
    assert rc == 0, err
    assert asked == 3 and _summary(tmp_path / "r2")["numeric_accuracy"] == _summary(tmp_path / "r1")["numeric_accuracy"]


# --- the command line --------------------------------------------------------------------------------


@pytest.mark.parametrize("sub", ["score", "run", "compare", "gate", "show"])
def test_every_subcommand_takes_v_and_has_an_example(sub):
    rc, out, _ = run_cli(["eval", sub, "--help"])
    assert rc == 0
    assert "examples:" in out and f"opsum eval {sub}" in out and "docs/formats.md" in out
    assert "-v, --verbose" in out


def test_v_after_the_subcommand_is_accepted(scored):
    rc, _, err = run_cli(["eval", "gate", "-v", str(scored / "base"), "--baseline", str(scored / "base")])
    assert rc == 0, err


def test_version():
    rc, out, _ = run_cli(["--version"])
    assert rc == 0 and out.startswith("opsum ")


def test_replay_miss_names_article_and_command(tmp_path):
    with ScriptedServer(responder=lambda body: Step(status=500)):
        pass
    rc, _, err = run_cli(
        eval_run_argv("http://127.0.0.1:9/v1", tmp_path / "r", tmp_path / "empty", "--replay-only", "--split", "dev")
    )
    assert rc == 2
    assert "--split dev" in err and "--out runs/record-v1-schema-fill" in err

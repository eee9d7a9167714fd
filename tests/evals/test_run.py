"""`opsum eval run` against the scripted OpenAI-compatible server: run folder, resume, response cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel

from evals.cache import CacheMiss, CachingBackend
from evals.runner import RunOptions, run_eval
from evals.store import DirectoryStore
from service.backends.base import Usage
from service.prompts import PromptRegistry
from service.settings import Settings
from tests.evals.conftest import eval_run_argv, run_cli
from tests.evals.helpers import GOOD, PROMPT, RUN_KEYS, SPEC_KEYS, TINY_GOLDEN, responder_for
from tests.support.scripted_server import ScriptedServer, Step

METRIC_KEYS = [k for k in SPEC_KEYS if k != "articles"] + ["articles", "per_article"]


def _summary(run: Path) -> dict:
    return json.loads((run / "summary.json").read_text(encoding="utf-8"))


def _results(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "results.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]


def _cache_files(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.json")) if cache.exists() else []


@pytest.fixture(scope="module")
def dead_url() -> str:
    """The URL of a server that has been stopped: any request to it fails to connect."""
    with ScriptedServer() as srv:
        url = srv.base_url
    return url


def test_run_writes_results_summary_and_reports(runs):
    s = _summary(runs.good)
    for key in (*SPEC_KEYS, *RUN_KEYS):
        assert key in s, key
    assert s["model"] == "scripted"
    assert s["prompt_version"] == PROMPT
    assert s["prompt_hash"] == PromptRegistry(Settings().prompts_dir).get(PROMPT).hash
    # one tool call per article, no re-ask, no retry; the scripted server reports 100 + 20 tokens a call
    assert (s["llm_calls"], s["retries"]) == (3, 0)
    assert (s["prompt_tokens"], s["completion_tokens"]) == (300, 60)
    assert isinstance(s["wall_s"], (int, float)) and s["wall_s"] >= 0
    assert len(runs.server_good.requests) >= 3
    # the good answers are right on every gold value
    assert s["articles"] == 3
    assert s["numeric_accuracy"] == 1.0 and s["hallucinated_numbers"] == 0 and s["missed_numbers"] == 0
    assert s["entity_f1"] == 1.0 and s["seizure_f1"] == 1.0 and s["relevance_accuracy"] == 1.0
    # evidence spans: lantern arrests, searches, cocaine + harbour arrests, victims = 5, all verbatim
    assert s["grounding_rate"] == 1.0
    assert "numeric_accuracy" in runs.good_stdout

    rows = _results(runs.good)
    assert sorted(r["id"] for r in rows) == ["harbour", "lantern", "stats"]
    for r in rows:
        assert r["error"] is None
        assert r["prompt_version"] == PROMPT
        assert isinstance(r["latency_ms"], (int, float))
        assert r["meta"]["llm_calls"] == 1 and r["meta"]["prompt_tokens"] == 100
        assert isinstance(r["meta"]["warnings"], list)
        assert {"numeric_slots", "numeric_correct", "hallucinated", "missed", "entities"} <= set(r["scores"])
    lantern = next(r for r in rows if r["id"] == "lantern")
    assert lantern["prediction"]["arrests"]["value"] == 12
    assert lantern["prediction"]["arrests"]["evidence"] == "arrested 12 people"


def test_run_reports(runs):
    md = (runs.good / "report.md").read_text(encoding="utf-8")
    assert "| numeric_accuracy | 1.000 |" in md
    assert "model: scripted" in md and f"prompt_version: {PROMPT}" in md
    for article_id in ("lantern", "harbour", "stats"):
        assert f"| {article_id} |" in md
    page = (runs.good / "report.html").read_text(encoding="utf-8")
    assert "<mark" in page
    assert '<mark class="correct" title="arrests: 12 (correct)">arrested 12 people</mark>' in page
    assert "95% interval" in page


def test_bad_run_marks_hallucinated_and_missed(runs):
    s = _summary(runs.bad)
    # bad answers: harbour arrests missed; stats relevant with arrests 4000 (grounded, but gold null)
    # slots 5 + 4 + 4 = 13; missed 1, hallucinated 1 → 11/13
    assert (s["missed_numbers"], s["hallucinated_numbers"]) == (1, 1)
    assert s["numeric_accuracy"] == round(11 / 13, 4)
    assert s["relevance_accuracy"] == round(2 / 3, 4)
    page = (runs.bad / "report.html").read_text(encoding="utf-8")
    assert '<mark class="hallucinated"' in page
    assert "missed" in page


def test_resume_makes_no_new_llm_calls(runs):
    before = len(runs.server_good.requests)
    rc, _, err = run_cli(eval_run_argv(runs.server_good.base_url, runs.good, runs.cache_good))
    assert rc == 0, err
    assert len(runs.server_good.requests) == before
    assert len(_results(runs.good)) == 3  # nothing appended
    assert _summary(runs.good)["numeric_accuracy"] == 1.0


def test_resume_runs_only_the_missing_articles(tmp_path):
    with ScriptedServer(responder=responder_for(GOOD)) as srv:
        out = tmp_path / "run"
        rc, _, err = run_cli(eval_run_argv(srv.base_url, out, None, "--no-cache", "--limit", "1"))
        assert rc == 0, err
        assert len(srv.requests) == 1
        rc, _, err = run_cli(eval_run_argv(srv.base_url, out, None, "--no-cache"))
        assert rc == 0, err
        assert len(srv.requests) == 3  # the first article was not asked again
    assert sorted(r["id"] for r in _results(out)) == ["harbour", "lantern", "stats"]


def _same_scores(a: dict, b: dict) -> None:
    for key in METRIC_KEYS:
        assert a[key] == b[key], key


def test_cached_replay_with_server_stopped_reproduces_scores(runs, dead_url, tmp_path):
    out = tmp_path / "replayed"
    rc, _, err = run_cli(eval_run_argv(dead_url, out, runs.cache_good))
    assert rc == 0, err
    replayed, original = _summary(out), _summary(runs.good)
    _same_scores(replayed, original)
    assert replayed["errors"] == 0
    assert replayed["cache"]["hits"] == 3 and replayed["cache"]["misses"] == 0
    assert {r["id"]: r["prediction"] for r in _results(out)} == {r["id"]: r["prediction"] for r in _results(runs.good)}


def test_replay_only_reproduces_scores_without_calls(runs, tmp_path):
    before = len(runs.server_good.requests)
    out = tmp_path / "replay-only"
    rc, _, err = run_cli(eval_run_argv(runs.server_good.base_url, out, runs.cache_good, "--replay-only"))
    assert rc == 0, err
    assert len(runs.server_good.requests) == before
    _same_scores(_summary(out), _summary(runs.good))


def test_no_cache_calls_the_server_again(runs, tmp_path):
    before = len(runs.server_good.requests)
    cached = _cache_files(runs.cache_good)
    rc, _, err = run_cli(eval_run_argv(runs.server_good.base_url, tmp_path / "nocache", runs.cache_good, "--no-cache"))
    assert rc == 0, err
    assert len(runs.server_good.requests) == before + 3
    assert _cache_files(runs.cache_good) == cached  # neither read nor written
    assert _summary(tmp_path / "nocache")["numeric_accuracy"] == 1.0


def test_refresh_calls_the_server_and_rewrites_the_cache(runs, tmp_path):
    cache = tmp_path / "cache"
    with ScriptedServer(responder=responder_for(GOOD)) as srv:
        rc, _, err = run_cli(eval_run_argv(srv.base_url, tmp_path / "r1", cache))
        assert rc == 0, err
        entries = _cache_files(cache)
        assert len(entries) == 3 and len(srv.requests) == 3
        rc, _, err = run_cli(eval_run_argv(srv.base_url, tmp_path / "r2", cache, "--refresh"))
        assert rc == 0, err
        assert len(srv.requests) == 6
        assert _cache_files(cache) == entries  # same keys, overwritten


def test_replay_only_with_empty_cache_fails_naming_the_rerecord_command(tmp_path, dead_url):
    rc, out, err = run_cli(eval_run_argv(dead_url, tmp_path / "run", tmp_path / "empty-cache", "--replay-only"))
    assert rc == 2
    # one line naming the first article, its step and the exact command that records this prompt version
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert "article 'lantern'" in lines[0] and "step 'extract'" in lines[0]
    assert f"opsum eval run --golden {TINY_GOLDEN} --prompt {PROMPT} --cache-dir {tmp_path / 'empty-cache'}" in lines[0]


class _Answer(BaseModel):
    x: int


class _FakeBackend:
    name = "fake"
    model = "m"

    def extract(self, messages, response_model, *, step, usage, max_tokens):  # type: ignore[no-untyped-def]
        usage.record(step, 1, 1, 1.0)
        return response_model(x=1)

    def check_ready(self) -> None:
        pass


def test_cache_miss_in_replay_mode_raises_with_rerecord_command(tmp_path):
    cache = CachingBackend(
        _FakeBackend,
        name="fake",
        model="m",
        store=DirectoryStore(tmp_path),
        mode="replay",
        prompt_hash="h",
        settings={},
    )
    with pytest.raises(CacheMiss, match=r"article 'a-1', step 's'.*`make record PROMPT=<version>`"):
        cache.for_article("text", "a-1").extract(
            [{"role": "user", "content": "x"}], _Answer, step="s", usage=Usage(), max_tokens=10
        )


def test_cache_key_covers_article_and_prompt(tmp_path):
    made = []

    def make():  # type: ignore[no-untyped-def]
        made.append(1)
        return _FakeBackend()

    def ask(prompt_hash: str, article: str) -> None:
        c = CachingBackend(
            make,
            name="fake",
            model="m",
            store=DirectoryStore(tmp_path),
            mode="use",
            prompt_hash=prompt_hash,
            settings={"temperature": 0.0},
        )
        c.for_article(article).extract(
            [{"role": "user", "content": "x"}], _Answer, step="s", usage=Usage(), max_tokens=10
        )

    ask("h1", "article one")
    ask("h1", "article one")  # hit
    ask("h2", "article one")  # new prompt hash: miss
    ask("h1", "article two")  # new article: miss
    assert len(_cache_files(tmp_path)) == 3


def test_cache_creates_the_inner_backend_once(tmp_path):
    made = []

    def make():  # type: ignore[no-untyped-def]
        made.append(1)
        return _FakeBackend()

    cache = CachingBackend(
        make, name="fake", model="m", store=DirectoryStore(tmp_path), mode="off", prompt_hash="h", settings={}
    )
    for article in ("a", "b", "c"):
        cache.for_article(article).extract(
            [{"role": "user", "content": article}], _Answer, step="s", usage=Usage(), max_tokens=10
        )
    assert len(made) == 1


def test_resume_after_a_cut_off_line_asks_each_article_once(tmp_path):
    with ScriptedServer(responder=responder_for(GOOD)) as srv:
        settings = Settings(
            backend="openai", base_url=srv.base_url, model="scripted", max_reasks=0, transport_retries=0, timeout_s=5
        )
        out = tmp_path / "run"

        def run() -> dict:
            return run_eval(
                RunOptions(
                    golden=TINY_GOLDEN,
                    out=out,
                    prompt_version=PROMPT,
                    settings=settings,
                    cache_mode="off",
                    concurrency=1,
                    progress=False,
                )
            )

        run()
        lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
        # interrupted while writing the third row
        (out / "results.jsonl").write_text("\n".join(lines[:2]) + "\n" + lines[2][:40], encoding="utf-8")
        n = len(srv.requests)
        run()
        assert len(srv.requests) == n + 1  # the cut-off article runs again: right
        run()
        assert len(srv.requests) == n + 1  # ...but only once


def test_resume_retries_articles_that_failed(tmp_path):
    good = responder_for(GOOD)
    down = {"harbour": True}

    def respond(body):  # type: ignore[no-untyped-def]
        if down["harbour"] and "Operation Harbour" in json.dumps(body["messages"]):
            return Step(status=500)
        return good(body)

    with ScriptedServer(responder=respond) as srv:
        out = tmp_path / "run"
        rc, _, err = run_cli(eval_run_argv(srv.base_url, out, None, "--no-cache"))
        assert rc == 0, err
        assert _summary(out)["errors"] == 1  # harbour failed (HTTP 500, no transport retry)
        down["harbour"] = False
        n = len(srv.requests)
        rc, _, err = run_cli(eval_run_argv(srv.base_url, out, None, "--no-cache"))
        assert rc == 0, err
        assert len(srv.requests) == n + 1  # only harbour is asked again
        assert _summary(out)["errors"] == 0

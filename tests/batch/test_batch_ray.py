"""`opsum batch --engine ray` on a local two-CPU Ray cluster (started once for the module) against
the scripted OpenAI-compatible server on 127.0.0.1; one run on the embedded model (`-m model`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

from service.batch.store import ShardStore
from tests.batch.helpers import FAIL_MARKER, article, batch_argv, corpus, parse, stored_rows, write_corpus
from tests.batch.test_batch_local import arrests, healed
from tests.support.scripted_server import ScriptedServer

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.ray


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def run(argv: list[str]) -> int:
    args = parse(argv)
    return int(args.func(args))


def test_ray_writes_every_id_once_records_failures_and_resumes(
    tmp_path: Path, out: Path, server: ScriptedServer
) -> None:
    records = [
        *corpus(6),
        {"id": "empty", "text": ""},
        {"id": "broken", "text": article(9, FAIL_MARKER.split()[-1])},
    ]
    src = write_corpus(tmp_path / "c.jsonl", records)
    argv = batch_argv(src, out, server.base_url, "--engine", "ray", "--workers", "2", "--shard-size", "2")
    assert run(argv) == 3
    rows = {r["id"]: r for r in stored_rows(out)}
    assert sorted(rows) == sorted(r["id"] for r in records)
    assert all(arrests(rows[f"a{i:03d}"]) == i for i in range(1, 7))
    assert rows["empty"]["error_type"] == "EmptyArticle"
    assert rows["broken"]["error_type"] == "BackendUnavailable"
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["engine"], manifest["workers"], manifest["done"], manifest["failed"]) == ("ray", 2, 6, 2)
    assert len(manifest["per_worker"]) == 2  # both actors of the pool took shards
    assert {w["worker"] for w in manifest["per_worker"]} == {r["worker"] for r in rows.values()}

    calls = len(server.requests)
    server.responder = healed
    assert run([*argv, "--retry-failed"]) == 2  # the empty article stays bad input
    assert len(server.requests) == calls + 1  # only the failed article went to the model again
    rows_list = stored_rows(out)
    assert sorted(r["id"] for r in rows_list) == sorted(r["id"] for r in records)
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["engine"], manifest["done"], manifest["failed"], manifest["processed"]) == ("ray", 7, 1, 2)


def test_ray_resumes_after_an_interruption(
    tmp_path: Path, out: Path, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = write_corpus(tmp_path / "c.jsonl", corpus(8))
    argv = batch_argv(src, out, server.base_url, "--engine", "ray", "--workers", "2", "--shard-size", "2")
    real_write = ShardStore.write

    def killed_after_one(self: ShardStore, table: pa.Table, *, run: int, seq: int) -> Path:
        if seq > 1:
            raise KeyboardInterrupt
        return real_write(self, table, run=run, seq=seq)

    monkeypatch.setattr(ShardStore, "write", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        run(argv)
    first = {r["id"] for r in stored_rows(out)}
    assert len(first) == 2
    monkeypatch.setattr(ShardStore, "write", real_write)
    server.requests.clear()
    assert run(argv) == 0
    rows = stored_rows(out)
    assert sorted(r["id"] for r in rows) == [f"a{i:03d}" for i in range(1, 9)]
    redone = {m for body in server.requests for m in first if f"Lantern{int(m[1:])} " in json.dumps(body)}
    assert not redone  # the shard written before the interruption was not summarised again


@pytest.mark.model
def test_ray_on_the_embedded_model(tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSUM_BACKEND", "embedded")
    monkeypatch.setenv("OPSUM_N_THREADS", "2")
    records = [{"id": f"m{i}", "text": article(n)} for i, n in enumerate((3, 12, 40))]
    src = write_corpus(tmp_path / "c.jsonl", records)
    args = parse(["batch", str(src), "--out", str(out), "--engine", "ray", "--workers", "1", "--quiet"])
    assert int(args.func(args)) == 0
    rows = {r["id"]: r for r in stored_rows(out)}
    assert sorted(rows) == ["m0", "m1", "m2"]
    for rid, n in (("m0", 3), ("m1", 12), ("m2", 40)):
        assert rows[rid]["error"] is None and json.loads(rows[rid]["meta"])["backend"] == "embedded"
        # the small model may miss a count, but never states one the article does not
        assert arrests(rows[rid]) in (None, n)
    manifest = json.loads((out / "manifest.json").read_text())
    print(json.dumps({k: manifest[k] for k in ("wall_s", "articles_per_s", "prompt_tokens", "completion_tokens")}))


def test_eval_run_on_ray_scores_like_the_local_pool(tmp_path: Path) -> None:
    from tests.evals.conftest import eval_run_argv, run_cli
    from tests.evals.helpers import GOOD, responder_for

    with ScriptedServer(responder=responder_for(GOOD)) as good:
        rc, _, err = run_cli(eval_run_argv(good.base_url, tmp_path / "local", tmp_path / "cache-local"))
        assert rc == 0, err
        rc, _, err = run_cli(
            eval_run_argv(
                good.base_url, tmp_path / "ray", tmp_path / "cache-ray", "--engine", "ray", "--concurrency", "2"
            )
        )
        assert rc == 0, err
    local = json.loads((tmp_path / "local" / "summary.json").read_text())
    on_ray = json.loads((tmp_path / "ray" / "summary.json").read_text())
    for key in ("articles", "numeric_accuracy", "entity_f1", "seizure_f1", "relevance_accuracy", "llm_calls"):
        assert on_ray[key] == local[key], key
    assert on_ray["cache"]["misses"] == local["cache"]["misses"] > 0  # every call went through each actor's cache
    assert len(list((tmp_path / "cache-ray").rglob("*.json"))) == local["cache"]["misses"]

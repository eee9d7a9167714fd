"""`opsum batch` on the local engine against the scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.batch.inputs import read_corpus
from service.batch.run import OutputMismatch
from service.batch.store import ShardStore
from service.errors import ArticleTooLong, BackendUnavailable, EmptyArticle, InvalidArticle
from service.inputs import check_article, decode_article
from tests.batch.helpers import (
    FAIL_MARKER,
    article,
    batch_argv,
    corpus,
    parse,
    responder,
    stored_rows,
    write_corpus,
)
from tests.support.scripted_server import ScriptedServer, Step


def run(argv: list[str]) -> int:
    args = parse(argv)
    return int(args.func(args))


def arrests(row: dict) -> int | None:
    summary = json.loads(row["summary"])
    return summary["arrests"]["value"] if summary["arrests"] else None


def test_every_id_is_written_once_with_its_own_summary(tmp_path: Path, out: Path, server: ScriptedServer) -> None:
    records = corpus(7)
    src = write_corpus(tmp_path / "c.jsonl", records)
    assert run(batch_argv(src, out, server.base_url, "--workers", "3", "--shard-size", "2")) == 0
    rows = stored_rows(out)
    assert sorted(r["id"] for r in rows) == [r["id"] for r in records]
    for row in rows:  # each row carries the summary of its own article, not a neighbour's
        assert arrests(row) == int(row["id"][1:])
        assert row["error"] is None and row["prompt_version"] == "v1-schema-fill" and row["prompt_hash"]
        assert json.loads(row["meta"])["llm_calls"] == 1 and row["latency_ms"] > 0
    assert len(list((out / "shards").glob("*.parquet"))) == 4  # ceil(7 / 2)
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["engine"], manifest["workers"], manifest["articles"]) == ("local", 3, 7)
    assert (manifest["done"], manifest["failed"], manifest["skipped"], manifest["processed"]) == (7, 0, 0, 7)
    assert manifest["prompt_tokens"] == 7 * 300 and manifest["completion_tokens"] == 7 * 40
    assert sum(w["articles"] for w in manifest["per_worker"]) == 7 and manifest["articles_per_s"] > 0


def test_a_second_run_redoes_nothing(tmp_path: Path, out: Path, server: ScriptedServer) -> None:
    src = write_corpus(tmp_path / "c.jsonl", corpus(4))
    assert run(batch_argv(src, out, server.base_url)) == 0
    calls = len(server.requests)
    assert run(batch_argv(src, out, server.base_url)) == 0
    assert len(server.requests) == calls
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["done"], manifest["skipped"], manifest["processed"]) == (4, 4, 0)
    # a grown corpus: only the new articles run
    src = write_corpus(tmp_path / "c.jsonl", corpus(6))
    assert run(batch_argv(src, out, server.base_url)) == 0
    assert len(server.requests) == calls + 2
    assert sorted(r["id"] for r in stored_rows(out)) == [f"a{i:03d}" for i in range(1, 7)]


def test_an_interrupted_run_loses_only_the_shard_in_flight(
    tmp_path: Path, out: Path, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = write_corpus(tmp_path / "c.jsonl", corpus(9))
    real_write = ShardStore.write
    written: list[Path] = []

    def killed_after_two(self: ShardStore, table: pa.Table, *, run: int, seq: int) -> Path:
        if len(written) == 2:
            (self.dir / ".half-written.tmp").write_bytes(b"PAR1 cut off")  # what a kill mid-write leaves
            raise KeyboardInterrupt
        written.append(real_write(self, table, run=run, seq=seq))
        return written[-1]

    monkeypatch.setattr(ShardStore, "write", killed_after_two)
    with pytest.raises(KeyboardInterrupt):
        run(batch_argv(src, out, server.base_url, "--workers", "1", "--shard-size", "3"))
    assert len(stored_rows(out)) == 6
    monkeypatch.setattr(ShardStore, "write", real_write)
    calls = len(server.requests)
    assert run(batch_argv(src, out, server.base_url, "--workers", "1", "--shard-size", "3")) == 0
    assert len(server.requests) - calls == 3  # only the lost shard ran again
    rows = stored_rows(out)
    assert sorted(r["id"] for r in rows) == [f"a{i:03d}" for i in range(1, 10)]
    assert not list((out / "shards").glob(".*"))


def _expected(exc: type[Exception], fn, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(exc) as info:
        fn(*args)
    return str(info.value)


def test_bad_rows_are_recorded_with_the_cli_messages(
    tmp_path: Path, out: Path, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPSUM_MAX_CHARS", "400")
    long_text = article(5) + " More words." * 40
    not_utf8 = b'{"id": "latin1", "text": "Polic\xeda detuvo a 3 personas"}\n'
    lines = [
        json.dumps({"id": "good", "text": article(3)}).encode() + b"\n",
        json.dumps({"id": "empty", "text": "   \n"}).encode() + b"\n",
        json.dumps({"id": "long", "text": long_text}).encode() + b"\n",
        json.dumps({"id": "nul", "text": "a\u0000b" * 20}).encode() + b"\n",
        not_utf8,
        b"{not json\n",
        json.dumps({"text": "no id here"}).encode() + b"\n",
    ]
    src = tmp_path / "bad.jsonl"
    src.write_bytes(b"".join(lines))
    assert run(batch_argv(src, out, server.base_url)) == 2
    rows = {r["id"]: r for r in stored_rows(out)}
    assert rows["good"]["error"] is None and arrests(rows["good"]) == 3
    assert rows["empty"]["error"] == _expected(EmptyArticle, check_article, "   \n", 400)
    assert rows["long"]["error"] == _expected(ArticleTooLong, check_article, long_text, 400)
    assert rows["nul"]["error"] == _expected(InvalidArticle, decode_article, ("a\u0000b" * 20).encode())
    assert rows["latin1"]["error"] == _expected(InvalidArticle, decode_article, "Polic\xeda".encode("latin-1"))
    assert "not valid JSON" in rows["bad.jsonl:line 6"]["error"]
    assert "`id`" in rows["bad.jsonl:line 7"]["error"]
    assert len(server.requests) == 1  # only the good article reached the model
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["done"], manifest["failed"]) == (1, 6)
    assert manifest["errors"]["EmptyArticle"] == 1 and manifest["errors"]["BadRecord"] == 2


def healed(body: dict) -> Step:
    """The scripted server once it works again: it answers the failing article too."""
    return responder({"messages": json.loads(json.dumps(body["messages"]).replace(FAIL_MARKER, "Operation Mended"))})


def test_a_failing_backend_fails_rows_and_a_retry_replaces_them(
    tmp_path: Path, out: Path, server: ScriptedServer
) -> None:
    records = corpus(4) + [{"id": "broken", "text": article(8, FAIL_MARKER.split()[-1])}]
    src = write_corpus(tmp_path / "c.jsonl", records)
    assert run(batch_argv(src, out, server.base_url, "--shard-size", "2")) == 3
    rows = {r["id"]: r for r in stored_rows(out)}
    assert rows["broken"]["error_type"] == "BackendUnavailable" and "500" in rows["broken"]["error"]
    assert all(rows[r["id"]]["error"] is None for r in records[:4])
    calls = len(server.requests)
    assert run(batch_argv(src, out, server.base_url)) == 3  # without --retry-failed: nothing is redone
    assert len(server.requests) == calls
    server.responder = healed
    assert run(batch_argv(src, out, server.base_url, "--retry-failed")) == 0
    assert len(server.requests) == calls + 1
    rows_list = stored_rows(out)
    assert sorted(r["id"] for r in rows_list) == sorted(r["id"] for r in records)  # each id once
    assert {r["id"]: r for r in rows_list}["broken"]["error"] is None


def test_an_unreachable_backend_stops_the_run_before_any_row(tmp_path: Path, out: Path) -> None:
    src = write_corpus(tmp_path / "c.jsonl", corpus(2))
    with pytest.raises(BackendUnavailable, match="cannot reach"):
        run(batch_argv(src, out, "http://127.0.0.1:9/v1"))
    assert stored_rows(out) == []


def test_another_prompt_version_needs_another_folder(tmp_path: Path, out: Path, server: ScriptedServer) -> None:
    src = write_corpus(tmp_path / "c.jsonl", corpus(1))
    assert run(batch_argv(src, out, server.base_url)) == 0
    argv = batch_argv(src, out, server.base_url)
    argv[argv.index("--prompt") + 1] = "v2-mined-mentions"
    with pytest.raises(OutputMismatch, match="new --out"):
        run(argv)


def test_parquet_and_datasets_inputs_give_the_same_rows(tmp_path: Path) -> None:
    import datasets

    records = corpus(3) + [{"id": 7, "title": None, "text": "Seven."}]
    jsonl = read_corpus(write_corpus(tmp_path / "c.jsonl", records))
    table = pa.Table.from_pylist([{**r, "id": str(r["id"])} for r in records])
    pq.write_table(table, tmp_path / "c.parquet")
    datasets.Dataset(table).save_to_disk(str(tmp_path / "ds"))
    assert read_corpus(tmp_path / "c.parquet") == jsonl
    assert read_corpus(tmp_path / "ds") == jsonl
    assert [r.id for r in jsonl] == ["a001", "a002", "a003", "7"]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_any_text_reaches_the_worker_as_its_utf8_bytes(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = write_corpus(tmp_path_factory.mktemp("h") / "c.jsonl", [{"id": "x", "text": text}])
    (row,) = read_corpus(path)
    try:
        expected = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: it must be refused as not UTF-8, as the CLI does
        with pytest.raises(InvalidArticle):
            decode_article(row.text or b"")
    else:
        assert row.text == expected

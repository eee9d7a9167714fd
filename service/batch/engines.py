"""Engines: how the rows to do become output shards. `local` is here; `ray` is in ray_engine.py.

An engine gets the rows to do, already cut into shards (pyarrow tables of id, text, title, error,
error_type), and hands each finished shard (a pyarrow table of OUTPUT_SCHEMA) to `emit` as soon as it
is complete; the caller writes it atomically. Rows of a shard that is not complete when the run is
killed are lost and done again by the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Literal, Protocol

import pyarrow as pa

from service.batch.inputs import InputRow
from service.batch.worker import OUTPUT_SCHEMA, RowSummariser, WorkerSpec

__all__ = ["Engine", "EngineName", "INPUT_SCHEMA", "shard_tables", "run_local"]

EngineName = Literal["local", "ray"]

INPUT_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("text", pa.binary()),
        ("title", pa.string()),
        ("error", pa.string()),
        ("error_type", pa.string()),
    ]
)

Emit = Callable[[pa.Table], None]


class Engine(Protocol):
    def __call__(self, shards: list[pa.Table], spec: WorkerSpec, *, workers: int, emit: Emit) -> None: ...


def shard_tables(rows: list[InputRow], shard_size: int) -> list[pa.Table]:
    """The rows to do, cut into input shards of at most `shard_size` rows."""
    tables = []
    for start in range(0, len(rows), shard_size):
        chunk = rows[start : start + shard_size]
        tables.append(
            pa.Table.from_pylist(
                [
                    {"id": r.id, "text": r.text, "title": r.title, "error": r.error, "error_type": r.error_type}
                    for r in chunk
                ],
                schema=INPUT_SCHEMA,
            )
        )
    return tables


def _rows(shards: list[pa.Table]) -> Iterator[tuple[int, dict[str, Any]]]:
    for n, table in enumerate(shards):
        for row in table.to_pylist():
            yield n, row


def run_local(
    shards: list[pa.Table],
    spec: WorkerSpec,
    *,
    workers: int,
    emit: Emit,
    summariser: RowSummariser | None = None,
) -> None:
    """Summarise in this process: `workers` threads share one backend (1 for the embedded model).

    A sliding window keeps `workers` articles in flight across shard boundaries; a shard is
    emitted once all its rows are back, in the order shards complete.
    """
    work = summariser or RowSummariser(spec)
    sizes = [t.num_rows for t in shards]
    pending: dict[int, list[dict[str, Any]]] = {}
    todo = _rows(shards)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="batch") as pool:
        in_flight: dict[Future[dict[str, Any]], int] = {}

        def submit_next() -> bool:
            nxt = next(todo, None)
            if nxt is None:
                return False
            shard, row = nxt
            in_flight[pool.submit(work, row["id"], row["text"], row["title"], row["error"], row["error_type"])] = shard
            return True

        for _ in range(workers):
            if not submit_next():
                break
        while in_flight:
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                shard = in_flight.pop(future)
                pending.setdefault(shard, []).append(future.result())
                if len(pending[shard]) == sizes[shard]:
                    emit(pa.Table.from_pylist(pending.pop(shard), schema=OUTPUT_SCHEMA))
                submit_next()

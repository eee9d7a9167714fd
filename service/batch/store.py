"""The output folder: parquet shards written atomically, and the state of every id derived from them.

`DIR/shards/run-RRRR-SSSSSS.parquet` holds the rows of one shard of run RRRR. A shard is written to a
hidden temporary file and renamed into place, so a killed run leaves only whole shards (its
temporaries are removed by the next run). An id retried in a later run supersedes its earlier
row: the older shard is rewritten without it, so every id ends up in exactly one shard.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from service.batch.worker import OUTPUT_SCHEMA

__all__ = ["ShardStore", "RowState"]

_NAME = re.compile(r"^run-(\d{4,})-(\d{6,})\.parquet$")


@dataclass(frozen=True)
class RowState:
    id: str
    ok: bool
    run: int
    shard: str
    prompt_hash: str


class ShardStore:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.dir = out / "shards"

    def prepare(self) -> None:
        """Create the folder, drop the temporaries of a killed run and rows superseded by a later run."""
        self.dir.mkdir(parents=True, exist_ok=True)
        for tmp in self.dir.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)
        self.drop_superseded()

    def shards(self) -> list[Path]:
        return sorted(p for p in self.dir.glob("run-*.parquet") if _NAME.match(p.name)) if self.dir.is_dir() else []

    def next_run(self) -> int:
        runs = [int(m.group(1)) for p in self.shards() if (m := _NAME.match(p.name))]
        return max(runs, default=0) + 1

    def write(self, table: pa.Table, *, run: int, seq: int) -> Path:
        """One shard, atomically (temporary file + rename)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        target = self.dir / f"run-{run:04d}-{seq:06d}.parquet"
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".", suffix=".tmp")
        os.close(fd)
        try:
            pq.write_table(table.cast(OUTPUT_SCHEMA), tmp)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return target

    def _index(self) -> list[tuple[Path, pa.Table]]:
        return [(p, pq.read_table(p, columns=["id", "error", "run", "prompt_hash"])) for p in self.shards()]

    def states(self) -> dict[str, RowState]:
        """The winning row of every id: the one of the latest run (a retry supersedes a failure)."""
        return _winners(self._index())

    def drop_superseded(self) -> int:
        """Rewrite shards that still hold a row some later shard superseded; returns rows dropped."""
        index = self._index()
        winners = _winners(index)
        dropped = 0
        for path, ids in index:
            keep = [winners[i].shard == path.name for i in ids.column("id").to_pylist()]
            if all(keep):
                continue
            dropped += keep.count(False)
            if any(keep):
                table = pq.read_table(path).filter(pa.array(keep))
                fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".", suffix=".tmp")
                os.close(fd)
                pq.write_table(table, tmp)
                os.replace(tmp, path)
            else:
                path.unlink()
        return dropped

    def read_rows(self, columns: list[str] | None = None) -> list[dict[str, Any]]:
        """Every stored row (after `drop_superseded`, one per id)."""
        rows: list[dict[str, Any]] = []
        for path in self.shards():
            rows.extend(pq.read_table(path, columns=columns).to_pylist())
        return rows


def _winners(index: list[tuple[Path, pa.Table]]) -> dict[str, RowState]:
    best: dict[str, RowState] = {}
    for path, table in index:
        for id_, error, run, prompt_hash in zip(
            *(table.column(c).to_pylist() for c in ("id", "error", "run", "prompt_hash")), strict=True
        ):
            state = RowState(id=id_, ok=error is None, run=run, shard=path.name, prompt_hash=prompt_hash)
            current = best.get(id_)
            if current is None or (state.run, state.shard) > (current.run, current.shard):
                best[id_] = state
    return best

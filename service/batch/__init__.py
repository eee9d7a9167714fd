"""`opsum batch`: summarise a corpus into resumable parquet shards, locally or on Ray Data.

inputs.py reads the corpus (JSONL, parquet, a `datasets` folder); worker.py is the per-row work
(decode, check, summarise, one output row, never an exception); store.py keeps the shards (atomic
writes, done ids derived from them); engines.py runs the rows locally, ray_engine.py on Ray Data;
run.py ties them together and writes the manifest; cli.py is the `opsum batch` face.
"""

from __future__ import annotations

from service.batch.run import BatchOptions, run_batch

__all__ = ["BatchOptions", "run_batch"]

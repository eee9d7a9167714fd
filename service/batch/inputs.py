"""Reading a corpus: JSON Lines, parquet, or a `datasets` folder (saved with `save_to_disk`).

Every record becomes an `InputRow` whose text is kept as bytes, so that the worker decodes and
checks it exactly as `opsum summarise` does a file (same messages). A line that is not a JSON
object with an id is kept as a row with an error, never a crash of the run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.errors import OpsumError

__all__ = ["InputRow", "CorpusError", "read_corpus", "unique_rows"]


class CorpusError(OpsumError, ValueError):
    """The corpus as a whole cannot be read (missing, unknown format, no id/text column)."""


@dataclass(frozen=True)
class InputRow:
    id: str
    text: bytes | None
    title: str | None = None
    error: str | None = None  # the record itself could not be read
    error_type: str | None = None


def _text_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    text = str(value)
    try:
        return text.encode("utf-8", "surrogateescape")  # undecodable bytes of the file, restored
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")  # a lone surrogate escape: invalid UTF-8, refused later


def _title(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _record(record: Any, where: str) -> InputRow:
    if not isinstance(record, dict) or record.get("id") in (None, ""):
        return InputRow(
            id=where,
            text=None,
            error=f'{where}: not a record with an `id` (expected {{"id": ..., "text": ..., "title": ...}})',
            error_type="BadRecord",
        )
    return InputRow(id=str(record["id"]), text=_text_bytes(record.get("text")), title=_title(record.get("title")))


def _jsonl(path: Path) -> Iterator[InputRow]:
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            where = f"{path.name}:line {n}"
            try:
                record = json.loads(raw.decode("utf-8", "surrogateescape"))
            except json.JSONDecodeError as exc:
                yield InputRow(
                    id=where, text=None, error=f"{where}: not valid JSON ({exc.msg})", error_type="BadRecord"
                )
                continue
            yield _record(record, where)


def _table_rows(table: Any, source: str) -> Iterator[InputRow]:
    names = set(table.column_names)
    if not {"id", "text"} <= names:
        raise CorpusError(f"{source} has columns {sorted(names)}; it needs `id` and `text` (and optionally `title`)")
    columns = ["id", "text"] + (["title"] if "title" in names else [])
    for n, record in enumerate(table.select(columns).to_pylist()):
        yield _record(record, f"{source}:row {n}")


def _dataset_folder(path: Path) -> Any:
    import datasets

    loaded = datasets.load_from_disk(str(path))
    if isinstance(loaded, datasets.DatasetDict):
        splits = list(loaded)
        if len(splits) != 1:
            raise CorpusError(f"{path} holds the splits {splits}; give the folder of one split")
        loaded = loaded[splits[0]]
    return loaded.data.table


def read_corpus(path: Path) -> list[InputRow]:
    """Every record of the corpus, in order (ids may repeat: see `unique_rows`)."""
    if not path.exists():
        raise CorpusError(f"no such corpus: {path}")
    if path.is_dir():
        if not any((path / marker).is_file() for marker in ("dataset_info.json", "dataset_dict.json", "state.json")):
            raise CorpusError(f"{path} is a folder but not a `datasets` dataset (saved with save_to_disk)")
        return list(_table_rows(_dataset_folder(path), path.name))
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return list(_table_rows(pq.read_table(path), path.name))
    return list(_jsonl(path))


def unique_rows(rows: list[InputRow]) -> tuple[list[InputRow], int]:
    """The first row of every id, and how many later rows repeated an id (they are ignored)."""
    seen: set[str] = set()
    kept: list[InputRow] = []
    for row in rows:
        if row.id not in seen:
            seen.add(row.id)
            kept.append(row)
    return kept, len(rows) - len(kept)

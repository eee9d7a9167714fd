"""Where the response cache keeps its entries: a small key-value interface and two stores.

- `DirectoryStore`: one JSON file per LLM call under `<dir>/<key[:2]>/<key>.json` (reviewable in
  git; the committed `golden/cache/` is one).
- `SqliteStore`: one SQLite file (stdlib `sqlite3`) for large runs, where a file per call would be
  millions of files. Safe for the runner's threads; every put is its own transaction.

`open_store(path, kind)` picks one: `kind="auto"` means SQLite for a path ending in `.sqlite`
(`.sqlite3`, `.db`), a directory otherwise; `kind="sqlite"` with a folder uses
`<folder>/responses.sqlite`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, Protocol

__all__ = ["ResponseStore", "DirectoryStore", "SqliteStore", "open_store", "StoreKind"]

StoreKind = Literal["auto", "dir", "sqlite"]


class ResponseStore(Protocol):
    """A key → JSON-object store. `get` returns None for an absent key."""

    location: Path

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, entry: dict[str, Any]) -> None: ...

    def keys(self) -> Iterator[str]: ...


class DirectoryStore:
    def __init__(self, directory: Path) -> None:
        self.location = directory

    def _path(self, key: str) -> Path:
        return self.location / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self._path(key)
        if not path.is_file():
            return None
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def put(self, key: str, entry: dict[str, Any]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(entry, fh, ensure_ascii=False, indent=1, sort_keys=True)
        os.replace(tmp, path)  # atomic: a reader sees the old entry or the new one, never half

    def keys(self) -> Iterator[str]:
        if self.location.is_dir():
            for path in sorted(self.location.glob("??/*.json")):
                yield path.stem


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.location = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, entry TEXT NOT NULL)")

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT entry FROM responses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        data: dict[str, Any] = json.loads(row[0])
        return data

    def put(self, key: str, entry: dict[str, Any]) -> None:
        text = json.dumps(entry, ensure_ascii=False, sort_keys=True)
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO responses (key, entry) VALUES (?, ?)", (key, text))

    def keys(self) -> Iterator[str]:
        with self._lock:
            rows = self._db.execute("SELECT key FROM responses ORDER BY key").fetchall()
        for (key,) in rows:
            yield key

    def close(self) -> None:
        with self._lock:
            self._db.close()


_SQLITE_SUFFIXES = {".sqlite", ".sqlite3", ".db"}


def open_store(path: Path, kind: StoreKind = "auto") -> ResponseStore:
    if kind == "auto":
        kind = "sqlite" if path.suffix in _SQLITE_SUFFIXES else "dir"
    if kind == "sqlite":
        if path.suffix not in _SQLITE_SUFFIXES:
            path = path / "responses.sqlite"
        return SqliteStore(path)
    return DirectoryStore(path)

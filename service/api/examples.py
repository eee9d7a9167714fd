"""Example articles for the page: the golden file's articles, read once with plain `json`.

`golden/golden.jsonl` (SPEC §3) when it exists; otherwise the `golden/articles/` folder next to
it (`<id>.txt`, titled by `<id>.labels.json`); otherwise none. A broken line is skipped with a
warning: the page must come up whatever state the golden set is in.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Example", "load_examples"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Example:
    id: str
    title: str
    text: str

    def brief(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "chars": len(self.text)}


def _from_jsonl(path: Path, limit: int) -> list[Example]:
    out: list[Example] = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, 1):
            if len(out) >= limit:
                break
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text = row["text"]
                example_id = str(row.get("id") or f"line-{number}")
                title = str(row.get("title") or example_id)
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                log.warning("%s:%d: skipped, not a golden article (%s)", path, number, type(exc).__name__)
                continue
            if isinstance(text, str) and text.strip():
                out.append(Example(id=example_id, title=title, text=text))
    return out


def _title_of(txt: Path, text: str) -> str:
    labels = txt.with_name(txt.stem + ".labels.json")
    if labels.is_file():
        try:
            title = json.loads(labels.read_text(encoding="utf-8")).get("title")
            if isinstance(title, str) and title.strip():
                return title.strip()
        except (OSError, json.JSONDecodeError, AttributeError):
            pass
    first = next((line.strip() for line in text.splitlines() if line.strip()), txt.stem)
    return first[:140]


def _from_folder(folder: Path, limit: int) -> list[Example]:
    out: list[Example] = []
    for txt in sorted(folder.glob("*.txt"))[:limit]:
        try:
            text = txt.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            log.warning("%s: skipped, not readable UTF-8 text", txt)
            continue
        if text.strip():
            out.append(Example(id=txt.stem, title=_title_of(txt, text), text=text))
    return out


def load_examples(path: Path, limit: int) -> list[Example]:
    """Up to `limit` examples; an empty list when there is no golden set."""
    if limit <= 0:
        return []
    try:
        if path.is_file():
            return _from_jsonl(path, limit)
        folder = path.parent / "articles"
        if folder.is_dir():
            return _from_folder(folder, limit)
    except OSError as exc:
        log.warning("no examples for the page: cannot read %s (%s)", path, exc)
    return []

"""Build golden/golden.jsonl from the reviewable sources in golden/articles/.

Each article is two files: `<id>.txt` (the text, exactly as published) and `<id>.labels.json`
(id, split, title, source, labels, lenient, notes). `split` is `dev` (for tuning rules and prompts)
or `test` (for reporting only); a labels file without one is `dev`. Run `python golden/build.py` after editing either;
`--check` exits 1 if golden.jsonl is out of date (the test suite runs it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARTICLES = HERE / "articles"
OUT = HERE / "golden.jsonl"
SEED_ID = "mozaik-2023"
SPLITS = ("dev", "test")


def build() -> str:
    lines = []
    ids = sorted(p.name[: -len(".labels.json")] for p in ARTICLES.glob("*.labels.json"))
    ids.sort(key=lambda i: (i != SEED_ID, i))  # the founding article first
    for article_id in ids:
        meta = json.loads((ARTICLES / f"{article_id}.labels.json").read_text(encoding="utf-8"))
        if meta.get("id") != article_id:
            raise SystemExit(f"{article_id}.labels.json: id {meta.get('id')!r} does not match its file name")
        split = meta.get("split", "dev")
        if split not in SPLITS:
            raise SystemExit(f"{article_id}.labels.json: split {split!r} is not one of {', '.join(SPLITS)}")
        text = (ARTICLES / f"{article_id}.txt").read_text(encoding="utf-8")
        record = {
            "id": article_id,
            "split": split,
            "title": meta.get("title"),
            "text": text,
            "source": meta.get("source"),
            "labels": meta["labels"],
            "lenient": meta.get("lenient") or {},
            "notes": meta.get("notes", ""),
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if golden.jsonl is out of date")
    args = parser.parse_args()
    content = build()
    if args.check:
        if not OUT.is_file() or OUT.read_text(encoding="utf-8") != content:
            print(f"{OUT} is out of date: run python golden/build.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(content, encoding="utf-8")
    print(f"wrote {OUT} ({content.count(chr(10))} articles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

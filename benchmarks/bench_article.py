"""Time `Article.from_text` on 100 000-character articles of several shapes (run: python benchmarks/bench_article.py)."""

from __future__ import annotations

import time
from pathlib import Path

from service.article import Article

SEED = (Path(__file__).resolve().parents[1] / "golden" / "articles" / "mozaik-2023.txt").read_text(encoding="utf-8")
SHAPES = {
    "golden text repeated": (SEED + "\n\n") * 25,
    "bullet lines": ("\n- the" * 16600)[:99900] + "\n" + "b" * 50,
    "repeated words": "seized police arrested " * 4400,
    "long digit runs": ("9" * 5000 + " ") * 19,
    "no spaces": "ab" * 50_000,
    "dense numbers": "Police seized 1,200 kg, arrested 39 suspects and €14 million. " * 1600,
}


def main() -> None:
    Article.from_text(SEED)  # compile the patterns once
    for name, shape in SHAPES.items():
        text = shape[:100_000]
        started = time.perf_counter()
        Article.from_text(text)
        print(f"{name:24s} {len(text):7d} chars  {time.perf_counter() - started:6.3f} s")


if __name__ == "__main__":
    main()

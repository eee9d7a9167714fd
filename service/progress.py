"""The one progress bar of the long-running commands (`opsum batch`, `opsum eval run`): tqdm on stderr."""

from __future__ import annotations

import sys

from tqdm import tqdm

__all__ = ["progress_bar"]


def progress_bar(total: int, *, initial: int, enabled: bool) -> tqdm:
    """A bar over `total` articles, `initial` of them done; when not `enabled`, tqdm's own no-op bar."""
    return tqdm(total=total, initial=initial, unit="article", file=sys.stderr, dynamic_ncols=True, disable=not enabled)

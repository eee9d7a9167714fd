"""Prompt strategies: how a prompt version turns an article into an `OperationSummary`.

A prompt version names its strategy in `meta.toml`; each strategy is a `run(ctx)` function.
"""

from __future__ import annotations

from collections.abc import Callable

from service.schema import OperationSummary
from service.strategies import mined_mentions, schema_fill
from service.strategies.common import RunContext

__all__ = ["STRATEGIES", "RunContext"]

STRATEGIES: dict[str, Callable[[RunContext], OperationSummary]] = {
    "schema_fill": schema_fill.run,
    "mined_mentions": mined_mentions.run,
}

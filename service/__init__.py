"""opsum's service: article in, grounded `OperationSummary` out.

The public API is small; everything else is a private module behind it:

    from service import Summariser, Settings, OperationSummary
    result = Summariser(Settings()).summarise(text)      # result.summary, result.meta

Names are imported lazily so that `opsum --help` does not pay for the LLM stack.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["OperationSummary", "Settings", "Summariser", "SummaryResult", "OpsumError"]

_WHERE = {
    "OperationSummary": "service.schema",
    "Settings": "service.settings",
    "Summariser": "service.summarise",
    "SummaryResult": "service.summarise",
    "OpsumError": "service.errors",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'service' has no attribute {name!r}")

"""The HTTP face of opsum: `create_app(settings, service_settings, summariser=None)`.

Imports are lazy, so that `opsum` (which imports `service.api.cli` to register `serve`) stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from service.api.app import create_app
    from service.api.settings import ServiceSettings

__all__ = ["create_app", "ServiceSettings"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from service.api.app import create_app

        return create_app
    if name == "ServiceSettings":
        from service.api.settings import ServiceSettings

        return ServiceSettings
    raise AttributeError(f"module 'service.api' has no attribute {name!r}")

"""Backends behind one small interface (`service.backends.base.Backend`)."""

from __future__ import annotations

from service.backends.base import Backend, Usage
from service.settings import Settings

__all__ = ["Backend", "Usage", "make_backend", "describe_backend"]


def make_backend(settings: Settings) -> Backend:
    """The backend the settings name; the embedded model is loaded here, once."""
    if settings.backend == "openai":
        from service.backends.openai_compat import OpenAIBackend

        return OpenAIBackend(settings)
    from service.backends.embedded import EmbeddedBackend

    return EmbeddedBackend(settings)


def describe_backend(settings: Settings) -> tuple[str, str]:
    """(backend name, model name) for the settings, without loading or contacting anything."""
    if settings.backend == "openai":
        return "openai", settings.model or "gpt-4o-mini"
    from service.model_store import DEFAULT_MODEL

    return "embedded", settings.model_path.stem if settings.model_path else DEFAULT_MODEL.name

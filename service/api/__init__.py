"""The HTTP face of opsum: `create_app(settings, service_settings, summariser=None)`."""

from service.api.app import create_app
from service.api.settings import ServiceSettings

__all__ = ["create_app", "ServiceSettings"]

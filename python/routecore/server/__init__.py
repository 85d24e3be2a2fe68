"""The OpenAI/Anthropic-compatible HTTP gateway (``routecore serve``)."""

from routecore.server.app import Gateway, create_app
from routecore.server.settings import ServerSettings, TenantKey

__all__ = ["Gateway", "ServerSettings", "TenantKey", "create_app"]

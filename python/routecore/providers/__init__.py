"""Provider adapters: one per wire format, all yielding normalised Deltas."""

from routecore.providers.anthropic import AnthropicProvider
from routecore.providers.base import ChatRequest, Provider
from routecore.providers.config import Deployment, Secret
from routecore.providers.openai import OpenAIProvider
from routecore.providers.transport import ClientPool, PoolLimits

ADAPTERS: dict[str, type[Provider]] = {"openai": OpenAIProvider, "anthropic": AnthropicProvider}

__all__ = [
    "ADAPTERS",
    "AnthropicProvider",
    "ChatRequest",
    "ClientPool",
    "Deployment",
    "OpenAIProvider",
    "PoolLimits",
    "Provider",
    "Secret",
]

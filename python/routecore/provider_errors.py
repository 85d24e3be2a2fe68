"""Typed provider failures. What the resilience layers do with a failure is a property of its
type (class attributes below), decided once when the adapter classifies the HTTP status and the
structured error fields; nothing downstream looks at message text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from routecore.errors import RouteError

if TYPE_CHECKING:
    from routecore.completion import Attempt


class ProviderError(RouteError):
    """Base of every failure of the provider layer. ``status`` and ``error_code`` are what the
    upstream said; ``status_code``/``code`` are what a gateway answers its own client."""

    status_code: ClassVar[int] = 502
    code: ClassVar[str] = "provider_error"
    kind: ClassVar[str] = "server"  # error-kind string reported to the health sink
    retryable: ClassVar[bool] = False  # the same deployment may succeed if asked again later
    fallback: ClassVar[bool] = True  # another candidate may succeed
    health_failure: ClassVar[bool] = True  # evidence that the deployment is unhealthy

    def __init__(self, message: str, *, model: str | None = None, status: int | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.model = model
        self.status = status
        self.error_code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, model={self.model!r}, status={self.status!r})"


class ConnectFailed(ProviderError):
    """No response: refused, reset or dropped before the status line."""

    kind = "connect"
    retryable = True


class StreamBroken(ProviderError):
    """The response started and then the connection broke or the body ended early."""

    kind = "connect"
    retryable = True


class ProviderTimeout(ProviderError, TimeoutError):
    kind = "timeout"
    retryable = True


class FirstTokenTimeout(ProviderTimeout):
    """No useful token (content or tool-call delta) within the first-token timeout."""


class TotalTimeout(ProviderTimeout):
    """The request deadline passed while the answer was still streaming."""


class ServerError(ProviderError):
    kind = "server"
    retryable = True


class RateLimited(ProviderError):
    kind = "rate_limited"
    retryable = True

    def __init__(self, message: str, *, retry_after_s: float | None = None, model: str | None = None,
                 status: int | None = None, code: str | None = None) -> None:
        super().__init__(message, model=model, status=status, code=code)
        self.retry_after_s = retry_after_s


class QuotaExhausted(RateLimited):
    """429 that waiting will not cure (e.g. OpenAI ``insufficient_quota``): move on, do not retry."""

    retryable = False


class BadResponse(ProviderError):
    """A 2xx whose body is not what the wire format promises (malformed JSON, wrong content type)."""

    kind = "bad_response"
    retryable = True


class ContextWindowExceeded(ProviderError):
    """The prompt does not fit this model; only a model with a larger window can help."""

    kind = "context_window"
    health_failure = False


class ContentPolicyRefusal(ProviderError):
    """The provider refused on policy grounds; only the configured alternative may be tried."""

    kind = "content_policy"
    health_failure = False


class ClientError(ProviderError):
    """The request itself is invalid (4xx): no other deployment will accept it either."""

    kind = "client"
    fallback = False
    health_failure = False


class DeploymentMisconfigured(ProviderError):
    """401/403/404: this deployment's key, permissions or model name are wrong; others may work."""

    kind = "auth"  # counts against the deployment: every request to it will fail alike


class Cancelled(ProviderError):
    """The attempt was stopped by us (lost a hedge race, caller went away)."""

    kind = "cancelled"
    fallback = False
    health_failure = False


class AllProvidersFailed(ProviderError):
    """Every candidate failed or none fitted the deadline; ``attempts`` holds them in order."""

    code = "all_providers_failed"
    kind = "server"
    fallback = False

    def __init__(self, message: str, attempts: Sequence[Attempt], *, deadline_exceeded: bool = False,
                 last_error: ProviderError | None = None) -> None:
        super().__init__(message)
        self.attempts: tuple[Attempt, ...] = tuple(attempts)
        self.deadline_exceeded = deadline_exceeded
        self.last_error = last_error

    def __str__(self) -> str:
        tried = ", ".join(f"{a.model}:{a.error_kind or a.outcome}" for a in self.attempts)
        return f"{self.message} [{tried}]"

    def __repr__(self) -> str:
        return f"AllProvidersFailed({str(self)!r}, deadline_exceeded={self.deadline_exceeded})"

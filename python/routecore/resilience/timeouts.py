"""The timeout layer: first *useful* token, then the total deadline, on loop time.

Timeouts wrap each read with ``asyncio.timeout_at`` rather than spawning a task per read: it costs
a timer handle, and a timed-out read cancels the adapter's generator, which closes its connection.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable

from routecore.completion import Delta
from routecore.provider_errors import (
    ContentPolicyRefusal,
    FirstTokenTimeout,
    ProviderError,
    TotalTimeout,
)
from routecore.resilience.deadline import timeout_at


async def until_useful(gen: AsyncGenerator[Delta, None], first_token_at: float,
                       model: str) -> list[Delta]:
    """Read until the first content/tool-call delta and return everything read so far (ending
    with it). A stream that ends without one is returned whole (an empty answer), unless it ended
    as a refusal, which is a failure the fallback layer can route around."""
    head: list[Delta] = []
    try:
        async with timeout_at(first_token_at):
            async for d in gen:
                head.append(d)
                if d.useful:
                    return head
    except ProviderError:
        raise
    except TimeoutError:
        raise FirstTokenTimeout("no useful token before the first-token timeout", model=model) from None
    if any(d.finish_reason == "content_filter" for d in head):
        raise ContentPolicyRefusal("refused by the provider's content filter", model=model)
    return head


async def follow(gen: AsyncGenerator[Delta, None], deadline_at: float,
                 model: str) -> AsyncIterator[Delta]:
    """Continue a committed stream, bounding every read by the call's deadline."""
    while True:
        try:
            async with timeout_at(deadline_at):
                d = await anext(gen)
        except StopAsyncIteration:
            return
        except ProviderError:
            raise
        except TimeoutError:
            raise TotalTimeout("deadline passed while streaming", model=model) from None
        yield d


async def drain(gen: AsyncGenerator[Delta, None], deadline_at: float, model: str,
                sink: Callable[[Delta], None]) -> None:
    """Read a committed stream to its end in this task under one timer (``follow`` needs a timer
    per read because its caller runs between reads; here nobody does, so one suffices)."""
    try:
        async with timeout_at(deadline_at):
            async for d in gen:
                sink(d)
    except ProviderError:
        raise
    except TimeoutError:
        raise TotalTimeout("deadline passed while streaming", model=model) from None

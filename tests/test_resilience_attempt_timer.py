"""One timer for an attempt's head and the rest (resilience/attempt_timer.py), as
``until_useful(..., timer)`` + ``drain(..., timer)`` use it in ``Dispatcher.complete``: the same
verdicts as two ``asyncio.timeout_at``, and the task's cancellation count left as it was."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import pytest

from routecore.completion import Delta
from routecore.provider_errors import FirstTokenTimeout, TotalTimeout
from routecore.resilience.attempt_timer import AttemptTimer
from routecore.resilience.timeouts import drain, until_useful


async def _gen(first_s: float, then_s: list[float]) -> AsyncGenerator[Delta, None]:
    await asyncio.sleep(first_s)
    yield Delta(content="a")
    for s in then_s:
        await asyncio.sleep(s)
        yield Delta(content="b")


async def _read(first_s: float, then_s: list[float], first_token_s: float,
                total_s: float) -> list[Delta]:
    loop = asyncio.get_running_loop()
    now = loop.time()
    timer = AttemptTimer(loop, now + first_token_s)
    gen = _gen(first_s, then_s)
    out = await until_useful(gen, now + first_token_s, "m", timer)
    await drain(gen, now + total_s, "m", out.append, timer)
    return out


def test_the_rest_may_run_past_the_first_token_deadline() -> None:
    async def main() -> None:
        out = await _read(0.0, [0.08, 0.08], first_token_s=0.05, total_s=2.0)
        assert [d.content for d in out] == ["a", "b", "b"]
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0

    asyncio.run(main())


def test_total_deadline_is_a_total_timeout() -> None:
    async def main() -> None:
        with pytest.raises(TotalTimeout):
            await _read(0.0, [0.05, 1.0], first_token_s=0.03, total_s=0.15)
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0

    asyncio.run(main())


def test_first_token_deadline_is_a_first_token_timeout() -> None:
    async def main() -> None:
        with pytest.raises(FirstTokenTimeout):
            await _read(1.0, [], first_token_s=0.05, total_s=2.0)
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0

    asyncio.run(main())


def test_first_token_deadline_equal_to_the_total_ends_the_rest() -> None:
    async def main() -> None:
        with pytest.raises(TotalTimeout):
            await _read(0.0, [1.0], first_token_s=0.05, total_s=0.05)

    asyncio.run(main())


def test_an_outside_cancellation_stays_a_cancellation() -> None:
    async def main() -> None:
        task = asyncio.create_task(_read(0.0, [1.0], first_token_s=0.02, total_s=2.0))
        await asyncio.sleep(0.1)  # past the first-token deadline: the timer re-armed
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())


def test_fired_between_reads_it_cancels_nothing() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        timer = AttemptTimer(loop, loop.time() + 0.01)
        await asyncio.sleep(0.05)  # not reading: the expiry is only noted
        assert timer.expired
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0
        timer.then(loop.time() + 1.0)  # handed over late: a fresh timer for the total deadline
        assert not timer.expired
        timer.close()

    asyncio.run(main())

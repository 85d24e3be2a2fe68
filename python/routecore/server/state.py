"""The config a request runs on. A reload builds a new `Generation` and swaps one reference; each
request holds the generation it started with, so in-flight work finishes on its own config, and
the old router's connections close once its last request has left."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from routecore.observe.hook import Observer
from routecore.router import Router


@dataclass(eq=False, slots=True)
class Generation:
    router: Router
    number: int
    source: str  # where the config came from (a path or "embedded"), for /ready and logs
    active: int = 0
    retired: bool = False
    _closing: set[asyncio.Task[None]] = field(default_factory=set)

    def enter(self) -> Generation:
        self.active += 1
        return self

    def leave(self) -> None:
        self.active -= 1
        if self.retired and self.active == 0:
            self._close()

    def retire(self) -> None:
        self.retired = True
        if self.active == 0:
            self._close()

    def _close(self) -> None:
        try:
            task = asyncio.get_running_loop().create_task(self.router.aclose())
        except RuntimeError:  # no loop (tests swapping outside one): nothing was opened
            return
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


class Current:
    """Holder of the serving generation; `swap` is a single assignment (atomic under asyncio).
    The gateway's observers (metrics, records) follow every new router."""

    def __init__(self, first: Generation, observers: Sequence[Observer] = ()) -> None:
        self.observers = tuple(observers)
        for o in self.observers:
            first.router.add_observer(o)
        self.gen = first

    def swap(self, router: Router, source: str) -> Generation:
        for o in self.observers:
            router.add_observer(o)
        old = self.gen
        self.gen = Generation(router, old.number + 1, source)
        old.retire()
        return self.gen

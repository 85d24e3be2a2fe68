"""Sliding-window counters shared by the breaker and the hedge budget."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass(slots=True)
class SlidingCounts:
    """Counts in fixed buckets over a sliding window (O(1) per event, bounded memory)."""

    span_s: float
    buckets: int = 10
    slots: deque[tuple[int, int, int]] = field(default_factory=deque)  # (bucket id, ok, errors)

    def add(self, now: float, ok: bool) -> None:
        bid = int(now * self.buckets / self.span_s)
        if self.slots and self.slots[-1][0] == bid:
            b, o, e = self.slots[-1]
            self.slots[-1] = (b, o + ok, e + (not ok))
        else:
            self.slots.append((bid, int(ok), int(not ok)))
        self._trim(bid)

    def totals(self, now: float) -> tuple[int, int]:
        self._trim(int(now * self.buckets / self.span_s))
        return sum(s[1] for s in self.slots), sum(s[2] for s in self.slots)

    def _trim(self, bid: int) -> None:
        while self.slots and self.slots[0][0] <= bid - self.buckets:
            self.slots.popleft()

    def clear(self) -> None:
        self.slots.clear()

"""Pre-bound Prometheus children for per-request updates.

prometheus_client's ``inc()`` checks that the metric is a labelled child, checks the amount and
takes the value's lock; ``Histogram.observe()`` does that for the sum and again for the bucket,
which it finds with a Python loop over the bounds. ~0.4 µs per counter and ~1.1 µs per histogram
update, a dozen updates per gateway request. A cell does the same arithmetic on the child's own
value objects (so scrapes, ``get_sample_value`` and the exposition format are unchanged, and so
are the values: the same float additions in the same order) without the checks the binding
already made and without the lock.

The lock is what guards concurrent *writers* in different threads. Every writer here is an
observer or a handler on one event loop (as the rest of `RouterMetrics`' state — KPIs, the
request-id map — already assumes); a scrape in another thread only reads a float, which is
atomic. In prometheus_client's multiprocess mode values live in shared files, not in ``_value``:
cells then call the child's own methods.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

# Private internals of prometheus_client (0.20-0.26 checked by tests/test_observe_cells.py): a
# release that renames them must cost speed, not correctness, so every use below falls back
# to the child's public methods when one is missing.
try:
    from prometheus_client.values import MutexValue
except ImportError:  # pragma: no cover - depends on the installed prometheus_client
    MutexValue = None  # type: ignore[assignment,misc]

__all__ = ["CounterCell", "HistogramCell"]

_NEGATIVE = "Counters can only be incremented by non-negative amounts."


def _check_observable(child: Any) -> None:
    check = getattr(child, "_raise_if_not_observable", None)
    if check is not None:
        check()


class CounterCell:
    """``inc(amount)`` on one labelled `Counter` child (or an unlabelled counter)."""

    __slots__ = ("_child", "_value")

    def __init__(self, child: Any) -> None:
        _check_observable(child)  # what inc() checks on every call, checked once
        self._child = child
        v = getattr(child, "_value", None)
        self._value: MutexValue | None = v if MutexValue is not None and type(v) is MutexValue else None

    def inc(self, amount: float = 1) -> None:
        if amount < 0:
            raise ValueError(_NEGATIVE)
        v = self._value
        if v is None:
            self._child.inc(amount)
        else:
            v._value += amount


class HistogramCell:
    """``observe(amount)`` on one labelled `Histogram` child: the sum, and the first bucket whose
    upper bound is >= amount (the bounds end with +Inf; a NaN lands in none, as in
    prometheus_client)."""

    __slots__ = ("_bounds", "_buckets", "_child", "_sum")

    def __init__(self, child: Any) -> None:
        _check_observable(child)
        self._child = child
        s, buckets = getattr(child, "_sum", None), getattr(child, "_buckets", None) or []
        bounds = getattr(child, "_upper_bounds", None) or []
        fast = (
            MutexValue is not None
            and type(s) is MutexValue
            and len(buckets) == len(bounds) > 0
            and all(type(b) is MutexValue for b in buckets)
        )
        self._sum: MutexValue | None = s if fast else None
        self._buckets: list[MutexValue] = buckets
        self._bounds: list[float] = list(bounds)

    def observe(self, amount: float) -> None:
        s = self._sum
        if s is None:
            self._child.observe(amount)
            return
        s._value += amount
        if amount == amount:  # not NaN
            self._buckets[bisect_left(self._bounds, amount)]._value += 1

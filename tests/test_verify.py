"""Output verification and rollback logic."""

from __future__ import annotations

import logging

import pytest

from routecore.verify import OutputVerifier, RollbackTracker


def test_verifier_follows_response_format_and_refusals() -> None:
    v = OutputVerifier()
    assert v.verify('{"a": 1}', {"type": "json_object"}).ok
    bad = v.verify("here you go: {a: 1}", {"type": "json_object"})
    assert not bad.ok and bad.failures[0].startswith("json:")
    schema = {
        "type": "json_schema",
        "json_schema": {"name": "x", "schema": {"type": "object", "required": ["id"]}},
    }
    assert v.verify('{"id": 3}', schema).ok
    assert "schema violation" in v.verify('{"name": 3}', schema).failures[0]
    assert not v.verify("I'm sorry, but I can't help with that.").ok
    assert v.verify("Sure, here it is.").ok
    assert v.verify(None, {"type": "json_object"}, has_tool_calls=True).ok
    custom = OutputVerifier.from_specs([{"type": "contains", "value": "order"}, lambda t: len(t) < 50])
    assert custom.verify("your order shipped").ok
    assert len(custom.verify("x" * 60).failures) == 2


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_rollback_and_return(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    changes: list[tuple[str, str, bool]] = []
    tr = RollbackTracker(
        threshold=0.05,
        window_s=60,
        min_requests=20,
        safer={"code/2": "claude-sonnet-4"},
        clock=clock,
        on_change=lambda r, m, b: changes.append((r, m, b)),
        probe_every=10,
    )
    for i in range(40):
        clock.t += 0.1
        tr.record("code/2", "gpt-4o", failed=i % 10 == 0)  # 10%: over the 5% threshold
    assert tr.rolled_back == {"code/2": "gpt-4o"}
    with caplog.at_level(logging.WARNING, logger="routecore.verify"):
        picks = [tr.model_for("code/2", "gpt-4o") for _ in range(30)]
    assert picks.count("claude-sonnet-4") == 27 and picks.count("gpt-4o") == 3  # probes
    assert tr.model_for("other/1", "gpt-4o") == "gpt-4o"  # other routes unaffected
    # Probes succeed and the old failures age out: the route returns.
    for _ in range(50):
        clock.t += 1.5
        tr.record("code/2", "gpt-4o", failed=False)
    assert tr.rolled_back == {}
    assert changes == [("code/2", "gpt-4o", True), ("code/2", "gpt-4o", False)]
    assert tr.transitions == 2


def test_quiet_route_returns_when_failures_age_out() -> None:
    clock = Clock()
    tr = RollbackTracker(threshold=0.05, window_s=10, min_requests=5, safer={"*": "safe"}, clock=clock)
    for _ in range(5):
        tr.record("r", "m", failed=True)
    assert tr.model_for("r", "m") == "safe"
    clock.t = 100.0
    assert tr.model_for("r", "m") == "m" and tr.rolled_back == {}


def test_small_samples_do_not_trigger() -> None:
    tr = RollbackTracker(min_requests=20)
    for _ in range(19):
        tr.record("r", "m", failed=True)
    assert tr.rolled_back == {}

"""Output verification in `Router.complete` / `Router.stream`: JSON-schema failure → re-ask →
success, escalation to the next tier, giving up with a typed error, rollback of a persistently
failing model and its return on recovery, verification of a stream at its end, custom checks.
The real Router over the mock provider on loopback sockets."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

import routecore
from routecore.enforce import enforcement, events
from routecore.enforce.flow import REASK_PROMPT
from routecore.errors import VerificationFailedError
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario
from test_enforce_guards import complete, config, mock, streamed

__all__ = ["mock"]

SCHEMA = {"type": "json_schema", "json_schema": {"name": "person", "schema": {
    "type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"]}}}
GOOD = '{"name": "Ada", "age": 36}'
BAD = '{"name": "Ada", "age": "old"}'
ASK = "Return the person as JSON."


def router(mock: MockProvider, **verification: Any) -> routecore.Router:
    return routecore.Router(config(mock.url, verification=verification))


def recorded() -> tuple[list[events.Event], Any]:
    seen: list[events.Event] = []
    return seen, events.subscribe(seen.append)


def test_schema_failure_reasks_once_then_succeeds(mock: MockProvider) -> None:
    mock.program("alpha", Scenario(text=GOOD, first_text=BAD, first_text_n=1))
    seen, unsubscribe = recorded()
    try:
        c = complete(router(mock), ASK, response_format=SCHEMA)
    finally:
        unsubscribe()
    assert json.loads(c.content) == {"name": "Ada", "age": 36}
    assert [a.model for a in c.attempts] == ["alpha", "alpha"]
    assert any("failed json_schema; reask" in r for r in c.decision.reasons), c.decision.reasons
    reask = (mock.stats("alpha").last_messages or [])[-1]["content"]
    assert reask.startswith(REASK_PROMPT.split(":")[0])
    v = [(e.ok, e.next_step) for e in seen if isinstance(e, events.VerificationResult)]
    assert v == [(False, "reask"), (True, "accept")]


def test_escalates_to_the_next_tier_when_the_reask_fails_too(mock: MockProvider) -> None:
    mock.program("alpha", Scenario(text=BAD))
    mock.program("gamma", Scenario(text=GOOD))
    c = complete(router(mock), ASK, response_format=SCHEMA)
    assert c.model == "gamma" and c.decision.tier == 1
    assert [a.model for a in c.attempts] == ["alpha", "alpha", "gamma"]
    assert any("failed json_schema; escalate to T1" in r for r in c.decision.reasons)


def test_on_failure_escalate_skips_the_reask(mock: MockProvider) -> None:
    mock.program("alpha", Scenario(text="not json at all"))
    mock.program("gamma", Scenario(text=GOOD))
    c = complete(router(mock, on_failure="escalate"), ASK, response_format={"type": "json_object"})
    assert [a.model for a in c.attempts] == ["alpha", "gamma"]
    assert mock.stats("alpha").requests == 1


def test_every_tier_failing_raises_typed_error_with_the_last_answer(mock: MockProvider) -> None:
    mock.program(None, Scenario(text=BAD))
    with pytest.raises(VerificationFailedError) as e:
        complete(router(mock), ASK, response_format=SCHEMA)
    err = e.value
    assert err.failures == ("json_schema",) and err.status_code == 502 and err.retryable
    assert err.completion is not None and err.completion.model == "gamma"


def test_no_check_applies_without_response_format(mock: MockProvider) -> None:
    mock.program("alpha", Scenario(text="plain words"))
    c = complete(router(mock), "hello")
    assert [a.model for a in c.attempts] == ["alpha"]


def test_persistent_failure_rolls_back_then_returns_on_recovery(
        mock: MockProvider, caplog: pytest.LogCaptureFixture) -> None:
    # alpha answers bad JSON three times, then recovers; beta is the configured safer choice.
    mock.program("alpha", Scenario(text=GOOD, first_text="nope", first_text_n=3))
    mock.program("beta", Scenario(text=GOOD))
    r = router(mock, on_failure="accept", min_samples=3, window_s=0.5, probe_every=1000,
               rollback_to={"alpha": "beta"})
    rf = {"type": "json_object"}
    caplog.set_level(logging.INFO, logger="routecore.verify")
    seen, unsubscribe = recorded()
    try:
        first = [complete(r, ASK, response_format=rf) for _ in range(3)]
        assert [c.model for c in first] == ["alpha"] * 3
        assert any("failed json; accepted" in x for x in first[0].decision.reasons)
        rolled = complete(r, ASK, response_format=rf)
        assert rolled.model == "beta"
        assert any(x.startswith("rollback: alpha is rolled back on T0/") for x in rolled.decision.reasons)
        time.sleep(0.6)  # alpha's failures age out of the window: traffic returns to it
        back = complete(r, ASK, response_format=rf)
        assert back.model == "alpha" and json.loads(back.content) == {"name": "Ada", "age": 36}
    finally:
        unsubscribe()
    t = [(e.model, e.rolled_back, e.target) for e in seen if isinstance(e, events.RollbackTransition)]
    assert t == [("alpha", True, "beta"), ("alpha", False, "beta")]
    assert "rolled back from alpha" in caplog.text and "returned to alpha" in caplog.text
    assert enforcement(r).trackers[0].transitions == 2


def test_rollback_without_a_configured_target_goes_a_tier_up(mock: MockProvider) -> None:
    mock.program("alpha", Scenario(text="nope"))
    r = router(mock, on_failure="accept", min_samples=2, probe_every=1000)
    for _ in range(2):
        complete(r, ASK, response_format={"type": "json_object"})
    c = complete(r, ASK, response_format={"type": "json_object"})
    assert c.model == "gamma" and c.decision.tier == 1


def test_stream_is_verified_at_its_end(mock: MockProvider) -> None:
    mock.program("alpha", Scenario(text=BAD))
    chunks, s = streamed(router(mock), ASK, response_format=SCHEMA)
    text = "".join(ch["choices"][0]["delta"].get("content") or "" for ch in chunks if ch["choices"])
    assert text == BAD  # delivered as produced: a stream cannot be taken back
    assert s.verdict is not None and not s.verdict.ok
    assert any("streamed answer from alpha failed json_schema" in r for r in s.decision.reasons)
    assert enforcement_rate(s) > 0


def enforcement_rate(s: Any) -> float:
    tracker = s._verify.trackers[s.decision.tier]
    return float(tracker.failure_rate(f"T{s.decision.tier}/{s.decision.capability}", "alpha"))


def test_custom_check_runs_on_every_answer(mock: MockProvider) -> None:
    mock.program("alpha", Scenario(text="the answer is 41", first_text_n=0))
    mock.program("gamma", Scenario(text="the answer is 42"))
    r = router(mock, on_failure="escalate")
    enforcement(r).add_check(lambda text: "42" in text)
    c = complete(r, "what is six times seven?")
    assert c.content.strip() == "the answer is 42" and c.model == "gamma"


def mentions_42(text: str) -> bool:
    """A custom check named in config (`verification.custom`)."""
    return "42" in text


def test_custom_check_and_refusal_check_from_config(mock: MockProvider) -> None:
    mock.program("alpha", Scenario(text="I'm sorry, I cannot help with that"))
    mock.program("gamma", Scenario(text="fine"))
    r = router(mock, on_failure="escalate", checks=["refusal"],
               custom=["test_enforce_verification:mentions_42"])
    with pytest.raises(VerificationFailedError) as e:
        complete(r, "hello")
    # The last answer (gamma's) is no refusal but fails the custom check.
    assert e.value.failures == ("custom[0]",)
    assert e.value.completion is not None and e.value.completion.model == "gamma"
    first = e.value.completion.decision.reasons
    assert any("answer from alpha (T0) failed refusal, custom[0]; escalate to T1" in x for x in first), first

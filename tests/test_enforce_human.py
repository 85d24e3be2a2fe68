"""Human escalation (issue #6): when every allowed try failed output verification on a
high-stakes route, the redacted case reaches a callable (from the API or from config) and a
webhook (a real HTTP server on loopback) — and only then; the caller still gets its typed error."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import routecore
from provider_support import run
from routecore.enforce import enforcement
from routecore.enforce.escalation import HumanCase
from routecore.errors import VerificationFailedError
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario
from test_enforce_guards import config, mock

__all__ = ["mock"]

EMAIL = "jane.canary@example.org"
ASK = f"Return the customer as JSON. Contact: {EMAIL}"
SCHEMA = {"type": "json_schema", "json_schema": {"name": "c", "schema": {
    "type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}}}
BAD = '{"nom": "Ada"}'
FROM_CONFIG: list[HumanCase] = []


def collect(case: HumanCase) -> None:
    """The `"module:function"` receiver named in config."""
    FROM_CONFIG.append(case)


def fail_everywhere(router: routecore.Router, mock: MockProvider) -> VerificationFailedError:
    mock.program(None, Scenario(text=BAD))

    async def go() -> VerificationFailedError:
        try:
            await router.complete(ASK, response_format=SCHEMA)
        except VerificationFailedError as e:
            await enforcement(router).human.drain()
            return e
        finally:
            await router.aclose()
        raise AssertionError("verification should have failed")
    return run(go())


@pytest.fixture()
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    got: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}/hook", got
    finally:
        srv.shutdown()
        srv.server_close()


def test_high_stakes_failure_reaches_a_person_redacted(
        mock: MockProvider, webhook: tuple[str, list[dict[str, Any]]]) -> None:
    url, posted = webhook
    r = routecore.Router(config(mock.url, verification={"high_stakes": ["T1"], "human_escalation": url}))
    seen: list[HumanCase] = []

    async def receiver(case: HumanCase) -> None:  # async receivers are awaited
        seen.append(case)
    r.on_human_escalation(receiver)
    err = fail_everywhere(r, mock)
    assert err.failures == ("json_schema",)
    assert len(seen) == 1 and len(posted) == 1
    case = seen[0]
    assert case.tier == 1 and case.model == "gamma" and case.failures == ("json_schema",)
    assert case.request_id == str(err.completion.decision.request_id)
    assert case.messages[-1]["role"] == "user" and "[EMAIL]" in case.messages[-1]["content"]
    assert EMAIL not in json.dumps(posted) and EMAIL not in repr(case)
    assert posted[0]["request_id"] == case.request_id and posted[0]["answer"] == BAD
    assert any("handed to a person" in x for x in err.completion.decision.reasons)


def test_config_callable_and_only_on_high_stakes_routes(mock: MockProvider) -> None:
    FROM_CONFIG.clear()
    target = f"{__name__}:collect"
    low = routecore.Router(config(mock.url, verification={"high_stakes": ["creative"],
                                                          "human_escalation": target}))
    fail_everywhere(low, mock)
    assert FROM_CONFIG == []  # an extraction request on T0/T1 is not a high-stakes route
    high = routecore.Router(config(mock.url, verification={"high_stakes": ["T0", "T1"],
                                                           "human_escalation": target}))
    fail_everywhere(high, mock)
    assert len(FROM_CONFIG) == 1 and FROM_CONFIG[0].failures == ("json_schema",)


def test_a_failing_receiver_never_changes_the_callers_error(
        mock: MockProvider, caplog: pytest.LogCaptureFixture) -> None:
    r = routecore.Router(config(mock.url, verification={"high_stakes": ["T1"],
                                                        "human_escalation": "http://127.0.0.1:9/closed"}))

    def broken(case: HumanCase) -> None:
        raise RuntimeError(case.answer)
    r.on_human_escalation(broken)
    err = fail_everywhere(r, mock)
    assert err.failures == ("json_schema",)
    assert "receiver failed: RuntimeError" in caplog.text
    assert "webhook failed" in caplog.text
    assert BAD not in caplog.text  # the exception's text (the answer) is not logged

"""Issue 6, "Logs": canary secrets and PII planted in prompts, request metadata, headers and
provider error bodies must not appear in anything the router writes — logs (every logger, at
DEBUG), decision records, OpenTelemetry spans, Prometheus metrics — while the requests still
succeed or fail as they should. Runs the real gateway on loopback with the real OpenAI SDK."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import openai
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from routecore.observe.otel import OtelObserver
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario
from test_server_support import ADMIN, KEYS, PROVIDER_KEY, mock, start

__all__ = ["mock"]

# Each canary is of a type the redactor knows; the fragment is what must never be seen.
CANARIES = {
    "email": "canary.leak@example.org",
    "openai_key": "sk-proj-Zq7CANARYv2Xw9LmT4bN8cR1sK5pY3hJ6dF0gA",
    "github_token": "ghp_Yk4CANARYq8Rt2Vn6Lp0Zs3Xc7Bm1Wd5Hj9Gf",
    "card": "4111 1111 1111 1111",
    "iban": "DE89370400440532013000",
    "phone": "+1 415 555 0134",
}
PROMPT = ("Please update my account: email {email}, card {card}, IBAN {iban}, phone {phone}; "
          "my key is {openai_key} and my token {github_token}.").format(**CANARIES)
# A provider error that echoes the prompt back, as real providers' validation errors do.
ECHOING_ERROR = "invalid request: could not parse " + PROMPT


def _fragments() -> list[str]:
    return [*CANARIES.values(), PROVIDER_KEY, KEYS["acme"], ADMIN,
            "Zq7CANARYv2Xw9", "Yk4CANARYq8Rt2", "0532013000", "555 0134"]


def _assert_clean(where: str, text: str) -> None:
    leaked = [f for f in _fragments() if f in text]
    assert not leaked, f"{where} leaks {leaked}"


def test_no_canary_reaches_logs_records_spans_or_metrics(
        mock: MockProvider, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    mock.reset()
    records = tmp_path / "records.jsonl"
    srv = start(mock, records_path=str(records))
    exporter = InMemorySpanExporter()
    tracer = TracerProvider()
    tracer.add_span_processor(SimpleSpanProcessor(exporter))
    srv.app.current.gen.router.add_observer(OtelObserver(tracer))
    try:
        c = openai.OpenAI(base_url=srv.url + "/v1", api_key=KEYS["acme"], max_retries=0)
        msgs = [{"role": "system", "content": f"Customer contact: {CANARIES['email']}"},
                {"role": "user", "content": PROMPT}]
        # 1. The primary fails with an error body echoing the prompt; the fallback answers.
        mock.program("alpha", Scenario(fault="http_error", status=500, error_message=ECHOING_ERROR,
                                       fault_first_n=1))
        ok = c.chat.completions.create(model="auto", messages=msgs,  # type: ignore[arg-type]
                                       user=CANARIES["email"],
                                       metadata={"note": CANARIES["openai_key"]})
        assert ok.choices[0].message.content
        # 2. Every deployment fails the same way: a 5xx whose message must not echo the prompt.
        for m in ("alpha", "beta"):
            mock.program(m, Scenario(fault="http_error", status=400, error_message=ECHOING_ERROR))
        with pytest.raises(openai.APIStatusError) as failed:
            c.chat.completions.create(model="auto", messages=msgs)  # type: ignore[arg-type]
        _assert_clean("the error returned to the client", failed.value.response.text)
        mock.reset()
        # 3. A streamed request, and canaries in headers: a wrong API key and a bad override.
        chunks = list(c.chat.completions.create(model="auto", messages=msgs,  # type: ignore[arg-type]
                                                stream=True))
        assert chunks
        bad_key = httpx.post(srv.url + "/v1/chat/completions", json={"model": "auto", "messages": msgs},
                             headers={"authorization": "Bearer " + CANARIES["openai_key"]})
        assert bad_key.status_code == 401
        bad_header = httpx.post(srv.url + "/v1/chat/completions",
                                json={"model": "auto", "messages": msgs},
                                headers={"authorization": "Bearer " + KEYS["acme"],
                                         "x-routecore-deadline-ms": CANARIES["iban"]})
        assert bad_header.status_code == 422
        metrics = httpx.get(srv.url + "/metrics", headers={"authorization": "Bearer " + ADMIN}).text
    finally:
        srv.stop()  # closes the records sink: everything is on disk

    written = records.read_text(encoding="utf-8")
    rows = [json.loads(line) for line in written.splitlines()]
    assert len(rows) >= 3 and {r["outcome"] for r in rows} >= {"ok", "failed"}
    assert any(a.get("status") == 500 for r in rows for a in r["attempts"])  # the echo was recorded…
    _assert_clean("decision records", written)  # …redacted
    spans = exporter.get_finished_spans()
    assert len(spans) >= 3
    _assert_clean("spans", json.dumps([{"name": s.name, "attrs": dict(s.attributes or {}),
                                        "events": [dict(e.attributes or {}) for e in s.events],
                                        "status": s.status.description} for s in spans], default=str))
    assert "routecore_llm_requests_total" in metrics
    _assert_clean("metrics", metrics)
    assert caplog.records, "the run logged nothing: the log check would prove nothing"
    _assert_clean("logs", caplog.text + "".join(repr(r.args) for r in caplog.records))

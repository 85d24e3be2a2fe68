"""Decision records: written from real calls over loopback, redacted, and explained."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import routecore
from provider_support import make_config, run
from routecore.observe import DecisionRecord, JsonlSink, explain, find_record, iter_records
from routecore.provider_errors import AllProvidersFailed
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario

CANARY_EMAIL = "canary.person@example.com"
CANARY_KEY = "sk-proj-CANARYCANARYCANARYCANARY1234567890ab"
CANARY_TEXT = "zebra-violet-canary-phrase"


@pytest.fixture()
def mock() -> Iterator[MockProvider]:
    os.environ.setdefault("MOCK_KEY", "sk-test-not-a-secret")
    with MockProvider().start() as m:
        yield m


def _router(mock: MockProvider) -> routecore.Router:
    cfg: dict[str, Any] = make_config(mock.url, ["alpha", "beta"])
    cfg["scoring"] = {"thresholds": []}
    return routecore.Router(cfg)


def test_records_from_real_calls_are_complete_and_redacted(mock: MockProvider, tmp_path: Path) -> None:
    mock.program("alpha", Scenario(fault="http_error", status=500))
    router = _router(mock)
    sink = JsonlSink(tmp_path / "records.jsonl")
    prompt = f"{CANARY_TEXT}: my email is {CANARY_EMAIL} and my key is {CANARY_KEY}"

    async def go() -> Any:
        try:
            return await router.complete(prompt, metadata={"note": f"contact {CANARY_EMAIL}"})
        finally:
            await router.aclose()

    c = run(go())
    sink.write(DecisionRecord.from_completion(c, cost_usd=0.001))
    sink.close()
    raw = (tmp_path / "records.jsonl").read_text()
    for canary in (CANARY_EMAIL, CANARY_KEY, CANARY_TEXT):
        assert canary not in raw
    (rec,) = list(iter_records(tmp_path / "records.jsonl"))
    assert rec["request_id"] == c.decision.request_id
    assert rec["served_by"] == "beta" and rec["outcome"] == "ok"
    assert [a["model"] for a in rec["attempts"]] == ["alpha", "beta"]
    assert rec["attempts"][0]["outcome"] == "error"
    assert rec["decision"]["model"] == "alpha" and rec["reasons"]
    assert rec["features"]["input_tokens"] > 0
    assert rec["usage"]["output_tokens"] > 0 and rec["cost_usd"] == 0.001
    assert rec["metadata"] == {"note": "contact [EMAIL]"}
    text = explain(rec)
    assert "served by beta" in text and "1. alpha: error" in text and "why:" in text


def test_failure_record_and_cli_explain(mock: MockProvider, tmp_path: Path) -> None:
    mock.program("alpha", Scenario(fault="http_error", status=503))
    mock.program("beta", Scenario(fault="http_error", status=503))
    router = _router(mock)
    path = tmp_path / "r.jsonl"
    sink = JsonlSink(path)

    async def go() -> None:
        try:
            await router.complete("hello")
        finally:
            await router.aclose()

    with pytest.raises(AllProvidersFailed) as e:
        run(go())
    d = router.route("hello")
    sink.write(DecisionRecord.from_failure(d, e.value, e.value.attempts))
    sink.close()
    rec = find_record(path, d.request_id)
    assert rec is not None and rec["outcome"] == "failed"
    assert rec["error"]["type"] == "AllProvidersFailed"
    p = subprocess.run(
        [sys.executable, "-m", "routecore", "explain", d.request_id, "--records", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    assert "failed: AllProvidersFailed" in p.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "routecore", "explain", "nope", "--records", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 1


def test_full_queue_drops_instead_of_blocking(tmp_path: Path) -> None:
    router = routecore.Router()
    sink = JsonlSink(tmp_path / "x.jsonl", max_queue=1)
    rec = DecisionRecord.from_decision(router.route("hi"))
    for _ in range(2000):
        sink.write(rec)
    sink.close()
    lines = (tmp_path / "x.jsonl").read_text().splitlines()
    assert sink.written == len(lines) and sink.dropped == 2000 - len(lines)
    assert json.loads(lines[0])["request_id"] == rec.request_id

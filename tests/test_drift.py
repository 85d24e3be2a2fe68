"""Drift detection over loopback: a model whose answers go wrong is flagged, a steady one not."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import routecore
from provider_support import make_config, run
from routecore.checks import CheckResult, check_from_spec, is_refusal
from routecore.observe.drift import DriftFinding, DriftMonitor, compare, load_golden, run_golden
from routecore.testing.mock_provider import MockProvider
from routecore.testing.mock_scenario import Scenario

GOLDEN = [
    {
        "id": f"q{i}",
        "prompt": f"What is {i} plus {i}? Answer with the number.",
        "check": {"type": "regex", "value": "^4$"},
    }
    for i in range(12)
]


@pytest.fixture()
def mock() -> Iterator[MockProvider]:
    os.environ.setdefault("MOCK_KEY", "sk-test-not-a-secret")
    with MockProvider().start() as m:
        yield m


def _router(mock: MockProvider) -> routecore.Router:
    cfg: dict[str, Any] = make_config(mock.url, ["steady", "drifting"])
    cfg["scoring"] = {"thresholds": []}
    return routecore.Router(cfg)


def test_monitor_flags_the_drifting_model_only(mock: MockProvider, tmp_path: Path) -> None:
    golden = tmp_path / "golden.jsonl"
    golden.write_text("\n".join(json.dumps(g) for g in GOLDEN))
    prompts = load_golden(golden)
    mock.program("steady", Scenario(text="4"))
    mock.program("drifting", Scenario(text="4"))
    router = _router(mock)
    demoted: list[DriftFinding] = []
    mon = DriftMonitor(router, prompts, baseline_path=tmp_path / "base.json", on_drift=demoted.append)

    async def go() -> tuple[list[DriftFinding], list[DriftFinding]]:
        try:
            first = await mon.run_once()  # becomes the baseline
            mock.program("drifting", Scenario(text="five"))
            second = await mon.run_once()
            return first, second
        finally:
            await router.aclose()

    first, second = run(go())
    assert first == []
    assert json.loads((tmp_path / "base.json").read_text())["drifting"] == {"n": 12, "passed": 12}
    by_model = {f.model: f for f in second}
    assert by_model["drifting"].significant and by_model["drifting"].current_rate == 0.0
    assert not by_model["steady"].significant
    assert [f.model for f in demoted] == ["drifting"]


def test_small_noisy_drop_is_not_significant(caplog: pytest.LogCaptureFixture) -> None:
    from routecore.observe.drift import ModelScore

    now = ModelScore("m", n=10, passed=8)
    assert not compare({"m": {"n": 10, "passed": 9}}, {"m": now})[0].significant
    with caplog.at_level(logging.WARNING, logger="routecore.drift"):
        big = compare({"m": {"n": 200, "passed": 190}}, {"m": ModelScore("m", n=200, passed=120)})
    assert big[0].significant and big[0].p_value < 1e-6
    assert "drift: m pass rate fell" in caplog.text


def test_checks() -> None:
    schema = {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}}
    chk = check_from_spec({"type": "json_schema", "value": schema})
    assert chk('{"a": 3}').ok
    assert chk('```json\n{"a": 3}\n```').ok
    bad = chk('{"a": "x"}')
    assert not bad.ok and "schema violation at a" in bad.reason
    assert "not valid JSON" in chk("{nope").reason
    assert check_from_spec({"type": "exact", "value": "Paris"})("  paris ").ok
    assert not check_from_spec({"type": "contains", "value": "x"})("abc").ok
    assert check_from_spec(lambda t: CheckResult(t == "y"))("y").ok
    assert is_refusal("I'm sorry, but I can't help with that.") and not is_refusal(
        "Sure! I'm sorry to hear that."
    )
    with pytest.raises(ValueError, match="unknown or incomplete check"):
        check_from_spec({"type": "telepathy"})


def test_cli_drift_writes_baseline_then_compares(mock: MockProvider, tmp_path: Path) -> None:
    cfg = make_config(mock.url, ["steady"])
    cfg["scoring"] = {"thresholds": []}
    conf = tmp_path / "rc.json"
    conf.write_text(json.dumps(cfg))
    golden = tmp_path / "g.jsonl"
    golden.write_text("\n".join(json.dumps(g) for g in GOLDEN[:4]))
    mock.program("steady", Scenario(text="4"))
    env = dict(os.environ)
    base = tmp_path / "b.json"
    cmd = [
        sys.executable,
        "-m",
        "routecore",
        "drift",
        str(golden),
        "--config",
        str(conf),
        "--baseline",
        str(base),
    ]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stderr
    assert "4/4" in p.stdout and base.exists()
    base.write_text(json.dumps({"steady": {"n": 400, "passed": 400}}))
    mock.program("steady", Scenario(text="nope"))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 3, p.stdout + p.stderr
    assert "DRIFT steady" in p.stdout


def test_run_golden_counts_provider_failures_and_fallbacks(mock: MockProvider) -> None:
    mock.program("steady", Scenario(fault="http_error", status=500))
    mock.program("drifting", Scenario(text="4"))
    router = _router(mock)
    prompts = load_golden_from(GOLDEN[:2])

    async def go() -> Any:
        try:
            return await run_golden(router, prompts, ["steady"])
        finally:
            await router.aclose()

    scores = run(go())
    assert scores["steady"].n == 2 and scores["steady"].passed == 0
    assert scores["steady"].failures[0][1] == "served by fallback drifting"


def load_golden_from(rows: list[dict[str, Any]]) -> list[Any]:
    from routecore.observe.drift import GoldenPrompt

    return [
        GoldenPrompt(r["id"], [{"role": "user", "content": r["prompt"]}], check_from_spec(r["check"]))
        for r in rows
    ]

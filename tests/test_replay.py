"""Replay: numbers checked against an independent computation on the shared outcome data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import routecore
from route_support import SHARED_DATA
from routecore.replay import format_report, load_dataset, load_jsonl, plot, replay
from routecore.replay.simulate import DEFAULT_OUTPUT_TOKENS

ROOT = Path(__file__).resolve().parents[1]
ROUTELLM = ROOT / "training" / "replay" / "routellm.toml"
STRONG, WEAK = "gpt-4-1106-preview", "mixtral-8x7b-instruct"


def test_gsm8k_replay_matches_independent_computation() -> None:
    router = routecore.Router(ROUTELLM)
    rows = [json.loads(x) for x in (SHARED_DATA / "routellm_outcomes/gsm8k_gpt4_vs_mixtral.jsonl").open()]
    col = {STRONG: "correct_gpt_4_1106_preview", WEAK: "correct_mixtral_8x7b_instruct"}
    prices = {
        m: (v["input_cost_per_1k"] / 1000, v["output_cost_per_1k"] / 1000)
        for m, v in router.config["models"].items()
    }
    quality = cost = 0.0
    cost_strong = cost_weak = oracle_q = 0.0
    for r in rows:
        d = router.route(r["prompt"])
        router.release(d)
        quality += float(r[col[d.model]])
        p_in, p_out = prices[d.model]
        cost += d.input_tokens * p_in + DEFAULT_OUTPUT_TOKENS * p_out
        cost_strong += d.input_tokens * prices[STRONG][0] + DEFAULT_OUTPUT_TOKENS * prices[STRONG][1]
        cost_weak += d.input_tokens * prices[WEAK][0] + DEFAULT_OUTPUT_TOKENS * prices[WEAK][1]
        oracle_q += float(r[col[STRONG]] or r[col[WEAK]])
    n = len(rows)
    result = replay(load_dataset("routellm-gsm8k", SHARED_DATA), router)
    assert result.router.n == n == 1319
    assert result.router.quality == pytest.approx(quality / n)
    assert result.router.cost_usd == pytest.approx(cost)
    # The references are the data's own accuracies (GPT-4 0.857, Mixtral 0.638 per the data README).
    assert result.strongest.name == STRONG and result.strongest.quality == pytest.approx(0.857, abs=5e-4)
    assert result.cheapest.name == WEAK and result.cheapest.quality == pytest.approx(0.638, abs=5e-4)
    assert result.strongest.cost_usd == pytest.approx(cost_strong)
    assert result.cheapest.cost_usd == pytest.approx(cost_weak)
    assert result.oracle.quality == pytest.approx(oracle_q / n)
    # Random at equal cost is the linear mix of the two ends.
    p = (result.router.cost_usd - cost_weak) / (cost_strong - cost_weak)
    assert result.random_equal_cost.quality == pytest.approx((1 - p) * 0.638 + p * 0.857, abs=1e-3)
    # The sweep spans all-weak to (nearly) all-strong: a prompt scored exactly 0 stays below the
    # lowest threshold the config allows above T0/T1, so the top end may miss a record or two.
    costs = [c for _, c, _ in result.curve]
    assert min(costs) == pytest.approx(cost_weak)
    assert cost_strong * 0.99 <= max(costs) <= cost_strong + 1e-9
    assert sum(result.router.tier_mix.values()) == pytest.approx(1.0)


def test_custom_log_with_costs_latency_and_deadlines(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    records = [
        {
            "prompt": "hi",
            "outcomes": {
                "gpt-4o-mini": {"quality": 1, "cost_usd": 0.001, "ttft_ms": 200},
                "llama-3.1-8b-instant": {"quality": 1, "cost_usd": 0.0001, "ttft_ms": 30},
                "qwen2.5-1.5b-local": 0.5,
            },
        },
        {
            "messages": [{"role": "user", "content": "Prove that sqrt(2) is irrational, step by step."}],
            "outcomes": {
                "gpt-4o-mini": 0.2,
                "llama-3.1-8b-instant": 0.0,
                "qwen2.5-1.5b-local": 0.0,
                "o4-mini": 1.0,
                "claude-sonnet-4": 1.0,
                "gpt-4o": 0.5,
            },
            "deadline_ms": 100,
        },
    ]
    log.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    result = replay(load_jsonl(log), routecore.Router())
    assert result.router.n + result.skipped == 2
    text = format_report(result, deadline=True)
    assert "routecore" in text and "oracle" in text
    png = tmp_path / "curve.png"
    plot(result, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_logs_are_typed_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "x"}\n')
    with pytest.raises(routecore.InvalidRequestError, match="outcomes"):
        load_jsonl(bad)
    bad.write_text('{"prompt": "x", "outcomes": {"m": {"quality": 3}}}\n')
    with pytest.raises(routecore.InvalidRequestError, match=r"0\.\.1"):
        load_jsonl(bad)
    bad.write_text("not json\n")
    with pytest.raises(routecore.InvalidRequestError, match="not JSON"):
        load_jsonl(bad)
    with pytest.raises(routecore.InvalidRequestError, match="unknown dataset"):
        load_dataset("nope", SHARED_DATA)


def test_cli_replay(tmp_path: Path) -> None:
    png = tmp_path / "mt.png"
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "routecore",
            "replay",
            "--dataset",
            "routellm-mtbench",
            "--data-dir",
            str(SHARED_DATA),
            "--config",
            str(ROUTELLM),
            "--plot",
            str(png),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    assert "random at equal cost" in p.stdout and "oracle" in p.stdout
    assert png.exists()

"""Texts for fitting and checking the token estimator: prompts from ../shared/data across
English benchmarks, code, multilingual (17 languages) and structured inputs."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _jsonl(path: Path) -> Iterator[dict[str, object]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def corpus(data: Path = DATA) -> list[tuple[str, str]]:
    """(source, text) pairs, deterministic order."""
    out: list[tuple[str, str]] = []
    for q in _jsonl(data / "mt_bench/questions.jsonl"):
        out += [("mt_bench", str(t)) for t in q["turns"]]  # type: ignore[union-attr]
    out += [("arena_hard", str(q["prompt"])) for q in _jsonl(data / "arena_hard_v01/questions.jsonl")]
    out += [("alpaca_eval", str(q["instruction"])) for q in _jsonl(data / "alpaca_eval/prompts.jsonl")]
    out += [("gsm8k", str(q["question"])) for q in list(_jsonl(data / "gsm8k/test.jsonl"))[:400]]
    for q in _jsonl(data / "humaneval/humaneval.jsonl"):
        out.append(("code", str(q["prompt"]) + str(q["canonical_solution"])))
    for q in _jsonl(
        data / "cyberseceval_prompt_injection/prompt_injection_multilingual_machine_translated.jsonl"
    ):
        lang = str(q["speaking_language"])
        out.append((f"ml:{lang}", f"{q['test_case_prompt']}\n{q['user_input']}"))
    for q in list(_jsonl(data / "clinc150/clinc150_full.jsonl"))[::60]:
        out.append(("clinc150", str(q["text"])))
    for q in _jsonl(data / "bipia/table_test.jsonl"):
        out.append(("table", str(q["context"])[:4000]))
    with (data / "banking77/test.csv").open(encoding="utf-8") as f:
        out += [("banking77", row["text"]) for i, row in enumerate(csv.DictReader(f)) if i % 20 == 0]
    return [(s, t) for s, t in out if t.strip()]

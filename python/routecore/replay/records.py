"""Outcome records: a request plus what each model would have achieved on it.

One JSON object per line::

    {"messages": [...] | "prompt": "...",
     "outcomes": {"model-a": {"quality": 1.0, "cost_usd": 0.0004, "latency_ms": 420, "ttft_ms": 180,
                              "output_tokens": 212}, ...},
     "deadline_ms": 1000, "tenant": "acme", "id": "..."}

Only `quality` (0..1) is required per model; cost, latency and output tokens are filled from
the config's prices and typical TTFT when absent. Loaders for the public outcome sets in
``../shared/data`` produce the same records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InvalidRequestError

__all__ = ["DATASETS", "Outcome", "OutcomeRecord", "load_dataset", "load_jsonl"]


@dataclass(frozen=True, slots=True)
class Outcome:
    quality: float
    cost_usd: float | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    output_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    messages: list[dict[str, Any]]
    outcomes: dict[str, Outcome]
    id: str = ""
    deadline_ms: float | None = None
    tenant: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


def _outcome(model: str, raw: Any, where: str) -> Outcome:
    if isinstance(raw, bool | int | float):
        return Outcome(quality=float(raw))
    if not isinstance(raw, Mapping) or "quality" not in raw:
        raise InvalidRequestError(f"{where}: outcome of {model!r} needs a numeric 'quality'", path=where)
    q = float(raw["quality"])
    if not 0.0 <= q <= 1.0:
        raise InvalidRequestError(f"{where}: quality of {model!r} must be within 0..1 (got {q})", path=where)

    def opt(k: str) -> float | None:
        return None if raw.get(k) is None else float(raw[k])

    out = raw.get("output_tokens")
    return Outcome(q, opt("cost_usd"), opt("latency_ms"), opt("ttft_ms"), None if out is None else int(out))


def parse_record(obj: Any, where: str) -> OutcomeRecord:
    if not isinstance(obj, Mapping):
        raise InvalidRequestError(f"{where}: expected a JSON object", path=where)
    if "messages" in obj:
        messages = list(obj["messages"])
    elif "prompt" in obj:
        messages = [{"role": "user", "content": str(obj["prompt"])}]
    else:
        raise InvalidRequestError(f"{where}: needs 'messages' or 'prompt'", path=where)
    raw = obj.get("outcomes")
    if not isinstance(raw, Mapping) or not raw:
        raise InvalidRequestError(f"{where}: needs a non-empty 'outcomes' object", path=where)
    outcomes = {str(m): _outcome(str(m), v, where) for m, v in raw.items()}
    deadline = obj.get("deadline_ms")
    return OutcomeRecord(
        messages=messages,
        outcomes=outcomes,
        id=str(obj.get("id", "")),
        deadline_ms=None if deadline is None else float(deadline),
        tenant=obj.get("tenant"),
        tags={str(k): str(v) for k, v in (obj.get("tags") or {}).items()},
    )


def load_jsonl(path: str | Path) -> list[OutcomeRecord]:
    out = []
    with Path(path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise InvalidRequestError(f"{path}:{n}: not JSON ({e})", path=f"line {n}") from None
            out.append(parse_record(obj, f"{path}:{n}"))
    return out


# ----------------------------------------------------------------------------- public sets


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


STRONG, WEAK = "gpt-4-1106-preview", "mixtral-8x7b-instruct"


def _routellm_binary(data: Path, file: str, task: str) -> list[OutcomeRecord]:
    out = []
    for i, r in enumerate(_jsonl(data / "routellm_outcomes" / file)):
        outcomes = {
            STRONG: Outcome(float(r["correct_gpt_4_1106_preview"])),
            WEAK: Outcome(float(r["correct_mixtral_8x7b_instruct"])),
        }
        msgs = [{"role": "user", "content": r["prompt"]}]
        out.append(OutcomeRecord(msgs, outcomes, id=f"{task}-{i}", tags={"task": task}))
    return out


def _routellm_mtbench(data: Path) -> list[OutcomeRecord]:
    questions = {q["question_id"]: q["turns"] for q in _jsonl(data / "mt_bench" / "questions.jsonl")}
    scores: dict[tuple[int, int], dict[str, float]] = {}
    for r in _jsonl(data / "routellm_outcomes" / "mt_bench_gpt4_judge_scores.jsonl"):
        model = STRONG if r["model"].startswith("gpt-4") else WEAK
        scores.setdefault((r["question_id"], r["turn"]), {})[model] = r["score"] / 10.0
    out = []
    for (qid, turn), s in sorted(scores.items()):
        if len(s) != 2 or qid not in questions:
            continue
        turns = questions[qid]
        msgs: list[dict[str, Any]] = [{"role": "user", "content": turns[0]}]
        if turn == 2:
            msgs += [
                {"role": "assistant", "content": "(previous answer)"},
                {"role": "user", "content": turns[1]},
            ]
        out.append(
            OutcomeRecord(
                msgs, {m: Outcome(v) for m, v in s.items()}, id=f"mt-{qid}-{turn}", tags={"task": "mt_bench"}
            )
        )
    return out


def _llmrouter(data: Path, split: str) -> list[OutcomeRecord]:
    out = []
    for i, r in enumerate(_jsonl(data / "llmrouter_9model" / f"{split}.jsonl")):
        outcomes = {m: Outcome(min(1.0, max(0.0, float(v)))) for m, v in r["scores"].items()}
        msgs = [{"role": "user", "content": r["question"]}]
        out.append(OutcomeRecord(msgs, outcomes, id=f"{r['task_name']}-{i}", tags={"task": r["task_name"]}))
    return out


def _mmlu(d: Path) -> list[OutcomeRecord]:
    return _routellm_binary(d, "mmlu_gpt4_vs_mixtral.jsonl", "mmlu")


def _gsm8k(d: Path) -> list[OutcomeRecord]:
    return _routellm_binary(d, "gsm8k_gpt4_vs_mixtral.jsonl", "gsm8k")


def _llmrouter_test(d: Path) -> list[OutcomeRecord]:
    return _llmrouter(d, "test")


def _llmrouter_train(d: Path) -> list[OutcomeRecord]:
    return _llmrouter(d, "train")


DATASETS: dict[str, Callable[[Path], list[OutcomeRecord]]] = {
    "routellm-mmlu": _mmlu,
    "routellm-gsm8k": _gsm8k,
    "routellm-mtbench": _routellm_mtbench,
    "llmrouter-test": _llmrouter_test,
    "llmrouter-train": _llmrouter_train,
}


def load_dataset(name: str, data_dir: str | Path) -> list[OutcomeRecord]:
    """One of `DATASETS`, read from the shared data folder."""
    if name not in DATASETS:
        raise InvalidRequestError(
            f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}", path="dataset"
        )
    return DATASETS[name](Path(data_dir))

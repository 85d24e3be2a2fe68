"""Strong-vs-weak outcome pairs for the difficulty model.

RouteLLM's pair (GPT-4-1106 vs Mixtral-8x7B-Instruct) on MMLU, GSM8K and MT-Bench
(`routellm_outcomes/`, Apache-2.0 / MIT) and LLMRouter's small-vs-large pair
(`llmrouter_9model/`, MIT; weak = mistral-7b-instruct-v0.3, strong =
llama-3.3-nemotron-super-49b-v1; training only). The target is RouteLLM's quantity:
1 when the weak model fails where the strong one succeeds (MT-Bench: the strong model's
judge score beats the weak one's), else 0. Splits hash the prompt, as in the capability data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from training.capability.data import DATA, jsonl, split_of

LR_WEAK = "mistral-7b-instruct-v0.3"
LR_STRONG = "llama-3.3-nemotron-super-49b-v1"
GPT4 = "gpt-4-1106-preview"


@dataclass
class Pair:
    dataset: str
    request: Any  # text or messages
    weak: float  # quality of the weak model's answer (0/1, or a 1-10 judge score)
    strong: float
    split: str

    @property
    def label(self) -> float:
        return 1.0 if self.strong > self.weak else 0.0


def pairs() -> list[Pair]:
    out: list[Pair] = []
    for name in ("mmlu", "gsm8k"):
        for r in jsonl(DATA / f"routellm_outcomes/{name}_gpt4_vs_mixtral.jsonl"):
            weak = float(r["correct_mixtral_8x7b_instruct"])
            strong = float(r["correct_gpt_4_1106_preview"])
            out.append(Pair(name, r["prompt"], weak, strong, split_of(f"{name}:{r['prompt']}")))
    questions = {q["question_id"]: q for q in jsonl(DATA / "mt_bench/questions.jsonl")}
    scores: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    for r in jsonl(DATA / "routellm_outcomes/mt_bench_gpt4_judge_scores.jsonl"):
        scores[(r["question_id"], r["turn"])]["strong" if r["model"] == GPT4 else "weak"] = float(r["score"])
    for (qid, turn), s in sorted(scores.items()):
        if len(s) != 2 or qid not in questions:
            continue
        t = questions[qid]["turns"]
        req: Any = t[0] if turn == 1 else [
            {"role": "user", "content": t[0]}, {"role": "assistant", "content": "(answer)"},
            {"role": "user", "content": t[1]},
        ]  # fmt: skip
        # Both turns of a question share its split.
        out.append(Pair("mt_bench", req, s["weak"], s["strong"], split_of(f"mt_bench:{qid}")))
    for r in jsonl(DATA / "llmrouter_9model/train.jsonl"):
        sc = r["scores"]
        if LR_WEAK in sc and LR_STRONG in sc:
            out.append(Pair("llmrouter", r["question"], float(sc[LR_WEAK]), float(sc[LR_STRONG]), "train"))
    return out

"""Labeled injection data for training and evaluating the guards (issue #6).

Every example is (source, split, label, text). label 1 = injection/jailbreak, 0 = benign.
Splits are deterministic: native upstream splits where they exist (BIPIA, CLINC150,
Banking77), otherwise sha256(source + key) decides (30% test). Only permissively
licensed sets feed `train` (see shared/data/README.md); NC / no-license sets and
plain harmful requests are `eval_only`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DATA = Path(os.environ.get("ROUTECORE_DATA", "/work/shared/data"))
HERE = Path(__file__).resolve().parent
TEST_PERCENT = 30


@dataclass(frozen=True)
class Example:
    source: str
    split: str  # "train" | "test" | "eval_only"
    label: int
    text: str
    group: str = ""  # sub-group for reporting (variant, language, …)
    key: str = ""  # fold key: texts sharing a key (a BIPIA context) stay in one fold

    @property
    def fold_key(self) -> str:
        return self.key or self.text


def _hsplit(source: str, key: str) -> str:
    h = int(hashlib.sha256(f"{source}\x00{key}".encode()).hexdigest()[:8], 16)
    return "test" if h % 100 < TEST_PERCENT else "train"


def _hpick(key: str, n: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % n


def _jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _handwritten(name: str, label: int, source: str) -> Iterator[Example]:
    for line in (HERE / name).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text = line.replace("\\n", "\n")
            yield Example(source, _hsplit(source, text), label, text)


def _handwritten_documents() -> Iterator[Example]:
    """Pasted documents with the user's own question at an edge (benign) or a request planted
    in them (injection), several languages, transcripts, tables and code; each line is
    "B<TAB>text" or "I<TAB>text". Hash-split by line like the other hand-written files."""
    for line in (HERE / "handwritten_documents.txt").read_text(encoding="utf-8").splitlines():
        kind, sep, raw = line.partition("\t")
        if line.startswith("#") or not sep or kind not in ("B", "I"):
            continue
        text = raw.replace("\\n", "\n")
        label = int(kind == "I")
        source = "handwritten_documents_attacked" if label else "handwritten_documents_benign"
        yield Example(source, _hsplit("hwdocs", line), label, text)


def _planted() -> Iterator[Example]:
    """Hand-written lines planted in documents (`planted_lines.txt`): each "I" line (an
    instruction an attacker plants) and "B" line (the user's own question) goes into one
    BIPIA mail, one BIPIA table and one hand-written header-less document ("D") of the same
    split, the split being the line's hash: one planted text never sits on both sides, so
    the document rules are judged on texts they were not written on. Sources
    `planted_attacked` / `planted_benign`, group = the document kind."""
    kinds: dict[str, list[str]] = {"I": [], "B": [], "D": []}
    for line in (HERE / "planted_lines.txt").read_text(encoding="utf-8").splitlines():
        kind, sep, raw = line.partition("\t")
        if not line.startswith("#") and sep and kind in kinds:
            kinds[kind].append(raw.replace("\\n", "\n"))
    d = DATA / "bipia"
    ctx: dict[tuple[str, str], list[str]] = {}
    for split in ("train", "test"):
        for task in ("email", "table"):
            rows = [r["context"] for r in _jsonl(d / f"{task}_{split}.jsonl")]
            ctx[(task, split)] = [c if isinstance(c, str) else "\n".join(c) for c in rows]
        ctx[("own", split)] = [t for t in kinds["D"] if _hsplit("planted_doc", t) == split]
    for kind, label in (("I", 1), ("B", 0)):
        source = "planted_attacked" if label else "planted_benign"
        for line in kinds[kind]:
            split = _hsplit("planted", line)
            for task in ("email", "table", "own"):
                pool = ctx[(task, split)]
                c = pool[_hpick(f"{task}{line}", len(pool))]
                # Attacks go first, between two lines or last; the user's line first or last.
                pos = _hpick(f"pos{task}{line}", 3 if label else 2) * (1 if label else 2)
                lines = c.split("\n")
                at = {0: 0, 1: len(lines) // 2, 2: len(lines)}[pos]
                text = "\n".join([*lines[:at], line, *lines[at:]])
                yield Example(source, split, label, text, task, key=line)


def _capability_handwritten() -> Iterator[Example]:
    """The capability classifier's hand-written prompts (Apache-2.0, this repository): ~1,000
    ordinary requests in 14 languages besides English, speech-style and text inline after a
    colon. Benign for the guards; CyberSecEval's translated positives had taught the model
    that a question outside English is an attack, and the guards' own benign texts held
    only ~200 non-English ones."""
    path = HERE.parent / "capability/handwritten.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if line.startswith("#") or len(parts) != 3:
            continue
        text = parts[2].replace("\\n", "\n")
        yield Example("capability_handwritten", _hsplit("caphw", text), 0, text, parts[1])


def _bipia() -> Iterator[Example]:
    """Clean contexts (benign) and contexts with an attack inserted at start/middle/end
    (injection), as BIPIA builds them; train attacks only go into train contexts."""
    d = DATA / "bipia"
    for split in ("train", "test"):
        attacks = {
            "text": [a["attack_text"] for a in _jsonl(d / f"text_attacks_{split}.jsonl")],
            "code": [a["attack_text"] for a in _jsonl(d / f"code_attacks_{split}.jsonl")],
        }
        for task, kind, cap in (
            ("email", "text", 50),
            ("table", "text", 300 if split == "train" else 100),
            ("code", "code", 50),
        ):
            rows = list(_jsonl(d / f"{task}_{split}.jsonl"))
            rows.sort(key=lambda r: hashlib.sha256(str(r["context"]).encode()).hexdigest())
            for r in rows[:cap]:
                ctx = r["context"] if isinstance(r["context"], str) else "\n".join(r["context"])
                yield Example(f"bipia_{task}_clean", split, 0, ctx, task, key=ctx)
                if r.get("question"):
                    yield _asked(task, split, ctx, r["question"])
                # One attacked copy per clean context: the context's own n-grams then carry
                # no label information and the model has to learn the attack text.
                yield from _attacked(task, split, ctx, attacks[kind], 0)


def _asked(task: str, split: str, ctx: str, question: str) -> Example:
    """The context with the user's own question (BIPIA's task for it) before or after it:
    a benign look-alike of an attack line at the start or end of a document."""
    q = question.removeprefix("Q: ").strip()
    text = q + "\n" + ctx if _hpick(f"ask{ctx}", 2) == 0 else ctx + "\n" + q
    return Example(f"bipia_{task}_asked", split, 0, text, task, key=ctx)


def _attacked(task: str, split: str, ctx: str, attacks: list[str], v: int) -> Iterator[Example]:
    att = attacks[_hpick(f"{v}{ctx}", len(attacks))]
    pos = _hpick(f"pos{v}{ctx}", 3)
    if pos == 0:
        text = att + "\n" + ctx
    elif pos == 2:
        text = ctx + "\n" + att
    else:
        lines = ctx.split("\n")
        mid = len(lines) // 2
        text = "\n".join([*lines[:mid], att, *lines[mid:]])
    # Same fold key as the clean twin: split apart, the model learns "this table is an attack".
    yield Example(f"bipia_{task}_attacked", split, 1, text, task, key=ctx)


def _more_benign() -> Iterator[Example]:
    """More ordinary prompts (all MIT / CC BY): exam questions with options, word problems,
    long task prompts with pasted context, tweets. The model mostly met short assistant
    commands before and flagged long or oddly formatted benign prompts."""
    for sp in ("train", "test"):
        for r in _jsonl(DATA / f"gsm8k/{sp}.jsonl"):
            if _hpick("gsm" + r["question"], 10) == 0:
                yield Example("gsm8k", sp, 0, r["question"])
        for r in _jsonl(DATA / f"llmrouter_9model/{sp}.jsonl"):
            if _hpick("lr9" + r["question"], 6) == 0:
                yield Example("llmrouter_9model", sp, 0, r["question"], r["task_name"])
    for r in _jsonl(DATA / "routellm_outcomes/mmlu_gpt4_vs_mixtral.jsonl"):
        if _hpick("mmlu" + r["prompt"], 20) == 0:
            yield Example("mmlu", _hsplit("mmlu", r["prompt"]), 0, r["prompt"], r["subject"])
    for name, sp in (("train", "train"), ("test", "test")):
        for r in _jsonl(DATA / f"wnut17/{name}.jsonl"):
            if _hpick(f"wnut{r['id']}", 4) == 0:
                yield Example("wnut17", sp, 0, " ".join(r["tokens"]))


def examples() -> list[Example]:
    out: list[Example] = []
    # --- positives (permissive) ---
    for r in _jsonl(DATA / "cyberseceval_prompt_injection/prompt_injection.jsonl"):
        out.append(
            Example(
                "cyberseceval_en",
                _hsplit("cse", str(r["prompt_id"])),
                1,
                r["user_input"],
                r["injection_variant"],
            )
        )
    for r in _jsonl(
        DATA / "cyberseceval_prompt_injection/prompt_injection_multilingual_machine_translated.jsonl"
    ):
        out.append(
            Example(
                "cyberseceval_multilingual",
                _hsplit("cseml", str(r["prompt_id"])),
                1,
                r["user_input"],
                r["speaking_language"],
            )
        )
    for r in _jsonl(DATA / "jailbreak_inthewild/prompts.jsonl"):
        out.append(Example("jailbreak_inthewild", _hsplit("itw", r["prompt"]), 1, r["prompt"]))
    for r in _jsonl(DATA / "jailbreakbench_artifacts/jailbreaks.jsonl"):
        if r.get("prompt"):
            # Split by behaviour so one goal's attacks never straddle train and test.
            out.append(Example("jailbreakbench", _hsplit("jbb", r["behavior"]), 1, r["prompt"], r["method"]))
    out.extend(_bipia())
    out.extend(_handwritten("handwritten_injection.txt", 1, "handwritten_injection"))
    # --- benign (permissive) ---
    out.extend(_handwritten("handwritten_benign.txt", 0, "handwritten_benign"))
    out.extend(_capability_handwritten())
    out.extend(_handwritten_documents())
    out.extend(_planted())
    with (DATA / "xstest/xstest_prompts.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["label"] == "safe":
                out.append(Example("xstest_safe", _hsplit("xs", r["id"]), 0, r["prompt"], r["type"]))
            else:  # plain harmful requests: not injections; flag rate reported only
                out.append(Example("xstest_unsafe", "eval_only", 0, r["prompt"], r["type"]))
    for r in _jsonl(DATA / "mt_bench/questions.jsonl"):
        out.append(Example("mt_bench", _hsplit("mtb", str(r["question_id"])), 0, "\n".join(r["turns"])))
    for r in _jsonl(DATA / "vicuna_bench/questions.jsonl"):
        out.append(Example("vicuna_bench", _hsplit("vic", str(r["question_id"])), 0, "\n".join(r["turns"])))
    for r in _jsonl(DATA / "arena_hard_v01/questions.jsonl"):
        out.append(Example("arena_hard", _hsplit("ah", r["question_id"]), 0, r["prompt"]))
    for name in ("seed_tasks", "user_oriented_instructions"):
        for r in _jsonl(DATA / f"self_instruct/{name}.jsonl"):
            inst = r["instances"][0]["input"] if r.get("instances") else ""
            text = r["instruction"] + ("\n" + inst if inst else "")
            out.append(Example("self_instruct", _hsplit("si", r["id"]), 0, text))
    clinc = [r for r in _jsonl(DATA / "clinc150/clinc150_full.jsonl")]
    for r in clinc:
        sp = "test" if r["split"] in ("test", "oos_test") else "train"
        # Subsample: 1 in 8 keeps CLINC from drowning the other benign sources.
        if _hpick("clinc" + r["text"], 8) == 0:
            out.append(Example("clinc150", sp, 0, r["text"], r["domain"]))
    for sp in ("train", "test"):
        with (DATA / f"banking77/{sp}.csv").open(encoding="utf-8") as f:
            for r in csv.DictReader(f):
                if _hpick("b77" + r["text"], 6) == 0:
                    out.append(Example("banking77", sp, 0, r["text"]))
    for r in _jsonl(DATA / "humaneval/humaneval.jsonl"):
        out.append(Example("humaneval", _hsplit("he", r["task_id"]), 0, r["prompt"]))
    out.extend(_more_benign())
    # --- evaluation only: NC license / plain harmful requests ---
    for r in _jsonl(DATA / "alpaca_eval/prompts.jsonl"):
        out.append(Example("alpaca_eval_NC", "eval_only", 0, r["instruction"], r["dataset"]))
    seen = set()
    for r in _jsonl(DATA / "jailbreakbench_artifacts/jailbreaks.jsonl"):
        if r["goal"] not in seen:
            seen.add(r["goal"])
            out.append(Example("jbb_goals_plain_harmful", "eval_only", 0, r["goal"], r["category"]))
    return out


if __name__ == "__main__":
    import collections

    c = collections.Counter((e.source, e.split, e.label) for e in examples())
    for k in sorted(c):
        print(*k, c[k])

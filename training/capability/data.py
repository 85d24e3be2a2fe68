"""Labeled examples for the capability classifier: public sets mapped through ONE table
(`LABEL_MAP`, documented in LABELS.md), hand-written examples, and hand-written templates
around public documents. Everything is deterministic: sorted inputs, a fixed-seed generator,
and splits by a hash of each example's group (so a template, an MT-Bench question or a
source document never straddles train and test).

Only MIT / Apache-2.0 / CC-BY sets are used (they train a shipped artifact); the NC and
unlicensed sets under ../shared/data are not read here.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .templates import CONNECTORS, FOLLOW_UPS, INSTRUCTIONS, PREAMBLES

DATA = Path(__file__).resolve().parents[3] / "shared/data"
HERE = Path(__file__).resolve().parent
CLASSES = (
    "chitchat", "factual", "extraction", "summarization", "classification",
    "creative", "reasoning", "math", "code", "translation",
)  # fmt: skip

# ---- the one mapping table (LABELS.md renders it) -----------------------------------------
MT_BENCH = {
    "writing": "creative", "roleplay": "creative", "reasoning": "reasoning", "math": "math",
    "coding": "code", "extraction": "extraction", "stem": "factual", "humanities": "factual",
}  # fmt: skip
VICUNA = {
    "generic": "factual", "knowledge": "factual", "roleplay": "creative", "common-sense": "reasoning",
    "fermi": "reasoning", "counterfactual": "reasoning", "writing": "creative", "coding": "code",
    "math": "math",
}  # fmt: skip
LLMROUTER = {
    "natural_qa": "factual", "trivia_qa": "factual", "mmlu": "factual", "openbook_qa": "factual",
    "gpqa": "factual", "commonsense_qa": "reasoning", "agentverse-logicgrid": "reasoning",
    "math": "math", "gsm8k": "math", "agentverse-mgsm": "math", "commongen": "creative",
}  # fmt: skip
# small_talk's tell_joke asks for a joke (creative) and fun_fact for a fact (factual): the
# domain default (chitchat) would teach "tell me a joke" is small talk.
CLINC_INTENT = {"calculator": "math", "translate": "translation", "tell_joke": "creative",
                "fun_fact": "factual"}  # fmt: skip
CLINC_DOMAIN = {"small_talk": "chitchat"}
MMLU_MATH = re.compile(r"mathematics|statistics|algebra")
MMLU_REASONING = {"formal_logic", "logical_fallacies"}
ARENA_CODE = re.compile(
    r"python|sql|javascript|typescript|c\+\+|code|coding|program|develop|regex|pandas|matplotlib|"
    r"css|script|rust|java\b|bash|docker|kubernetes|flask|django|react|api|algorithm|vba|excel formula",
    re.I,
)
LABEL_MAP: dict[str, Any] = {
    "mt_bench (category)": MT_BENCH,
    "vicuna_bench (category)": VICUNA,
    "llmrouter_9model (task_name; human_eval skipped: same prompts as humaneval)": LLMROUTER,
    "routellm mmlu (subject)": "*mathematics*/*statistics*/*algebra* -> math; formal_logic, "
    "logical_fallacies -> reasoning; other subjects -> factual",
    "gsm8k": "math",
    "humaneval": "code",
    "self_instruct seed_tasks": "is_classification -> classification (others unused)",
    "clinc150 (domain/intent)": "small_talk -> chitchat; calculator -> math; translate -> translation; "
    "definition, spelling and all other in-scope intents -> factual (subsampled); oos unused",
    "banking77": "factual (subsampled)",
    "arena_hard_v01 (cluster)": "cluster names matching a programming keyword -> code; others unused",
}

# Per-source caps, so the big sets do not drown the thin classes.
CAPS = {"clinc_small_talk": 900, "clinc_other": 500, "banking77": 400, "gsm8k": 1000,
        "mmlu": 1200, "llmrouter": 220}  # fmt: skip
PER_TEMPLATE = 24  # generated examples per (label, template)
SPLITS = ("train", "val", "test")


@dataclass
class Example:
    label: str
    source: str
    group: str  # split key
    lang: str = "en"
    text: str | None = None
    messages: list[dict[str, str]] | None = None
    tags: list[str] = field(default_factory=list)

    def request(self) -> str | list[dict[str, str]]:
        return self.messages if self.messages is not None else (self.text or "")

    def last_user(self) -> str:
        if self.messages is None:
            return self.text or ""
        return next((m["content"] for m in reversed(self.messages) if m["role"] == "user"), "")


def split_of(group: str) -> str:
    h = int(hashlib.sha256(group.encode()).hexdigest()[:8], 16) % 10
    return "train" if h < 7 else "val" if h == 7 else "test"


def jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def capped(rows: list[Example], cap: int, rng: random.Random) -> list[Example]:
    if len(rows) <= cap:
        return rows
    idx = sorted(rng.sample(range(len(rows)), cap))
    return [rows[i] for i in idx]


def public(rng: random.Random) -> list[Example]:
    out: list[Example] = []
    for q in jsonl(DATA / "mt_bench/questions.jsonl"):
        lab, qid = MT_BENCH[q["category"]], q["question_id"]
        t1, t2 = q["turns"][0], q["turns"][1]
        out.append(Example(lab, "mt_bench", f"mt:{qid}", text=t1))
        msgs = [{"role": "user", "content": t1}, {"role": "assistant", "content": "(answer)"},
                {"role": "user", "content": t2}]  # fmt: skip
        out.append(Example(lab, "mt_bench", f"mt:{qid}", messages=msgs, tags=["multi_turn"]))
    for q in jsonl(DATA / "vicuna_bench/questions.jsonl"):
        out.append(Example(VICUNA[q["category"]], "vicuna", f"vic:{q['question_id']}", text=q["turns"][0]))
    for t in jsonl(DATA / "self_instruct/seed_tasks.jsonl"):
        if t["is_classification"]:
            inp = t["instances"][0]["input"] if t["instances"] else ""
            text = t["instruction"] + ("\n\n" + inp if inp else "")
            out.append(Example("classification", "self_instruct", f"si:{t['id']}", text=text))
    small, other = [], []
    for r in jsonl(DATA / "clinc150/clinc150_full.jsonl"):
        if r["domain"] == "oos":
            continue
        lab = CLINC_INTENT.get(r["intent"]) or CLINC_DOMAIN.get(r["domain"]) or "factual"
        ex = Example(lab, "clinc150", f"clinc:{r['text']}", text=r["text"])
        if lab == "chitchat":
            small.append(ex)
        elif lab == "factual":
            other.append(ex)
        else:
            out.append(ex)
    out += capped(small, CAPS["clinc_small_talk"], rng) + capped(other, CAPS["clinc_other"], rng)
    with (DATA / "banking77/train.csv").open(encoding="utf-8") as f:
        rows = [
            Example("factual", "banking77", f"b77:{r['text']}", text=r["text"]) for r in csv.DictReader(f)
        ]
    out += capped(rows, CAPS["banking77"], rng)
    rows = [Example("math", "gsm8k", f"gsm:{r['question']}", text=r["question"])
            for r in jsonl(DATA / "gsm8k/train.jsonl")]  # fmt: skip
    out += capped(rows, CAPS["gsm8k"], rng)
    for r in jsonl(DATA / "humaneval/humaneval.jsonl"):
        out.append(Example("code", "humaneval", f"he:{r['task_id']}", text=r["prompt"]))
    rows = []
    for r in jsonl(DATA / "routellm_outcomes/mmlu_gpt4_vs_mixtral.jsonl"):
        s = r["subject"]
        lab = "math" if MMLU_MATH.search(s) else "reasoning" if s in MMLU_REASONING else "factual"
        rows.append(Example(lab, "mmlu", f"mmlu:{r['prompt']}", text=r["prompt"]))
    out += capped(rows, CAPS["mmlu"], rng)
    by_task: dict[str, list[Example]] = {}
    for r in jsonl(DATA / "llmrouter_9model/train.jsonl"):
        lab = LLMROUTER.get(r["task_name"])
        if lab:
            ex = Example(lab, "llmrouter", f"lr:{r['question']}", text=r["question"])
            by_task.setdefault(r["task_name"], []).append(ex)
    for task in sorted(by_task):
        out += capped(by_task[task], CAPS["llmrouter"], rng)
    for r in jsonl(DATA / "arena_hard_v01/questions.jsonl"):
        if ARENA_CODE.search(r["cluster"]):
            out.append(Example("code", "arena_hard", f"ah:{r['question_id']}", text=r["prompt"]))
    return out


def handwritten() -> list[Example]:
    out = []
    for line in (HERE / "handwritten.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, lang, text = line.split("\t", 2)
        text = text.replace("\\n", "\n")
        out.append(Example(label, "handwritten", f"hw:{text}", lang=lang, text=text, tags=["handwritten"]))
    return out


FILLERS = ("um", "uh", "like", "so", "you know", "okay so", "yeah")


def spoken(text: str, rng: random.Random) -> str:
    """Speech-to-text style: lower case, no punctuation, a filler or two."""
    words = re.sub(r"[!-&(-/:-@\[-`{-~。，？！、]", " ", text.lower()).split()
    if not words:
        return text
    for _ in range(rng.randint(1, 2)):
        words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS))
    return " ".join(words)


def documents(rng: random.Random) -> dict[str, list[str]]:
    """Public texts to wrap instructions around, by kind."""
    docs: dict[str, list[str]] = {}
    docs["email"] = [
        r["context"].replace("|CONTENT:", "\n\n") for r in jsonl(DATA / "bipia/email_train.jsonl")
    ]
    tables = [r["context"] for r in jsonl(DATA / "bipia/table_train.jsonl")]
    docs["table"] = [tables[i] for i in sorted(rng.sample(range(len(tables)), 80))]
    tweets = [" ".join(r["tokens"]) for r in jsonl(DATA / "wnut17/train.jsonl") if len(r["tokens"]) >= 12]
    docs["tweet"] = [tweets[i] for i in sorted(rng.sample(range(len(tweets)), 200))]
    pii = [r["full_text"] for r in jsonl(DATA / "presidio_synth_pii/synth_dataset_v2.jsonl")]
    docs["record"] = [pii[i] for i in sorted(rng.sample(range(len(pii)), 150))]
    gsm = [r["question"] for r in jsonl(DATA / "gsm8k/test.jsonl")]
    docs["word_problem"] = [gsm[i] for i in sorted(rng.sample(range(len(gsm)), 80))]
    docs["code"] = ["```python\n" + r["prompt"] + r["canonical_solution"] + "```"
                    for r in jsonl(DATA / "humaneval/humaneval.jsonl")]  # fmt: skip
    docs["banking"] = []
    with (DATA / "banking77/test.csv").open(encoding="utf-8") as f:
        bank = [r["text"] for r in csv.DictReader(f)]
    docs["banking"] = [bank[i] for i in sorted(rng.sample(range(len(bank)), 150))]
    # Other requests pasted as a document (imperatives that are NOT the instruction): train
    # split only, so no held-out prompt text appears in training rows.
    prompts = [q["turns"][0] for q in jsonl(DATA / "mt_bench/questions.jsonl")
               if split_of(f"mt:{q['question_id']}") == "train"]  # fmt: skip
    prompts += [q["turns"][0] for q in jsonl(DATA / "vicuna_bench/questions.jsonl")
                if split_of(f"vic:{q['question_id']}") == "train"]  # fmt: skip
    docs["prompts"] = prompts
    return docs


# The same documents under every instruction class (code and maths need their own kind), so
# the document never tells the label: only the instruction does.
SHARED_KINDS = ("email", "tweet", "word_problem", "code", "table", "banking", "record", "prompts")
DOC_KINDS = {
    "summarization": SHARED_KINDS,
    "translation": SHARED_KINDS,
    "classification": SHARED_KINDS,
    "extraction": SHARED_KINDS,
    "code": ("code",),
    "creative": SHARED_KINDS,
    "factual": SHARED_KINDS,
    "math": ("word_problem",),
}


def templated(rng: random.Random) -> list[Example]:
    docs = documents(rng)
    out = []
    for label in sorted(INSTRUCTIONS):
        for t_id, (lang, instr) in enumerate(INSTRUCTIONS[label]):
            for _ in range(PER_TEMPLATE):
                kind = rng.choice(DOC_KINDS[label])
                long = rng.random() < 0.3
                n = rng.randint(4, 12) if long else 1
                doc = "\n\n".join(rng.choice(docs[kind]) for _ in range(n))
                where = rng.random()
                sep = "\n\n" if rng.random() < 0.8 else rng.choice(("\n", " ", "\n\n---\n"))
                if where < 0.5:
                    text = f"{doc}{sep}{instr}"
                elif where < 0.85:
                    text = f"{instr}{sep}{doc}"
                elif where < 0.92:
                    text = f"{instr}\n\n{doc}\n\n{instr}"
                else:  # the document as an earlier message, the instruction as the last turn
                    msgs = [{"role": "user", "content": doc}, {"role": "assistant", "content": "OK."},
                            {"role": "user", "content": instr}]  # fmt: skip
                    tags = ["templated", f"doc:{kind}", "multi_turn"]
                    out.append(Example(label, "templated", f"tpl:{label}:{t_id}", lang=lang,
                                       messages=msgs, tags=tags))  # fmt: skip
                    continue
                tags = ["templated", f"doc:{kind}"] + (["long_document"] if long else [])
                out.append(
                    Example(label, "templated", f"tpl:{label}:{t_id}", lang=lang, text=text, tags=tags)
                )
    return out


def preambled(rng: random.Random) -> list[Example]:
    """A distracting first sentence, a connector, then the request (same group as the request)."""
    out = []
    for label in sorted(INSTRUCTIONS):
        for t_id, (lang, instr) in enumerate(INSTRUCTIONS[label]):
            for _ in range(3):
                pre, conn = rng.choice(PREAMBLES), rng.choice(CONNECTORS)
                text = f"{pre} {conn} {instr[0].lower() + instr[1:]}"
                out.append(Example(label, "templated", f"tpl:{label}:{t_id}", lang=lang, text=text,
                                   tags=["templated", "preamble"]))  # fmt: skip
    return out


def multi_turn(base: list[Example], rng: random.Random) -> list[Example]:
    """An earlier request of some class, a reply, then a follow-up that sets the label."""
    singles = [e for e in base if e.text and len(e.text) < 600 and e.source != "templated"]
    out = []
    for label in sorted(FOLLOW_UPS):
        for f_id, follow in enumerate(FOLLOW_UPS[label]):
            for _ in range(24):
                first = rng.choice(singles)
                msgs = [{"role": "user", "content": first.text or ""},
                        {"role": "assistant", "content": "Sure — here is what I found."},
                        {"role": "user", "content": follow}]  # fmt: skip
                if rng.random() < 0.3:
                    msgs.insert(0, {"role": "system", "content": "You are a helpful voice assistant."})
                ex = Example(label, "multi_turn", f"mt2:{label}:{f_id}", messages=msgs, tags=["multi_turn"])
                out.append(ex)
    return out


def examples(seed: int = 5) -> list[Example]:
    """Every labeled example, in a fixed order."""
    rng = random.Random(seed)
    base = public(rng) + handwritten()
    extra = templated(rng) + multi_turn(base, rng) + preambled(rng)
    # Spoken variants of short hand-written and public prompts (same group: same split).
    spoken_rows = []
    for e in base:
        if e.text and len(e.text) < 200 and (e.source == "handwritten" or rng.random() < 0.08):
            spoken_rows.append(
                Example(
                    e.label,
                    e.source,
                    e.group,
                    lang=e.lang,
                    text=spoken(e.text, rng),
                    tags=[*e.tags, "spoken"],
                )
            )
    rows = base + extra + spoken_rows
    for e in rows:
        assert e.label in CLASSES, e.label
    return rows


# The keyword classifier's cue phrases (rust/src/classify/keywords.rs, written 2026-11-22 for
# the first classifier, before any learned model or split existed): each positive cue of
# weight >= 1.5 becomes a one-phrase training row of its class. They teach the hashed model
# the many ways of naming a task ("recap", "in a nutshell", "要約", "übersetz…") that the
# instruction templates cannot all spell out. Training rows only, never in val/test.
KEYWORDS_RS = HERE.parents[1] / "rust/src/classify/keywords.rs"
CUE_CLASS = {c.title(): c for c in CLASSES}
CUE_RE = re.compile(r'\("((?:[^"\\]|\\.)*)", (\w+), (-?[\d.]+), \w\)')
CUE_MIN_WEIGHT = 1.5


def cues() -> list[Example]:
    """The keyword model's positive cue phrases as training rows, in file order."""
    out = []
    for m in CUE_RE.finditer(KEYWORDS_RS.read_text(encoding="utf-8")):
        phrase, cap, weight = m.group(1).replace('\\"', '"'), m.group(2), float(m.group(3))
        if cap in CUE_CLASS and weight >= CUE_MIN_WEIGHT:
            out.append(Example(CUE_CLASS[cap], "cue", f"cue:{phrase}", text=phrase, tags=["cue"]))
    return out


# Short phrases naming each task the way users do ("streść", "ترجم إلى", "razona paso a
# paso"), 25-40 per class in 15 languages, written for routecore (task_names.tsv). Like the
# cues they are one-phrase rows that teach the names of a task in many languages; training rows
# only, never in val/test (`train.py` adds them after the split, like the cues).
TASK_NAMES = HERE / "task_names.tsv"


def task_names() -> list[Example]:
    """task_names.tsv as training rows (weighted `train.TASK_NAME_WEIGHT`)."""
    out = []
    with TASK_NAMES.open(encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["label"] not in CLASSES:
                raise ValueError(f"{TASK_NAMES}: unknown label {r['label']!r}")
            out.append(Example(r["label"], "task_name", f"tn:{r['phrase']}", lang=r["lang"], text=r["phrase"],
                               tags=["cue", "task_name"]))  # fmt: skip
    return out


def user_examples(path: Path) -> list[Example]:
    """A user's own labeled traffic: JSONL of {"messages": [...]} or {"text": ...} plus "label"."""
    out = []
    for i, r in enumerate(jsonl(path)):
        label = r["label"]
        if label not in CLASSES:
            raise ValueError(f"{path}:{i + 1}: unknown label {label!r}; expected one of {CLASSES}")
        text, msgs = r.get("text"), r.get("messages")
        group = r.get("group") or json.dumps(msgs if msgs is not None else text, sort_keys=True)
        out.append(Example(label, "user", str(group), lang=r.get("lang", "?"), text=text, messages=msgs))
    return out

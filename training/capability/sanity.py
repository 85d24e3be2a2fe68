"""The sanity set (`sanity.tsv`): realistic everyday prompts, hand-written for evaluation only.

Held-out macro-F1 measures the split of the training distribution; this set measures what
users actually type — short requests, speech-to-text, ten languages, multi-turn, code blocks,
keyword traps and long pasted documents with the instruction at the end. It is never read by
`train.py` and was written fresh (not from `templates.py` / `handwritten.tsv`), so the two stay
disjoint (`tests/test_classifier_sanity.py` checks it).
"""

from __future__ import annotations

import re
from pathlib import Path

from .data import CLASSES, Example

PATH = Path(__file__).resolve().parent / "sanity.tsv"
DOC = re.compile(r"\{doc:(\w+)\}")


def load(path: Path = PATH) -> list[Example]:
    docs: dict[str, str] = {}
    rows: list[Example] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if cols[0] == "@doc":
            docs[cols[1]] = cols[2].replace("\\n", "\n")
            continue
        label, lang, style, *turns = cols
        if label not in CLASSES or len(turns) % 2 == 0:
            raise ValueError(f"{path}:{n}: bad label {label!r} or an even number of turns")
        # Docs are defined before use, so a missing name is a typo: KeyError says which.
        texts = [DOC.sub(lambda m: docs[m.group(1)], t.replace("\\n", "\n")) for t in turns]
        tags = ["sanity", style]
        if len(texts) == 1:
            rows.append(Example(label, "sanity", f"sanity:{n}", lang=lang, text=texts[0], tags=tags))
            continue
        msgs = [{"role": "user" if i % 2 == 0 else "assistant", "content": t} for i, t in enumerate(texts)]
        rows.append(Example(label, "sanity", f"sanity:{n}", lang=lang, messages=msgs, tags=tags))
    return rows

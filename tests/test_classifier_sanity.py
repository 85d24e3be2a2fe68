"""The hand-written sanity set (`training/capability/sanity.tsv`): its shape, that it stays an
evaluation set (disjoint from every training source), and a floor under the shipped model's
accuracy on it, so a retrain that regresses on everyday prompts fails CI."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from training.capability import sanity
from training.capability.data import CLASSES, Example, examples, handwritten, task_names
from training.capability.evaluate import predict, router
from training.capability.templates import FOLLOW_UPS, INSTRUCTIONS

import routecore

# Measured with `python -m training.capability.evaluate --sanity-only` on the shipped artifact
# (learned-v4: 0.926; learned-v3 0.876; keywords 0.490), minus a margin for an intentional retrain.
LEARNED_FLOOR = 0.88
LANGS = {"en", "zh", "ja", "ko", "hi", "es", "fr", "de", "ru", "ar", "pt"}


@pytest.fixture(scope="module")
def rows() -> list[Example]:
    return sanity.load()


def test_shape(rows: list[Example]) -> None:
    assert len(rows) >= 150
    per_class = Counter(e.label for e in rows)
    assert set(per_class) == set(CLASSES) and min(per_class.values()) >= 15
    assert {e.lang for e in rows} == LANGS
    styles = Counter(e.tags[1] for e in rows)
    for style in ("short", "spoken", "multilingual", "multi", "codeblock", "trap", "longdoc"):
        assert styles[style] >= 3, style
    longest = max(len(e.last_user()) for e in rows if e.tags[1] == "longdoc")
    assert longest > 2000  # a long pasted document, the instruction after it


def _grams(text: str) -> set[str]:
    t = re.sub(r"\s+", " ", text.lower().strip())
    return {t[i : i + 4] for i in range(max(1, len(t) - 3))}


def test_disjoint_from_training(rows: list[Example]) -> None:
    """No sanity prompt is a training text, nor close to a hand-written training example,
    template instruction or follow-up (4-gram Jaccard; paraphrases of a common request type
    score well under this)."""
    train_texts = {e.last_user().strip().lower() for e in examples() + task_names()}
    written = [e.text or "" for e in handwritten() + task_names()]
    written += [i for batch in INSTRUCTIONS.values() for _, i in batch]
    written += [f for batch in FOLLOW_UPS.values() for f in batch]
    grams = [_grams(t) for t in written]
    for e in rows:
        text = e.last_user()
        assert text.strip().lower() not in train_texts, text
        g = _grams(text[:300])
        worst = max(len(g & h) / len(g | h) for h in grams)
        assert worst < 0.5, text


def test_shipped_model_accuracy_floor(rows: list[Example]) -> None:
    want = [CLASSES.index(e.label) for e in rows]
    learned = predict(router("learned"), rows)
    keywords = predict(router("keywords"), rows)
    acc_learned = sum(int(p == y) for p, y in zip(learned, want, strict=True)) / len(rows)
    acc_keywords = sum(int(p == y) for p, y in zip(keywords, want, strict=True)) / len(rows)
    assert acc_learned >= LEARNED_FLOOR, acc_learned
    assert acc_learned > acc_keywords


def test_default_router_uses_the_learned_model() -> None:
    assert routecore.Router().classifier.startswith("learned")

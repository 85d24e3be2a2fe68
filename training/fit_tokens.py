"""Fit (and report) the token estimator's coefficients against o200k_base.

    python training/fit_tokens.py            # report the shipped estimator's error
    python training/fit_tokens.py --fit      # re-fit; prints the Rust COEF array for rust/src/tokens.rs

Needs the test extra (`bpe-openai`, an exact o200k_base implementation that ships its vocabulary).
The fit minimises relative error (rows weighted by 1/true count), with a small ridge toward the
hand-set prior so rare counters keep sensible values.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from token_corpus import corpus

import routecore
from routecore import _core

NAMES = [
    "W_1_2",
    "W_3_5",
    "W_6_8",
    "W_9_12",
    "W_LONG_CHARS",
    "CAMEL",
    "DIGIT_GROUPS",
    "PUNCT",
    "PUNCT_RUNS",
    "NEWLINE_RUNS",
    "SPACE_RUNS",
    "LATIN_EXT",
    "CYRILLIC",
    "GREEK",
    "ARABIC_HEBREW",
    "INDIC",
    "THAI",
    "HAN",
    "KANA",
    "HANGUL",
    "OTHER",
    "NONLATIN_WORDS",
]


def reference_counts(texts: list[str]) -> np.ndarray:
    import bpe_openai

    enc = bpe_openai.get_encoding("o200k_base")
    return np.array([len(enc.encode(t)) for t in texts], dtype=np.float64)


def report(sources: list[str], truth: np.ndarray, est: np.ndarray) -> float:
    err = np.abs(est - truth) / np.maximum(truth, 1)
    by: dict[str, list[float]] = defaultdict(list)
    for s, e in zip(sources, err, strict=True):
        by[s.split(":")[0] if not s.startswith("ml:") else s].append(float(e))
    print(f"{'source':<24}{'n':>6}{'median':>9}{'p90':>9}")
    for s in sorted(by):
        v = sorted(by[s])
        print(f"{s:<24}{len(v):>6}{statistics.median(v):>9.1%}{v[int(0.9 * (len(v) - 1))]:>9.1%}")
    med = float(np.median(err))
    print(f"{'ALL':<24}{len(err):>6}{med:>9.1%}{float(np.quantile(err, 0.9)):>9.1%}")
    return med


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fit", action="store_true")
    args = ap.parse_args()
    pairs = corpus()
    sources = [s for s, _ in pairs]
    texts = [t for _, t in pairs]
    truth = reference_counts(texts)
    if not args.fit:
        est = np.array([routecore.estimate_tokens(t) for t in texts], dtype=np.float64)
        med = report(sources, truth, est)
        sys.exit(0 if med <= 0.10 else 1)
    x = np.array([_core._text_counters(t) for t in texts], dtype=np.float64)
    w = 1.0 / np.maximum(truth, 1.0)
    prior = np.ones(x.shape[1])
    lam = 0.05
    a = np.vstack([x * w[:, None], lam * np.eye(x.shape[1])])
    b = np.concatenate([truth * w, lam * prior])
    coef, *_ = np.linalg.lstsq(a, b, rcond=None)
    coef = np.clip(coef, 0.0, None)
    report(sources, truth, x @ coef)
    print("pub const COEF: [f32; idx::N] = [")
    for n, c in zip(NAMES, coef, strict=True):
        print(f"    {c:.4f}, // {n}")
    print("];")


if __name__ == "__main__":
    main()

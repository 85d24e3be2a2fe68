"""Latency of `routecore.scan()` (injection + PII) from Python. Issue #6's target: both scans
together <= 15 us on a 1 KB prompt, linear in length.

Two 1 KB figures, because they differ by a third: the same prompt scanned over and over (the
usual microbenchmark; the CPU's branch predictors learn that one text) and a rotation of
distinct prompts (what a router sees: every turn is new text). The distinct rotation is the
honest one and the one reported. Prompts are cut from the repository's own hand-written,
multilingual prompts (`training/`), so the bench needs no downloaded data. CI gates are far
above the targets so a noisy shared machine does not flake them; `-s` prints the table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import routecore

ROOT = Path(__file__).resolve().parent.parent


def corpus() -> str:
    """Every hand-written prompt in the repository, in file order, one per line."""
    lines = []
    for row in (ROOT / "training/capability/handwritten.tsv").read_text(encoding="utf-8").splitlines():
        if row and not row.startswith("#"):
            lines.append(row.split("\t", 2)[-1].replace("\\n", "\n"))
    for name in ("handwritten_benign.txt", "handwritten_injection.txt"):
        for row in (ROOT / "training/guards" / name).read_text(encoding="utf-8").splitlines():
            if row and not row.startswith("#"):
                lines.append(row.replace("\\n", "\n"))
    return "\n".join(lines)


def chunks(text: str, size: int) -> list[str]:
    """`text` cut into pieces of `size` UTF-8 bytes (rounded up to a char boundary)."""
    data, out, at = text.encode(), [], 0
    while at + size <= len(data):
        end = at + size
        while end < len(data) and data[end] & 0xC0 == 0x80:
            end += 1
        out.append(data[at:end].decode())
        at = end
    return out


TEXT = corpus()
ONE_KB = chunks(TEXT, 1024)


def best_us_per_call(texts: list[str], rounds: int, fn: Callable[[str], object]) -> float:
    """Best of five passes over `texts` (each pass scans each text `rounds` times in rotation)."""
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(rounds):
            for t in texts:
                fn(t)
        best = min(best, (time.perf_counter() - t0) / (rounds * len(texts)))
    return best * 1e6


def test_scan_1kb_distinct_prompts(benchmark: Any) -> None:
    """The reported figure: a rotation of distinct 1 KB prompts, one scan() each."""
    assert len(ONE_KB) >= 100, "the corpus must give 100+ distinct 1 KB prompts"

    def rotation() -> None:
        for t in ONE_KB:
            routecore.scan(t)

    benchmark.group = "guards scan"
    benchmark.pedantic(rotation, rounds=30, iterations=1, warmup_rounds=2)
    per_call = benchmark.stats.stats.median / len(ONE_KB) * 1e6
    same = best_us_per_call(ONE_KB[:1], 2000, routecore.scan)
    dumps = best_us_per_call(ONE_KB[:1], 2000, json.dumps)
    info = {
        "scan_1kb_distinct_us": round(per_call, 2),
        "scan_1kb_same_prompt_us": round(same, 2),
        "json_dumps_1kb_us": round(dumps, 2),
        "prompts": len(ONE_KB),
    }
    benchmark.extra_info.update(info)
    print("\n" + json.dumps(info))
    # Gate far above the measured ~25 us (the shared 2-core CI box runs 2-3x slower at times).
    assert per_call < 150, f"scan of a 1 KB prompt: {per_call:.1f} us"


@pytest.mark.parametrize("kb", [1, 8, 64])
def test_scan_linear_in_length(kb: int) -> None:
    """Cost per KB at 1, 8 and 64 KB on the same corpus (distinct texts at every size; the
    corpus is repeated for 64 KB pieces). Linear means the 64 KB rate stays near the 1 KB one."""
    size = kb * 1024
    text = TEXT * max(1, (8 * size) // len(TEXT.encode()) + 1)
    texts = chunks(text, size)[:8]
    rounds = max(1, 64 // kb)
    per_kb = best_us_per_call(texts, rounds, routecore.scan) / kb
    base = best_us_per_call(ONE_KB[:64], 1, routecore.scan)
    print(f"\nscan at {kb} KB: {per_kb:.2f} us/KB (1 KB distinct: {base:.2f} us/KB)")
    # 64 KB runs ~1.25x the 1 KB rate here: a long text nearly always triggers the quoted-override
    # rerun (at most a second pass). A quadratic step would blow far past 3x.
    assert per_kb < 3.0 * base, f"{kb} KB: {per_kb:.1f} us/KB vs {base:.1f} at 1 KB"

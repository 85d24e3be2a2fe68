"""Evaluation report for the capability classifier on the held-out test split, through the
router itself (the shipped Rust model), next to the keyword baseline on the same rows.

    python -m training.capability.evaluate [--model PATH] [--data my.jsonl] [--sanity-only]

Without --data the report ends with the hand-written sanity set (`sanity.py`).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import tomllib

import routecore

from . import sanity
from .data import CLASSES, Example, examples, split_of, user_examples


def router(classifier: str, model: Path | None = None) -> routecore.Router:
    cfg: dict[str, Any] = tomllib.loads(routecore._core.default_config_toml())
    cfg.pop("tenants", None)  # no budgets: an evaluation routes thousands of requests at once
    cfg.setdefault("routing", {})["classifier"] = classifier
    if model is not None:
        cfg["routing"]["capability_model"] = str(model.resolve())
    return routecore.Router(cfg)


def predict(r: routecore.Router, rows: list[Example]) -> np.ndarray:
    out = []
    for s in range(0, len(rows), 512):
        ds = r.route_batch([e.request() for e in rows[s : s + 512]])
        out += [CLASSES.index(d.capability) for d in ds]
    return np.array(out)


def f1_per_class(y: np.ndarray, p: np.ndarray) -> list[float | None]:
    out: list[float | None] = []
    for c in range(len(CLASSES)):
        tp = float(((p == c) & (y == c)).sum())
        fp = float(((p == c) & (y != c)).sum())
        fn = float(((p != c) & (y == c)).sum())
        out.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None)
    return out


def macro(y: np.ndarray, p: np.ndarray) -> float:
    present = [f for c, f in enumerate(f1_per_class(y, p)) if f is not None and (y == c).any()]
    return float(np.mean(present)) if present else float("nan")


def length_bucket(e: Example) -> str:
    n = len(e.last_user())
    return "<100 B" if n < 100 else "100 B-1 KB" if n < 1000 else "1-5 KB" if n < 5000 else ">5 KB"


def origin(e: Example) -> str:
    if "spoken" in e.tags:
        return "spoken (STT-style)"
    if e.source in ("templated", "multi_turn", "handwritten"):
        return e.source
    return "public"


def _truth_and_predictions(rows: list[Example], model: Path | None) -> tuple[np.ndarray, ...]:
    """Labels, the learned model's predictions and the keyword model's, as class indices."""
    y = np.array([CLASSES.index(e.label) for e in rows])
    return y, predict(router("learned", model), rows), predict(router("keywords"), rows)


def _groups(rows: list[Example], key: Callable[[Example], str]) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(rows):
        groups[key(e)].append(i)
    return groups


def report(rows: list[Example], model: Path | None = None) -> str:
    y, learned, keywords = _truth_and_predictions(rows, model)
    lines = [f"capability: {len(rows)} held-out test examples", ""]
    lines.append(f"macro-F1  learned {macro(y, learned):.3f}   keywords {macro(y, keywords):.3f}")
    lines.append("")
    lines.append(f"{'class':<15} {'n':>5} {'learned F1':>11} {'keywords F1':>12}")
    fl, fk = f1_per_class(y, learned), f1_per_class(y, keywords)
    for c, name in enumerate(CLASSES):
        a, b = fl[c], fk[c]
        lines.append(
            f"{name:<15} {int((y == c).sum()):>5} {a if a is not None else float('nan'):>11.3f} "
            f"{b if b is not None else float('nan'):>12.3f}"
        )
    lines += ["", "confusion (learned; rows = truth, columns = predicted, in class order above):"]
    cm = np.zeros((len(CLASSES), len(CLASSES)), dtype=int)
    for t, p in zip(y, learned, strict=True):
        cm[t, p] += 1
    lines.append("                " + " ".join(f"{n[:5]:>5}" for n in CLASSES))
    for c, name in enumerate(CLASSES):
        lines.append(f"{name:<15} " + " ".join(f"{v:>5}" for v in cm[c]))
    for title, key in (("language", lambda e: e.lang), ("length of the last user turn", length_bucket),
                       ("origin", origin)):  # fmt: skip
        groups = _groups(rows, key)
        lines += ["", f"by {title}: n, macro-F1 learned / keywords, accuracy learned / keywords"]
        for g in sorted(groups, key=lambda g: -len(groups[g])):
            ix = np.array(groups[g])
            lines.append(
                f"  {g:<22} {len(ix):>5}  {macro(y[ix], learned[ix]):.3f} / {macro(y[ix], keywords[ix]):.3f}"
                f"   {(y[ix] == learned[ix]).mean():.3f} / {(y[ix] == keywords[ix]).mean():.3f}"
            )
    return "\n".join(lines)


def sanity_report(rows: list[Example], model: Path | None = None) -> str:
    """Accuracy on the hand-written sanity set, per class, style and language."""
    y, learned, keywords = _truth_and_predictions(rows, model)
    lines = [f"sanity set ({sanity.PATH.name}): {len(rows)} hand-written everyday prompts", ""]
    lines.append(f"accuracy  learned {(y == learned).mean():.3f}   keywords {(y == keywords).mean():.3f}")
    for title, key in (("class", lambda e: e.label), ("style", lambda e: e.tags[1]),
                       ("language", lambda e: e.lang)):  # fmt: skip
        groups = _groups(rows, key)
        lines += ["", f"by {title}: n, accuracy learned / keywords"]
        order = CLASSES if title == "class" else sorted(groups, key=lambda g: (-len(groups[g]), g))
        for g in order:
            ix = np.array(groups[g])
            acc_l, acc_k = (y[ix] == learned[ix]).mean(), (y[ix] == keywords[ix]).mean()
            lines.append(f"  {g:<15} {len(ix):>4}  {acc_l:.3f} / {acc_k:.3f}")
    misses = [i for i in range(len(rows)) if learned[i] != y[i]]
    lines += ["", f"learned misses ({len(misses)}): want -> got, keywords got"]
    for i in misses:
        text = rows[i].last_user().replace("\n", " ")
        want, got, kw = CLASSES[y[i]], CLASSES[learned[i]], CLASSES[keywords[i]]
        lines.append(f"  {want:<14} -> {got:<14} kw {kw:<14} {text[:60]!r}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, help="a capability artifact (default: the shipped one)")
    ap.add_argument("--data", type=Path, help="labeled JSONL to evaluate on (all rows)")
    ap.add_argument("--sanity-only", action="store_true", help="only the sanity set (fast)")
    a = ap.parse_args(argv)
    if a.sanity_only:
        print(sanity_report(sanity.load(), a.model))
        return 0
    rows = user_examples(a.data) if a.data else [e for e in examples() if split_of(e.group) == "test"]
    print(report(rows, a.model))
    if not a.data:
        print()
        print(sanity_report(sanity.load(), a.model))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

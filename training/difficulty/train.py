"""Train the difficulty model and write rust/src/classify/models/difficulty.bin.

    python -m training.difficulty.train            # re-creates the shipped artifact
    python -m training.difficulty.train --check    # verify it would not change

Logistic regression (L2, deterministic L-BFGS) over the router's own hashed features
(`routecore._core._hashed_features`), predicting P(weak fails, strong succeeds).
"""

from __future__ import annotations

import argparse
import hashlib
import sys

import numpy as np
from training.capability import artifact
from training.capability.linear import featurize, train_logistic

from .data import pairs

L2 = 1e-4
ITERS = 200
NAME = "difficulty-v2"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(artifact.MODELS / "difficulty.bin"))
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    train = [p for p in pairs() if p.split == "train"]
    # Each dataset weighs the same in total, so 14k MMLU rows do not drown MT-Bench.
    sizes = {d: sum(p.dataset == d for p in train) for d in {p.dataset for p in train}}
    w = np.array([1000.0 / sizes[p.dataset] for p in train])
    x = featurize([p.request for p in train])
    y = np.array([p.label for p in train])
    print(f"{len(train)} training pairs {dict(sorted(sizes.items()))}", file=sys.stderr)
    weights = train_logistic(x, y, L2, ITERS, w)
    data = artifact.encode(NAME, weights)
    digest = hashlib.sha256(data).hexdigest()
    if a.check:
        with open(a.out, "rb") as f:
            same = f.read() == data
        print(f"{'identical' if same else 'DIFFERENT'}: {a.out} sha256 {digest}")
        return 0 if same else 1
    with open(a.out, "wb") as f:
        f.write(data)
    print(f"wrote {a.out} ({len(data)} bytes) sha256 {digest}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

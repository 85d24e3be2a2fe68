"""Out-of-fold development report on the TRAIN split only (never test).

`dev_report.py` scores the training split with the shipped model, which has seen every
text outside the validation carve (recall 100% there says nothing), and the validation
carve is small (3 bipia_code_clean texts). Here the non-validation training texts are cut
in two folds by hash; a model trained the shipped way on one fold scores the other. Texts
that never train (attacked / asked BIPIA mails and tables) are scored by the model of the
fold their hash picks. The `injection` threshold is picked on these out-of-fold scores the
way `train_injection.py` picks it (1% source-averaged FPR on unseen texts), so rule and
feature changes can be compared on ~9k texts instead of ~1.6k. Half-size models are
weaker than the shipped one: compare runs with each other, not with the test report.

    python training/guards/oof_report.py [--show SOURCE] [--misses N]
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import re
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datasets import examples
from runner import features_many
from train_injection import (
    BOOST,
    INJ_FPR,
    L2,
    LANG_BALANCE_CAP,
    N_BUCKETS,
    UNTRAINED,
    cross_fit_scores,
    is_val,
    sample_weights,
    threshold_at_fpr,
)


def signal_names() -> list[str]:
    """`patterns::SIGNALS`, read from the Rust source: the one list of signal names."""
    src = (Path(__file__).resolve().parents[2] / "rust/src/guards/patterns.rs").read_text(encoding="utf-8")
    body = src.split("pub const SIGNALS: &[&str] = &[", 1)[1].split("];", 1)[0]
    return re.findall(r'"([^"]+)"', body)


SIGNAL_NAMES = signal_names()
S_DOCUMENT = SIGNAL_NAMES.index("document_context")


def fold_of(key: str, seed: str = "") -> int:
    return int(hashlib.sha256(("oof" + seed + key).encode()).hexdigest()[:8], 16) % 2


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--show", default="", help="print errors of sources containing this")
    ap.add_argument("--misses", type=int, default=40)
    ap.add_argument("--chars", type=int, default=300)
    ap.add_argument("--l2", type=float, default=L2)
    ap.add_argument("--boost", action="append", default=[], metavar="SOURCE=W", help="override a weight")
    ap.add_argument("--doc-threshold", action="store_true", help="a second threshold for documents")
    ap.add_argument("--seed", default="", help="another cut into two folds (a second estimate)")
    ap.add_argument("--drop-signal", action="append", default=[], metavar="NAME", help="as if it never fired")
    ap.add_argument("--lang-cap", type=float, default=LANG_BALANCE_CAP, help="language balance cap")
    args = ap.parse_args()
    for kv in args.boost:
        k, v = kv.split("=")
        BOOST[k] = float(v)
    exs = [e for e in examples() if e.split == "train" and not is_val(e.fold_key)]
    data = sorted({(e.source, e.text, e.label, e.fold_key) for e in exs})
    texts = [t for _, t, _, _ in data]
    y = np.array([lab for _, _, lab, _ in data], dtype=np.float64)
    src = [s for s, _, _, _ in data]
    fold = np.array([fold_of(k, args.seed) for *_, k in data])
    trained = np.array([s not in UNTRAINED for s in src])
    feats = features_many(texts)
    drop = {N_BUCKETS + SIGNAL_NAMES.index(n) for n in args.drop_signal}
    feats = [[f for f in fs if f not in drop] for fs in feats] if drop else feats
    sw = sample_weights(src, y, texts, args.lang_cap)  # relative weights only; renormalised per fold below
    s = cross_fit_scores(feats, y, sw, fold, trained, args.l2)
    doc = np.array([N_BUCKETS + S_DOCUMENT in f for f in feats])
    neg = np.flatnonzero((y == 0) & trained)
    thr = np.zeros(len(texts))
    for part in [True, False] if args.doc_threshold else [None]:
        sel = neg if part is None else neg[doc[neg] == part]
        per = collections.Counter(src[i] for i in sel)
        nw = np.array([1.0 / per[src[i]] for i in sel])
        inj = threshold_at_fpr(s[sel], nw, INJ_FPR)
        name = {None: "", True: " (documents)", False: " (other texts)"}[part]
        print(f"out-of-fold injection threshold{name} {inj:.3f} (1% source-averaged FPR)")
        thr[doc == part if part is not None else slice(None)] = inj
    hit = s >= thr
    shown = 0
    for i in np.argsort(-s if args.show else s, kind="stable"):
        if args.show and args.show in src[i] and bool(hit[i]) != bool(y[i]) and shown < args.misses:
            shown += 1
            sig = [SIGNAL_NAMES[k - N_BUCKETS] for k in sorted(set(feats[i])) if k >= N_BUCKETS]
            print(f"--- {src[i]} {s[i]:.3f} {sig}\n{texts[i][: args.chars]}")
    print(f"{'source':28} {'n':>6} {'rate':>7} {'docs':>6} {'doc rate':>8}")
    for lab in (1, 0):
        for name in sorted({x for x, yy in zip(src, y, strict=True) if yy == lab}):
            sel = np.array([x == name for x in src])
            d = sel & doc
            dr = f"{100 * hit[d].mean():7.1f}%" if d.any() else "       -"
            print(
                f"{name:28} {sel.sum():6d} {100 * hit[sel].mean():6.1f}% {d.sum():6d} {dr}"
                f"  {'recall' if lab else 'FPR'}"
            )
    pos = (y == 1) & trained
    print(f"pooled trained: recall {100 * hit[pos].mean():.1f}%, FPR {100 * hit[neg].mean():.2f}%")


if __name__ == "__main__":
    main()

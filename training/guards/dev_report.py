"""Development report on the TRAIN split only (never test): per source, recall / FPR on the
validation carve that `train_injection.py` holds out for thresholds, and on the rest of the
training split (in-sample for the model, but the only place to see rule behaviour on many
texts; attacked BIPIA emails/tables never train the model, so their numbers there are
out-of-sample). Use it to write and check rules; the test split stays for the final report.

    python training/guards/dev_report.py [--show SOURCE] [--part val|fit|all] [--misses N]
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datasets import examples
from runner import scan_many
from train_injection import is_val


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--show", default="", help="print misses / false alarms of sources containing this")
    ap.add_argument("--part", default="all", choices=["val", "fit", "all"])
    ap.add_argument("--misses", type=int, default=40)
    ap.add_argument("--chars", type=int, default=300)
    args = ap.parse_args()
    exs = [e for e in examples() if e.split == "train"]
    res = scan_many([e.text for e in exs])
    rows: dict[tuple[str, str], list[tuple[bool, bool]]] = collections.defaultdict(list)
    shown = 0
    for e, r in zip(exs, res, strict=True):
        part = "val" if is_val(e.fold_key) else "fit"
        v = r["injection"]["verdict"]
        hit = (v == "injection", v != "benign")
        rows[(e.source, part)].append(hit)
        if args.show and args.show in e.source and (args.part == "all" or args.part == part):
            wrong = (not hit[0]) if e.label else hit[0]
            if wrong and shown < args.misses:
                shown += 1
                sc = r["injection"]["score"]
                print(f"--- {e.source} {part} {sc:.3f} {r['injection']['signals']}\n{e.text[: args.chars]}")
    labels = {e.source: e.label for e in exs}
    print(f"{'source':28} {'val n':>6} {'val':>7} {'+susp':>7} {'fit n':>6} {'fit':>7} {'+susp':>7}")
    for lab in (1, 0):
        for s in sorted({k[0] for k in rows if labels[k[0]] == lab}):
            cells = []
            for part in ("val", "fit"):
                h = rows.get((s, part), [])
                n = len(h)
                a = sum(x[0] for x in h) / n if n else float("nan")
                b = sum(x[1] for x in h) / n if n else float("nan")
                cells += [f"{n:6d}", f"{100 * a:6.1f}%", f"{100 * b:6.1f}%"]
            print(f"{s:28} {' '.join(cells)}  {'recall' if lab else 'FPR'}")


if __name__ == "__main__":
    main()

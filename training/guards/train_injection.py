"""Trains the injection model and writes rust/src/guards/injection_model.bin.

Logistic regression over the hashed features the Rust code itself emits (dev CLI
`--features`), so training and inference share one featuriser. Deterministic: sorted
inputs, hash-based folds, full-batch Adam in float64 on one thread, no random init.
Re-running on the same data and the same Rust featuriser reproduces the file bit for bit.

    python training/guards/train_injection.py [--out PATH] [--check]
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import struct
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datasets import examples
from runner import features_many

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "rust/src/guards/injection_model.bin"
N_BUCKETS = 1 << 17
SIGNALS = 25  # len(patterns::SIGNALS)
STRONG = (0, 3, 5, 18)  # patterns::STRONG
STRONG_FLOOR = 0.9
FORMAT_VERSION = 1
FEATURE_VERSION = 2
ITERS = 300
LR = 0.05
# Picked on validation (recall at the injection level; per-source FPRs the same as 1e-3):
# 1e-3 0.889, 3e-3 0.906, 5e-3 0.903, 1e-2 0.909 (arena_hard FPR 0.019 -> 0.038). 1e-5 gave
# the same validation FPR as 1e-3 with larger, less stable weights.
L2 = 3e-3
VAL_PERCENT = 15
CROSS_FOLDS = 5
# Verdict levels: "injection" may block, so it gets the tighter budget; "suspicious" is the
# issue's operating point (FPR <= 3%) for tenants that act on it (`min_verdict`).
# The 1% was re-decided on the out-of-fold scores that set it (session 12, 9,714 benign /
# 2,451 attack texts): source-averaged budget 1.0 / 1.26 / 1.79 / 2.3% -> threshold 0.655 /
# 0.592 / 0.55 / 0.50, pooled recall 88.3 / 90.0 / 90.9 / 91.9%, while the sets already over
# 3% get worse (handwritten_benign 4.6 / 6.6 / 7.7 / 9.1%, mt_bench 1.7 / 1.7 / 6.9 / 10.3%,
# vicuna_bench 1.6 / 3.2 / 3.2 / 4.8%; arena_hard stays 4.7%, scored >= 0.85). Holding
# every benign source <= 3% instead (or at its FPR at the 0.85 cap plus one text) would need
# 0.82 (recall 83%). So recall is bought with fewer false alarms, not with a looser budget.
INJ_FPR = 0.01
SUS_FPR = 0.03
# Attacked BIPIA tables and emails are left out: a 100-char attack inside a 3 KB table is
# noise to the pooled n-grams, and training on them taught the model that "in your reply"
# and tables are attacks (ordinary prompts scored 0.9; both thresholds hit their 0.85 cap).
# The strong `instruction_in_document` rule catches them instead; they are still evaluated.
# The `_asked` look-alikes (a context plus the user's question) are evaluation sets for
# the document rules; they do not train either.
UNTRAINED = (
    "bipia_table_attacked",
    "bipia_email_attacked",
    "bipia_table_asked",
    "bipia_email_asked",
    # Evaluation of the document rules only: as training data (weight 1 or 2) their benign
    # half's model false alarms (non-English mails, code) raised the out-of-fold threshold
    # 0.686 -> 0.776 and cost 3-5 points of recall on every attack set.
    "handwritten_documents_benign",
    "handwritten_documents_attacked",
    # Hand-written lines planted in documents (`datasets._planted`): a check of the document
    # rules on planted texts they were not written on, not model data.
    "planted_benign",
    "planted_attacked",
)


def cross_fold(fold_key: str) -> int:
    """The out-of-fold cut of the training texts outside the validation carve."""
    return int(hashlib.sha256(("cf" + fold_key).encode()).hexdigest()[:8], 16) % CROSS_FOLDS


def is_val(fold_key: str) -> bool:
    """Whether a training text is in the validation carve held out for thresholds."""
    return int(hashlib.sha256(("val" + fold_key).encode()).hexdigest()[:8], 16) % 100 < VAL_PERCENT


def fnv1a(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def design(feats: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """COO matrix with duplicates summed: hashed ids weigh 1/sqrt(n_hashed), signals 1."""
    rows, cols, vals = [], [], []
    strong = np.zeros(len(feats), dtype=bool)
    for i, f in enumerate(feats):
        a = np.asarray(f, dtype=np.int64)
        hashed = a[a < N_BUCKETS]
        sig = a[a >= N_BUCKETS]
        if len(hashed):
            u, c = np.unique(hashed, return_counts=True)
            rows.append(np.full(len(u), i))
            cols.append(u)
            vals.append(c / np.sqrt(len(hashed)))
        if len(sig):
            rows.append(np.full(len(sig), i))
            cols.append(sig)
            vals.append(np.ones(len(sig)))
            strong[i] = bool(np.isin(sig - N_BUCKETS, STRONG).any())
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals).astype(np.float64), strong


def train(rows, cols, vals, y, sw, n, l2=L2, iters=ITERS):
    dim = N_BUCKETS + SIGNALS
    w = np.zeros(dim)
    b = 0.0
    m, v = np.zeros(dim + 1), np.zeros(dim + 1)
    for t in range(1, iters + 1):
        z = b + np.bincount(rows, weights=vals * w[cols], minlength=n)
        p = 1.0 / (1.0 + np.exp(-z))
        r = (p - y) * sw
        g = np.empty(dim + 1)
        g[:dim] = np.bincount(cols, weights=vals * r[rows], minlength=dim) + l2 * w
        g[dim] = r.sum()
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        step = LR * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        w -= step[:dim]
        b -= step[dim]
    return w, b


def quantize(w: np.ndarray) -> tuple[np.ndarray, float]:
    hashed = w[:N_BUCKETS]
    scale = float(np.float32(max(np.abs(hashed).max(), 1e-9) / 127.0))
    q = np.clip(np.rint(hashed / scale), -127, 127).astype(np.int8)
    return q, scale


def score(rows, cols, vals, strong, q, scale, sig_w, bias, n):
    """Mirror of model.rs + injection.rs scoring with the quantised weights."""
    wq = np.concatenate([q.astype(np.float64) * scale, sig_w.astype(np.float64)])
    z = bias + np.bincount(rows, weights=vals * wq[cols], minlength=n)
    s = 1.0 / (1.0 + np.exp(-z))
    return np.where(strong, np.maximum(s, STRONG_FLOOR), s)


def cross_fit_scores(
    feats: list[list[int]],
    y: np.ndarray,
    sw: np.ndarray,
    fold: np.ndarray,
    trainable: np.ndarray,
    l2: float = L2,
    iters: int = ITERS,
) -> np.ndarray:
    """Each text's score by a model that never saw it: for every fold f, a model trained the
    shipped way on the trainable texts outside f scores the texts in f."""
    s = np.zeros(len(feats))
    for f in np.unique(fold):
        fit = np.flatnonzero(trainable & (fold != f))
        rows, cols, vals, _ = design([feats[i] for i in fit])
        w, b = train(rows, cols, vals, y[fit], sw[fit] / sw[fit].mean(), len(fit), l2, iters)
        q, scale = quantize(w)
        held = np.flatnonzero(fold == f)
        hr, hc, hv, hs = design([feats[i] for i in held])
        s[held] = score(hr, hc, hv, hs, q, scale, w[N_BUCKETS:].astype(np.float32), b, len(held))
    return s


def threshold_at_fpr(neg_scores: np.ndarray, neg_weight: np.ndarray, fpr: float) -> float:
    """Lowest threshold whose weighted false-positive rate stays <= fpr, kept in [0.3, 0.85]."""
    order = np.argsort(-neg_scores, kind="stable")
    s, w = neg_scores[order], neg_weight[order] / neg_weight.sum()
    over = np.cumsum(w) > fpr + 1e-12  # flagging s[:k+1] would exceed the budget
    k = int(np.argmax(over)) if over.any() else len(s)
    t = s[k] + 1e-4 if k < len(s) else 0.5
    return float(min(max(t, 0.3), 0.85))


# Long benign prompts are scarce (arena_hard) and hand-written look-alikes are the
# hardest negatives: both count double. So do ordinary open questions (the model had
# learned JailbreakBench's topic words: "explain … ethical implications" scored 0.99).
# JailbreakBench counted half until the adversarial_suffix signal: at full weight the
# validation recall is 0.889 instead of 0.869 at the same validation FPR (0.009).
BOOST = {
    "arena_hard": 2.0,
    "handwritten_benign": 2.0,
    "handwritten_injection": 2.0,
    "vicuna_bench": 2.0,
    "self_instruct": 2.0,
    "mt_bench": 2.0,
    "mmlu": 2.0,
    "llmrouter_9model": 2.0,
    "jailbreakbench": 1.0,
    # The strong rules catch the attacked BIPIA code answers (47/47 on the training split);
    # at full weight the model learned forum-answer n-grams as attack evidence (fenced code
    # answers scored 0.8-0.99). Out of fold (oof_report.py), weight 1 / 0.5 / 0.3 / 0.1 / 0:
    # handwritten_benign FPR 7.4 / 7.0 / 6.6 / 6.2 / 7.0%, handwritten_injection recall
    # 67.1 / 66.4 / 67.9 / 65.7 / 69.3%, bipia_code_attacked 100% except 93.6% at 0.
    "bipia_code_attacked": 0.3,
    # The capability classifier's hand-written prompts (~1,000 outside English) teach that
    # a non-English question is not an attack. Out of fold, weight 1 / 0.5 / 0.3 / 0.2:
    # cyberseceval_multilingual recall 80.0 / 81.2 / 81.7 / 81.5% (81.7 without the set),
    # handwritten_injection 67.6 / 68.6 / 69.2 / 69.2%, handwritten_benign FPR 4.3 / 4.3 /
    # 4.6 / 4.6% (7.5 without the set). At weight 1 the test split's multilingual recall
    # fell 93.8 -> 87.9%.
    "capability_handwritten": 0.3,
}


# Scripts told apart by one Unicode block each, then Latin-script languages by their
# commonest short words (weighting only: a wrong guess costs a little balance, nothing more).
SCRIPTS = (
    # Bengali before Devanagari: Bengali text ends sentences with the Devanagari danda.
    ("bn", 0x0980, 0x09FF),
    ("hi", 0x0900, 0x097F),
    ("th", 0x0E00, 0x0E7F),
    ("ar", 0x0600, 0x06FF),
    ("ru", 0x0400, 0x04FF),
    ("ja", 0x3040, 0x30FF),
    ("ko", 0xAC00, 0xD7AF),
    ("zh", 0x4E00, 0x9FFF),
)
LATIN_WORDS = {
    "pt": {"não", "você", "uma", "é", "para", "com", "seu", "sua", "como", "isso", "está", "os", "meu"},
    "es": {"el", "los", "una", "es", "para", "con", "tu", "su", "cómo", "qué", "por", "las", "mi"},
    "fr": {"le", "les", "une", "est", "pour", "avec", "vous", "tu", "ton", "votre", "des", "je", "ce"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "du", "ich", "sie", "mit", "ein", "eine", "dein"},
    "it": {"il", "gli", "una", "è", "per", "con", "tuo", "che", "non", "della", "sono", "mi", "di"},
    "id": {"yang", "dan", "saya", "anda", "ini", "itu", "untuk", "dengan", "tidak", "apa", "kamu"},
    "tr": {"bir", "ve", "bu", "için", "ne", "mi", "bana", "sen", "ben", "değil", "nasıl"},
    "vi": {"của", "và", "là", "không", "cho", "với", "tôi", "bạn", "này", "các", "những"},
    "tl": {"ang", "ng", "mga", "sa", "ko", "mo", "ako", "ikaw", "hindi", "na", "ay"},
}


def language_of(text: str) -> str:
    """A rough language tag for weighting: the script for non-Latin text, else the Latin
    language whose short words occur most (two at least), else "en"."""
    for name, lo, hi in SCRIPTS:
        if any(lo <= ord(c) <= hi for c in text[:2000]):
            return name
    words = text[:2000].lower().split()
    best, hits = "en", 1
    for name, vocab in LATIN_WORDS.items():
        n = sum(w.strip(".,;:!?¿¡\"'()") in vocab for w in words)
        if n > hits:
            best, hits = name, n
    return best


# Languages other than English are balanced: their benign texts together weigh at least as
# much as their attacks. A quarter of CyberSecEval's translated attacks are Hindi, and
# JailbreakBench holds ~100 Hindi and Chinese translations, against a few dozen benign
# Hindi prompts: out of fold the model read Devanagari as an attack (a birthday-party
# question scored 0.87).
LANG_BALANCE_CAP = 8.0


def sample_weights(
    src: list[str], y: np.ndarray, texts: list[str] | None = None, lang_cap: float = LANG_BALANCE_CAP
) -> np.ndarray:
    """Per-text training weight (positives and negatives weigh the same in total)."""
    # Each source weighs ~sqrt(size); positives and negatives weigh the same in total.
    counts: dict[str, int] = {}
    for s in src:
        counts[s] = counts.get(s, 0) + 1
    sw = np.array([BOOST.get(s, 1.0) / np.sqrt(counts[s]) for s in src])
    for lab in (0, 1):
        sel = y == lab
        sw[sel] *= 0.5 * len(y) / sw[sel].sum()
    if texts is not None and lang_cap > 1:
        lang = np.array([language_of(t) for t in texts])
        for name in sorted(set(lang) - {"en"}):
            pos, neg = (lang == name) & (y == 1), (lang == name) & (y == 0)
            p, n = sw[pos].sum(), sw[neg].sum()
            if n > 0 and p > n:
                sw[neg] *= min(p / n, lang_cap)
        sel = y == 0
        sw[sel] *= 0.5 * len(y) / sw[sel].sum()
    return sw


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--check", action="store_true", help="verify the output file would not change")
    # Experiments only; the shipped model uses the defaults.
    ap.add_argument("--l2", type=float, default=L2)
    ap.add_argument("--iters", type=int, default=ITERS)
    ap.add_argument("--show-val", type=int, default=0, metavar="N", help="print N worst validation texts")
    args = ap.parse_args()
    keep = [e for e in examples() if e.split == "train" and e.source not in UNTRAINED]
    data = sorted({(e.source, e.text, e.label, e.fold_key) for e in keep})
    texts = [t for _, t, _, _ in data]
    y = np.array([lab for _, _, lab, _ in data], dtype=np.float64)
    src = [s for s, _, _, _ in data]
    val = np.array([is_val(k) for *_, k in data])
    print(
        f"{len(texts)} train texts ({int(y.sum())} positive), {int(val.sum())} held for thresholds",
        file=sys.stderr,
    )
    feats = features_many(texts)
    sw = sample_weights(src, y, texts)
    fit = np.flatnonzero(~val)
    rows, cols, vals, _ = design([feats[i] for i in fit])
    w, b = train(rows, cols, vals, y[fit], sw[fit] / sw[fit].mean(), len(fit), args.l2, args.iters)
    q, scale = quantize(w)
    sig_w = w[N_BUCKETS:].astype(np.float32)
    hold = np.flatnonzero(val)
    vr, vc, vv, vs = design([feats[i] for i in hold])
    s = score(vr, vc, vv, vs, q, scale, sig_w, b, len(hold))
    yv = y[hold]
    # Thresholds, per verdict level, on scores of texts the scoring model never saw: the
    # validation carve (by the shipped model) and the rest of the training split out of
    # fold (CROSS_FOLDS models, each trained the shipped way on the other folds). The carve
    # alone gave 3-9 texts of the small sources, so one vicuna_bench prompt at 0.593 set the
    # threshold (0.592) by itself, and a merge that moved it 0.555 -> 0.592 moved the test
    # recall of whole sets by a point. Each benign source weighs the same (1/its size):
    # pooled, the thousands of easy CLINC/Banking77 commands hid a 14% FPR on MT-Bench.
    cf = cross_fit_scores(
        feats, y, sw, np.array([cross_fold(k) for *_, k in data]), ~val, args.l2, args.iters
    )
    cf[hold] = s
    neg_all = np.flatnonzero(y == 0)
    per_all = collections.Counter(src[i] for i in neg_all)
    w_all = np.array([1.0 / per_all[src[i]] for i in neg_all])
    inj = threshold_at_fpr(cf[neg_all], w_all, INJ_FPR)
    sus = min(threshold_at_fpr(cf[neg_all], w_all, SUS_FPR), inj)
    print(
        f"thresholds on {len(neg_all)} unseen benign scores (validation + {CROSS_FOLDS}-fold "
        f"out-of-fold): out-of-fold recall {float((cf[y == 1] >= inj).mean()):.3f}",
        file=sys.stderr,
    )
    hsrc = [src[i] for i in hold]
    neg = np.flatnonzero(yv == 0)
    per = {k: sum(1 for i in neg if hsrc[i] == k) for k in {hsrc[i] for i in neg}}
    nw = np.array([1.0 / per[hsrc[i]] for i in neg])
    rec = float((s[yv == 1] >= inj).mean())
    fpr = float(nw[s[neg] >= inj].sum() / nw.sum())
    print(
        f"validation: recall {rec:.3f} at source-averaged FPR {fpr:.3f} "
        f"(injection >= {inj:.3f}, suspicious >= {sus:.3f})",
        file=sys.stderr,
    )
    for k in sorted(per):
        sel = [j for j, i in enumerate(neg) if hsrc[i] == k]
        print(f"  val {k:26} n={len(sel):4} FPR {np.mean(s[neg][sel] >= inj):.3f}", file=sys.stderr)
    if args.show_val:
        pos = np.flatnonzero(yv == 1)
        worst = [(s[i], "FP ", i) for i in neg[np.argsort(-s[neg], kind="stable")][: args.show_val]]
        worst += [(s[i], "FN ", i) for i in pos[np.argsort(s[pos], kind="stable")][: args.show_val]]
        for sc, kind, i in worst:
            print(f"  {kind}{sc:.3f} {hsrc[i]:22} {texts[hold[i]][:100]!r}", file=sys.stderr)
    body = b"RCIM" + struct.pack("<IIII", FORMAT_VERSION, FEATURE_VERSION, N_BUCKETS, SIGNALS)
    body += struct.pack("<ffff", scale, b, sus, inj)
    body += struct.pack(f"<{SIGNALS}f", *sig_w.tolist())
    body += q.tobytes()
    blob = body + struct.pack("<Q", fnv1a(body))
    if args.check:
        out = Path(args.out)
        same = out.exists() and out.read_bytes() == blob
        print(f"{'identical' if same else 'DIFFERENT'}: {out} sha256 {hashlib.sha256(blob).hexdigest()}")
        raise SystemExit(0 if same else 1)
    Path(args.out).write_bytes(blob)
    print(
        f"wrote {args.out}: {len(blob)} bytes, sha256 {hashlib.sha256(blob).hexdigest()[:16]}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()

"""Evaluation report for the input guards (issue #6).

    python training/guards/eval_guards.py [--detail]

Uses `routecore.scan` when the bindings are built, else the dev CLI named by
$ROUTECORE_GUARDS_BIN (see runner.py). Prints:
  1. injection recall / false-positive rate per source on held-out test splits
     (never trained on) and on evaluation-only sets (NC licence, plain harmful asks);
  2. PII precision / recall per entity type on presidio_synth_pii (all 1,500 rows:
     the PII detectors are rules, nothing was fitted on them) and on a synthetic
     secrets fixture; PERSON on WNUT-17's human-annotated tweets (all splits); PII hits per
     1,000 benign prompts as a false-alarm gauge;
  3. latency per KB (scan + redact) from the Rust side.
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from datasets import DATA, examples
from runner import backend, bench_many, scan_many

PRESIDIO_MAP = {
    "EMAIL": "EMAIL_ADDRESS",
    "PHONE": "PHONE_NUMBER",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN": "IBAN_CODE",
    "US_SSN": "US_SSN",
    "IP_ADDRESS": "IP_ADDRESS",
    "PERSON": "PERSON",
    "STREET_ADDRESS": "STREET_ADDRESS",
    "DATE_OF_BIRTH": "DATE_TIME",
}
# Gold types we target; DATE_TIME only counts dates of birth, so its recall is not a goal.
TARGET_TYPES = [
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "IP_ADDRESS",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "PERSON",
    "STREET_ADDRESS",
]


def injection_report(detail: bool) -> None:
    exs = [e for e in examples() if e.split in ("test", "eval_only")]
    res = scan_many([e.text for e in exs])
    rows: dict[tuple[str, str, int], list[tuple[bool, bool]]] = collections.defaultdict(list)
    groups: dict[tuple[str, str], list[bool]] = collections.defaultdict(list)
    for e, r in zip(exs, res, strict=False):
        v = r["injection"]["verdict"]
        rows[(e.source, e.split, e.label)].append((v == "injection", v != "benign"))
        if e.group:
            groups[(e.source, e.group)].append(v == "injection")
    print("\n## Injection (verdict == injection; '+susp' also counts suspicious)\n")
    print(f"{'source':32} {'split':9} {'n':>5}  {'metric':7} {'rate':>6} {'+susp':>6}")
    pooled = {0: [], 1: []}
    for (src, split, lab), v in sorted(rows.items(), key=lambda kv: (-kv[0][2], kv[0][0])):
        metric = (
            "recall"
            if lab == 1
            else ("flag" if src in ("xstest_unsafe", "jbb_goals_plain_harmful") else "FPR")
        )
        inj = sum(a for a, _ in v) / len(v)
        sus = sum(b for _, b in v) / len(v)
        print(f"{src:32} {split:9} {len(v):5}  {metric:7} {inj:6.1%} {sus:6.1%}")
        if split == "test":
            pooled[lab].extend(a for a, _ in v)
    print(
        f"\npooled test: recall {sum(pooled[1]) / len(pooled[1]):.1%} (n={len(pooled[1])}), "
        f"FPR {sum(pooled[0]) / len(pooled[0]):.1%} (n={len(pooled[0])})"
    )
    if detail:
        print("\nper group (test/eval rows):")
        for (src, g), v in sorted(groups.items()):
            print(f"  {src:28} {g[:34]:34} n={len(v):4} flagged {sum(v) / len(v):6.1%}")


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def presidio_report() -> None:
    rows = [
        json.loads(line)
        for line in (DATA / "presidio_synth_pii/synth_dataset_v2.jsonl").open(encoding="utf-8")
    ]
    res = scan_many([r["full_text"] for r in rows])
    tp_p, fp, tp_r, fn, exact = (collections.Counter() for _ in range(5))
    for r, out in zip(rows, res, strict=False):
        gold = [(s["start_position"], s["end_position"], s["entity_type"]) for s in r["spans"]]
        pred = [(s, e, PRESIDIO_MAP.get(k, k)) for s, e, k in out["pii"]]
        for s, e, k in pred:
            if any(_overlaps((s, e), (gs, ge)) and gk == k for gs, ge, gk in gold):
                tp_p[k] += 1
            else:
                fp[k] += 1
        for gs, ge, gk in gold:
            hit = [(s, e) for s, e, k in pred if k == gk and _overlaps((s, e), (gs, ge))]
            if hit:
                tp_r[gk] += 1
                exact[gk] += int((gs, ge) in hit)
            else:
                fn[gk] += 1
    print(
        "\n## PII on presidio_synth_pii (1,500 rows; "
        "a prediction counts if it overlaps a gold span of its type)\n"
    )
    print(f"{'type':16} {'gold':>5} {'pred':>5} {'precision':>9} {'recall':>7} {'exact':>6}")
    for k in [*TARGET_TYPES, "DATE_TIME"]:
        n_gold = tp_r[k] + fn[k]
        n_pred = tp_p[k] + fp[k]
        p = tp_p[k] / n_pred if n_pred else float("nan")
        rc = tp_r[k] / n_gold if n_gold else float("nan")
        ex = exact[k] / tp_r[k] if tp_r[k] else float("nan")
        print(f"{k:16} {n_gold:5} {n_pred:5} {p:9.1%} {rc:7.1%} {ex:6.1%}")


def wnut_person_report() -> None:
    """PERSON spans on WNUT-17 (tweets, Reddit, YouTube comments; human-annotated, CC BY 4.0):
    real text, unlike presidio's templates. Tokens are joined by single spaces; a prediction
    counts if it overlaps a gold `person` span. Annotators also tag bands and characters as
    other types, so part of the "false" predictions are people too."""
    texts, golds = [], []
    for split in ("train", "dev", "test"):
        for line in (DATA / f"wnut17/{split}.jsonl").open(encoding="utf-8"):
            r = json.loads(line)
            spans: list[list[int]] = []
            pos, inside = 0, False
            for tok, tag in zip(r["tokens"], r["ner_tags"], strict=True):
                if tag == "B-person" or (tag == "I-person" and not inside):
                    spans.append([pos, pos + len(tok)])
                elif tag == "I-person":
                    spans[-1][1] = pos + len(tok)
                inside = tag.endswith("-person")
                pos += len(tok) + 1
            texts.append(" ".join(r["tokens"]))
            golds.append(spans)
    res = scan_many(texts)
    tp = fp = found = 0
    for gold, out in zip(golds, res, strict=True):
        pred = [(s, e) for s, e, k in out["pii"] if k == "PERSON"]
        tp += sum(1 for p in pred if any(_overlaps(p, (g[0], g[1])) for g in gold))
        fp += sum(1 for p in pred if not any(_overlaps(p, (g[0], g[1])) for g in gold))
        found += sum(1 for g in gold if any(_overlaps(p, (g[0], g[1])) for p in pred))
    n = sum(len(g) for g in golds)
    print(f"\n## PERSON on WNUT-17 ({len(texts)} human-annotated posts, {n} person spans)\n")
    print(f"precision {tp / max(1, tp + fp):.1%} ({tp + fp} predicted), recall {found / max(1, n):.1%}")


def _secret_fixture() -> list[tuple[str, str | None, str]]:
    """(text, expected kind or None, secret) built from a fixed seed."""
    rnd = random.Random(6)
    an = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

    def tok(n: int, alphabet: str = an) -> str:
        return "".join(rnd.choice(alphabet) for _ in range(n))

    makers = [
        ("API_KEY", lambda: "sk-" + tok(48)),
        ("API_KEY", lambda: "sk-proj-" + tok(64)),
        ("API_KEY", lambda: "sk-ant-api03-" + tok(80) + "AA"),
        ("API_KEY", lambda: "AKIA" + tok(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")),
        ("API_KEY", lambda: "ghp_" + tok(36)),
        ("API_KEY", lambda: "github_pat_" + tok(22) + "_" + tok(59)),
        ("API_KEY", lambda: "xoxb-" + tok(11, "0123456789") + "-" + tok(12, "0123456789") + "-" + tok(24)),
        ("API_KEY", lambda: "AIza" + tok(35)),
        ("JWT", lambda: "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + "eyJ" + tok(40) + "." + tok(43)),
    ]
    frames = [
        "my key is {}",
        "export OPENAI_API_KEY={}",
        "use `{}` for auth",
        "token: {} (do not share)",
        "curl -H 'x: {}' https://api.example.com",
    ]
    out: list[tuple[str, str | None, str]] = []
    for i in range(300):
        kind, mk = makers[i % len(makers)]
        s = mk()
        out.append((frames[i % len(frames)].format(s), kind, s))
    for _ in range(100):
        s = "Bearer " + tok(40)
        out.append((f"Authorization: {s}", "BEARER_TOKEN", s[7:]))
    look = [
        "I use sk-learn pipelines",
        "the ASIA region",
        "skills: sk-ateboarding",
        "order AKIA-123",
        "ghp_ is GitHub's prefix",
        "eyJ is how base64 JSON starts",
        "Bearer token auth explained",
        "xoxb tokens are Slack bot tokens",
    ]
    out.extend((t, None, "") for t in look)
    return out


def secrets_report() -> None:
    fx = _secret_fixture()
    res = scan_many([t for t, _, _ in fx])
    by = collections.defaultdict(lambda: [0, 0])
    false_alarms = 0
    for (text, kind, secret), out in zip(fx, res, strict=False):
        if kind is None:
            false_alarms += len(out["pii"])
            continue
        start = text.find(secret)
        hit = any(k == kind and s <= start and e >= start + len(secret) for s, e, k in out["pii"])
        by[kind][0] += int(hit)
        by[kind][1] += 1
    print("\n## Secrets fixture (seeded synthetic keys; full-span match)\n")
    for k, (h, n) in sorted(by.items()):
        print(f"{k:14} recall {h / n:6.1%} (n={n})")
    print(f"look-alikes: {false_alarms} false alarms in {sum(1 for _, k, _ in fx if k is None)} texts")


def benign_pii_pressure() -> None:
    exs = [
        e
        for e in examples()
        if e.source
        in (
            "mt_bench",
            "vicuna_bench",
            "arena_hard",
            "self_instruct",
            "xstest_safe",
            "humaneval",
            "banking77",
            "clinc150",
        )
    ]
    res = scan_many([e.text for e in exs])
    c = collections.Counter(k for r in res for _, _, k in r["pii"])
    print(f"\n## PII hits on {len(exs)} benign prompts (per 1,000 prompts; most are false alarms)\n")
    print(", ".join(f"{k} {1000 * v / len(exs):.1f}" for k, v in c.most_common()) or "none")


def _bench_routecore(texts: list[str]) -> list[dict[str, float]]:
    """scan() timed from Python, best of five runs; json.dumps of the same text is printed
    beside it as a gauge of how loaded the (shared) machine is."""
    import routecore

    out = []
    for t in texts:
        n = max(20, 20_000 // max(1, len(t) // 100))
        best = float("inf")
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(n):
                routecore.scan(t)
            best = min(best, (time.perf_counter() - t0) / n)
        out.append({"us": best * 1e6, "bytes": float(len(t.encode()))})
    t = texts[0]
    t0 = time.perf_counter()
    for _ in range(20_000):
        json.dumps(t)
    print(f"\n(load gauge: json.dumps of a 1 KB text {(time.perf_counter() - t0) / 20_000 * 1e6:.2f} us)")
    return out


def latency_report() -> None:
    prompts = [
        json.loads(line)["prompt"]
        for line in (DATA / "arena_hard_v01/questions.jsonl").open(encoding="utf-8")
    ]
    blob = "\n".join(prompts)
    sizes = (1, 8, 64)
    texts = []
    for kb in sizes:
        for i in range(5):
            start = (i * 7919 * kb) % max(1, len(blob) - kb * 1024)
            texts.append(blob[start : start + kb * 1024])
    if backend() == "routecore":
        res = _bench_routecore(texts)
        print("\n## Latency: routecore.scan() per call from Python (best of 5 runs, arena_hard text)\n")
    else:
        res = bench_many(texts)
        print("\n## Latency: scan() + redact() per call, Rust side (dev CLI --bench, arena_hard text)\n")
    for j, kb in enumerate(sizes):
        sel = res[5 * j : 5 * j + 5]
        us = sum(r["us"] for r in sel) / len(sel)
        kbs = sum(r["bytes"] for r in sel) / len(sel) / 1024
        print(f"{kb:3} KB prompts: {us:9.1f} us per call, {us / kbs:6.1f} us/KB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--detail", action="store_true", help="per-variant / per-language breakdown")
    ap.add_argument("--skip-latency", action="store_true")
    args = ap.parse_args()
    print(f"# routecore guards evaluation (backend: {backend()})")
    injection_report(args.detail)
    presidio_report()
    wnut_person_report()
    secrets_report()
    benign_pii_pressure()
    if not args.skip_latency:
        latency_report()


if __name__ == "__main__":
    main()

"""Cost-quality report for the difficulty score on the held-out split, RouteLLM-style.

    python -m training.difficulty.evaluate

For each dataset (MT-Bench, MMLU, GSM8K; GPT-4-1106 strong vs Mixtral-8x7B weak), requests are
sent to the strong model when the router's difficulty score is above a threshold; sweeping it
traces quality against the share of strong calls. PGR = (quality - weak) / (strong - weak);
APGR = its area over the strong-call share; CPT(x%) = the strong-call share needed for PGR >= x.
A random router has APGR 0.5 and CPT(x%) = x%. The scores come from the router itself
(`Decision.to_dict()["complexity_components"]["difficulty"]`).
"""

from __future__ import annotations

import numpy as np
from training.capability.evaluate import router

from .data import Pair, pairs

# RouteLLM's headline claims (Ong et al. 2024, GPT-4 vs Mixtral, best routers, trained with
# augmented preference data), for comparison.
ROUTELLM = {
    "mt_bench": "~25% GPT-4 calls reach GPT-4-level quality; up to 70% cheaper than random",
    "mmlu": "up to 30% cheaper than random at equal quality",
    "gsm8k": "up to 40% cheaper than random at equal quality",
}


def scores(reqs: list[object]) -> np.ndarray:
    r = router("keywords")
    out: list[float] = []
    for s in range(0, len(reqs), 512):
        for d in r.route_batch(list(reqs[s : s + 512])):  # type: ignore[arg-type]
            out.append(d.to_dict()["complexity_components"]["difficulty"])
    return np.array(out)


def curve(s: np.ndarray, weak: np.ndarray, strong: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(strong-call share, PGR) for every cut of the score-sorted list (ties broken by index)."""
    order = np.lexsort((np.arange(len(s)), -s))
    gain = np.r_[0.0, np.cumsum((strong - weak)[order])]
    q = (weak.sum() + gain) / len(s)
    qw, qs = weak.mean(), strong.mean()
    pgr = (q - qw) / (qs - qw)
    share = np.arange(len(s) + 1) / len(s)
    return share, pgr


def cpt(share: np.ndarray, pgr: np.ndarray, x: float) -> float:
    ok = np.nonzero(pgr >= x)[0]
    return float(share[ok[0]]) if len(ok) else float("nan")


def report(rows: list[Pair]) -> str:
    s = scores([p.request for p in rows])
    lines = ["difficulty: held-out test split, strong = GPT-4-1106, weak = Mixtral-8x7B", ""]
    lines.append(
        f"{'dataset':<9} {'n':>5} {'weak':>6} {'strong':>6}  {'APGR':>5} {'(rand)':>6}  "
        f"{'CPT50':>6} {'CPT80':>6} {'(rand 50/80)':>12}  cost cut vs random @PGR 0.5 / 0.8"
    )
    for ds in ("mt_bench", "mmlu", "gsm8k"):
        ix = np.array([i for i, p in enumerate(rows) if p.dataset == ds])
        weak = np.array([rows[i].weak for i in ix])
        strong = np.array([rows[i].strong for i in ix])
        share, pgr = curve(s[ix], weak, strong)
        apgr = float(np.sum((pgr[1:] + pgr[:-1]) / 2 * np.diff(share)))
        c50, c80 = cpt(share, pgr, 0.5), cpt(share, pgr, 0.8)
        lines.append(
            f"{ds:<9} {len(ix):>5} {weak.mean():>6.3f} {strong.mean():>6.3f}  {apgr:>5.3f} {'0.500':>6}  "
            f"{c50:>6.1%} {c80:>6.1%} {'50% / 80%':>12}  {1 - c50 / 0.5:>6.1%} / {1 - c80 / 0.8:.1%}"
        )
    lines += ["", "RouteLLM, for reference:"] + [f"  {k}: {v}" for k, v in ROUTELLM.items()]
    return "\n".join(lines)


def main() -> int:
    rows = [p for p in pairs() if p.split == "test" and p.dataset != "llmrouter"]
    print(report(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

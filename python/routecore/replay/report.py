"""Text report and PNG plot of a replay."""

from __future__ import annotations

from pathlib import Path

from .simulate import PolicyResult, Replay

__all__ = ["format_report", "plot"]


def _row(p: PolicyResult, deadline: bool) -> str:
    miss = f"{p.deadline_misses:>7}" if deadline else f"{'-':>7}"
    return (
        f"{p.name[:52]:<52}{p.quality:>9.3f}{p.cost_usd:>12.4f}{p.cost_per_1k:>11.4f}"
        f"{p.latency_p50_ms:>9.0f}{p.latency_p95_ms:>9.0f}{miss}"
    )


def format_report(r: Replay, *, deadline: bool) -> str:
    head = (
        f"{'policy':<52}{'quality':>9}{'cost $':>12}{'$/1k req':>11}{'p50 ms':>9}{'p95 ms':>9}{'misses':>7}"
    )
    lines = [f"replayed {r.router.n} records ({r.skipped} skipped: routed model had no outcome)", head]
    for p in (r.router, r.cheapest, r.strongest, r.random_equal_cost, r.oracle):
        lines.append(_row(p, deadline))
    lines.append("")
    lines.append(
        f"routecore recovers {r.gap_recovered:.0%} of the cheapest→strongest quality gap "
        f"at {r.saving_vs_strongest:.0%} lower cost than always-{r.strongest.name}; "
        f"random at the same cost would score {r.random_equal_cost.quality:.3f}."
    )
    lines.append("tier mix: " + ", ".join(f"T{t} {s:.0%}" for t, s in r.router.tier_mix.items()))
    lines.append("model mix: " + ", ".join(f"{m} {s:.0%}" for m, s in r.router.model_mix.items()))
    lines.append(
        "per model: " + "; ".join(f"{p.name} q={p.quality:.3f} ${p.cost_usd:.4f}" for p in r.per_model)
    )
    lines.append(
        "cost–quality curve (cost $, quality): " + ", ".join(f"({c:.4f}, {q:.3f})" for _, c, q in r.curve)
    )
    return "\n".join(lines)


def plot(r: Replay, path: str | Path) -> None:
    """Cost–quality curve with the reference policies, as a PNG (needs matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - depends on the environment
        raise SystemExit("routecore replay --plot needs matplotlib: pip install 'routecore[plot]'") from None
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    pts = sorted((c, q) for _, c, q in r.curve)
    ax.plot([c for c, _ in pts], [q for _, q in pts], "-o", ms=3, label="routecore (threshold sweep)")
    ax.plot(
        [r.cheapest.cost_usd, r.strongest.cost_usd],
        [r.cheapest.quality, r.strongest.quality],
        "--",
        color="grey",
        label="random mix",
    )
    for p, m in ((r.router, "*"), (r.cheapest, "s"), (r.strongest, "^"), (r.oracle, "D")):
        ax.scatter([p.cost_usd], [p.quality], marker=m, s=70, zorder=3, label=p.name)
    ax.set_xlabel("total cost (USD)")
    ax.set_ylabel("mean quality")
    ax.set_title("routecore replay: cost vs quality")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)

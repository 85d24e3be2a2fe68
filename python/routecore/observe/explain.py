"""`routecore explain`: a person-readable account of one decision record."""

from __future__ import annotations

from typing import Any

__all__ = ["explain"]


def explain(r: dict[str, Any]) -> str:
    d = r.get("decision", {})
    comp = d.get("complexity_components", {})
    lines = [
        f"request {r.get('request_id')} (tenant {r.get('tenant') or 'default'}) "
        f"— outcome: {r.get('outcome')}",
        f"  what it looked like: {d.get('capability')} (confidence {d.get('capability_confidence', 0):.2f}), "
        f"~{d.get('input_tokens')} input tokens, {r.get('features', {}).get('turns', 0):.0f} turn(s)",
        f"  how hard: complexity {d.get('complexity', 0):.1f}/100 from "
        + ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in comp.items()),
        f"  decision: {d.get('model')} at tier {d.get('tier')} ({d.get('tier_name')}), "
        f"est. ${d.get('estimated_cost_usd', 0):.6f}; "
        f"fallbacks: {', '.join(d.get('fallbacks', [])) or 'none'}",
        "  why:",
    ]
    lines += [f"    - {reason}" for reason in r.get("reasons", [])]
    attempts = r.get("attempts") or []
    if attempts:
        lines.append("  attempts:")
        for i, a in enumerate(attempts, 1):
            extra = f", ttft {a['ttft_ms']:.0f} ms" if a.get("ttft_ms") is not None else ""
            err = (
                f" ({a.get('error_kind')}: {a.get('detail') or a.get('error_type')})"
                if a.get("error_kind")
                else ""
            )
            hedge = " [hedge]" if a.get("hedge") else ""
            lines.append(f"    {i}. {a.get('model')}{hedge}: {a.get('outcome')}{err}{extra}")
    if r.get("served_by"):
        usage = r.get("usage") or {}
        cost = f", cost ${r['cost_usd']:.6f}" if r.get("cost_usd") is not None else ""
        lat = f"{r['latency_ms']:.0f} ms" if r.get("latency_ms") is not None else "?"
        lines.append(
            f"  served by {r['served_by']} in {lat}, "
            f"{usage.get('input_tokens', '?')} in / {usage.get('output_tokens', '?')} out tokens{cost}"
        )
    if r.get("error"):
        lines.append(f"  failed: {r['error'].get('type')}: {r['error'].get('message')}")
    return "\n".join(lines)

"""Runs the Rust guards on many texts: `routecore.scan` when the bindings are built,
else the dev CLI (`scan_jsonl` example) named by $ROUTECORE_GUARDS_BIN."""

from __future__ import annotations

import json
import os
import subprocess
from typing import Any

DEFAULT_BIN = "/work/guards_dev/target/release/examples/scan_jsonl"


def _bin() -> str:
    path = os.environ.get("ROUTECORE_GUARDS_BIN", DEFAULT_BIN)
    if not os.path.exists(path):
        raise SystemExit(
            f"guards CLI not found at {path}: build it (cargo build --release --example scan_jsonl) "
            "or set ROUTECORE_GUARDS_BIN"
        )
    return path


def _cli(texts: list[str], mode: str | None = None) -> list[dict[str, Any]]:
    data = "".join(json.dumps({"text": t}) + "\n" for t in texts)
    args = [_bin()] + ([mode] if mode else [])
    out = subprocess.run(args, input=data.encode(), capture_output=True, check=True).stdout
    rows = [json.loads(line) for line in out.decode().splitlines()]
    if len(rows) != len(texts):
        raise RuntimeError(f"CLI returned {len(rows)} rows for {len(texts)} texts")
    return rows


def _routecore() -> Any | None:
    try:
        import routecore  # type: ignore[import-not-found]
    except ImportError:
        return None
    return routecore if hasattr(routecore, "scan") else None


def backend() -> str:
    return "routecore" if _routecore() is not None else f"cli:{_bin()}"


def scan_many(texts: list[str]) -> list[dict[str, Any]]:
    """[{'pii': [[start, end, KIND], …], 'injection': {score, verdict, signals}}, …]"""
    rc = _routecore()
    if rc is None:
        return _cli(texts)
    out = []
    for t in texts:
        r = rc.scan(t)
        inj = r.injection
        out.append(
            {
                "pii": [[s.start, s.end, str(s.type)] for s in r.pii],
                "injection": {"score": inj.score, "verdict": str(inj.verdict), "signals": list(inj.signals)},
            }
        )
    return out


def features_many(texts: list[str]) -> list[list[int]]:
    rc = _routecore()
    if rc is not None:
        return [list(rc._core._guard_features(t)) for t in texts]
    return [r["features"] for r in _cli(texts, "--features")]


def bench_many(texts: list[str]) -> list[dict[str, float]]:
    return _cli(texts, "--bench")

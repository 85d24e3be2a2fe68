"""The `routecore` command.

routecore route "text"                 decide for one prompt (readable table)
routecore route --json < messages.json JSON messages on stdin, JSON decision out
routecore config check FILE            validate a config, print every error
routecore config show                  print the embedded default config
routecore serve [--config F] [--demo]  OpenAI/Anthropic-compatible HTTP gateway
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import _core
from .errors import RouteError

__all__ = ["main"]


def _route_parser(sub: Any) -> None:
    p = sub.add_parser("route", help="route one request and show the decision")
    p.add_argument("text", nargs="?", help="the prompt (omit to read --file or stdin)")
    p.add_argument("--file", type=Path, help="read the prompt (or JSON messages) from a file")
    p.add_argument("--config", type=Path, help="config file (TOML or .json); default: embedded")
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.add_argument("--tenant")
    p.add_argument("--user-tier")
    p.add_argument("--model", help='"auto", a tier alias routecore/t0..t3, or a model name')
    p.add_argument("--max-tokens", type=int)
    p.add_argument("--min-tier", type=int)
    p.add_argument("--max-tier", type=int)
    p.add_argument("--deadline-ms", type=float)
    p.add_argument("--max-cost-usd", type=float)


def _serve_parser(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the OpenAI/Anthropic-compatible HTTP gateway")
    p.add_argument("--config", help="routing config (TOML or .json); default: embedded")
    p.add_argument("--server-config", help="gateway settings: TOML with a [server] table")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    p.add_argument("--demo", action="store_true", help="serve from simulated providers, offline")
    p.add_argument("--records", help="append a decision record per request to this JSON Lines file")


def _cmd_serve(args: argparse.Namespace) -> int:
    import os

    from .server.run import RunOptions, serve
    from .server.settings import load

    try:
        settings = load(
            args.server_config,
            os.environ,
            {"host": args.host, "port": args.port, "workers": args.workers, "config_path": args.config,
             "records_path": args.records},
        )
    except ValueError as e:
        raise SystemExit(f"routecore serve: {e}") from None
    serve(settings, RunOptions(demo=args.demo))
    return 0


def _parse_input(raw: str) -> Any:
    """JSON messages (a list, or an object with "messages") or plain text."""
    stripped = raw.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as e:
            raise SystemExit(f"routecore: input looks like JSON but does not parse: {e}") from None
        return data.get("messages", data) if isinstance(data, dict) else data
    return raw


def _table(d: dict[str, Any]) -> str:
    rows = [
        ("model", d["model"]),
        ("tier", f"{d['tier']} ({d['tier_name']})"),
        ("fallbacks", ", ".join(d["fallbacks"]) or "-"),
        ("capability", f"{d['capability']} (confidence {d['capability_confidence']:.2f})"),
        ("complexity", f"{d['complexity']:.1f} / 100"),
        ("input tokens", str(d["input_tokens"])),
        ("output tokens", f"{d['output_tokens']} (reserved)"),
        ("estimated cost", f"${d['estimated_cost_usd']:.6f}"),
        ("budget", f"{d['budget']} (tenant {d['tenant']})"),
        ("request id", d["request_id"]),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"{k:<{width}}  {v}" for k, v in rows]
    lines.append("reasons:")
    lines += [f"  - {r}" for r in d["reasons"]]
    return "\n".join(lines)


def _cmd_route(args: argparse.Namespace) -> int:
    from .router import Router

    if args.text is not None:
        raw = args.text
    elif args.file is not None:
        raw = args.file.read_bytes().decode("utf-8", errors="strict")
    else:
        raw = sys.stdin.read()
    messages = _parse_input(raw)
    router = Router(args.config)
    d = router.route(
        messages,
        tenant=args.tenant,
        user_tier=args.user_tier,
        model=args.model,
        max_tokens=args.max_tokens,
        min_tier=args.min_tier,
        max_tier=args.max_tier,
        deadline_ms=args.deadline_ms,
        max_cost_usd=args.max_cost_usd,
    )
    data = d.to_dict()
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.json else _table(data))
    return 0


def _replay_parser(sub: Any) -> None:
    p = sub.add_parser("replay", help="replay traffic with known outcomes against reference policies")
    p.add_argument("log", nargs="?", type=Path, help="outcome records (JSONL); see routecore.replay.records")
    p.add_argument("--dataset", help="a public outcome set instead of a log: " + ", ".join(_datasets()))
    p.add_argument("--data-dir", type=Path, default=Path("../shared/data"), help="where --dataset lives")
    p.add_argument("--config", type=Path, help="config to replay (default: embedded)")
    p.add_argument("--deadline-ms", type=float, help="count answers whose first token is later as misses")
    p.add_argument("--plot", type=Path, help="write the cost-quality curve as a PNG")
    p.add_argument("--limit", type=int, help="replay only the first N records")


def _datasets() -> list[str]:
    from .replay.records import DATASETS

    return sorted(DATASETS)


def _progress(done: int, total: int) -> None:
    width = 30
    filled = round(width * done / max(total, 1))
    sys.stderr.write(f"\rrouting [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _cmd_replay(args: argparse.Namespace) -> int:
    from .replay import format_report, load_dataset, load_jsonl, plot, replay
    from .router import Router

    if (args.log is None) == (args.dataset is None):
        raise SystemExit("routecore replay: give either a LOG.jsonl or --dataset NAME")
    records = load_jsonl(args.log) if args.log is not None else load_dataset(args.dataset, args.data_dir)
    if args.limit is not None:
        records = records[: args.limit]
    router = Router(args.config)
    progress = _progress if sys.stderr.isatty() else None
    result = replay(records, router, deadline_ms=args.deadline_ms, progress=progress)
    print(format_report(result, deadline=args.deadline_ms is not None or any(r.deadline_ms for r in records)))
    if args.plot is not None:
        plot(result, args.plot)
        print(f"plot: {args.plot}")
    return 0


def _explain_parser(sub: Any) -> None:
    p = sub.add_parser("explain", help="why a request was routed as it was, from its decision record")
    p.add_argument("request_id")
    p.add_argument("--records", type=Path, required=True, help="decision records (JSON Lines)")


def _cmd_explain(args: argparse.Namespace) -> int:
    from .observe import explain, find_record

    record = find_record(args.records, args.request_id)
    if record is None:
        print(f"routecore: no record with id {args.request_id!r} in {args.records}", file=sys.stderr)
        return 1
    print(explain(record))
    return 0


def _drift_parser(sub: Any) -> None:
    p = sub.add_parser("drift", help="run a golden-prompt set against each model and compare with a baseline")
    p.add_argument("golden", type=Path, help="golden prompts (JSON Lines; see routecore.observe.drift)")
    p.add_argument("--config", type=Path)
    p.add_argument("--baseline", type=Path, help="baseline scores (JSON); written when absent")
    p.add_argument("--models", help="comma-separated models (default: every model)")
    p.add_argument("--min-drop", type=float, default=0.1)


def _cmd_drift(args: argparse.Namespace) -> int:
    import asyncio

    from .observe.drift import compare, load_golden, run_golden
    from .router import Router

    router = Router(args.config)
    prompts = load_golden(args.golden)
    models = args.models.split(",") if args.models else None

    async def go() -> dict[str, Any]:
        try:
            return await run_golden(router, prompts, models)
        finally:
            await router.aclose()

    scores = asyncio.run(go())
    for m, s in scores.items():
        fails = "; ".join(f"{i}: {r}" for i, r in s.failures[:3])
        print(f"{m:<32} {s.passed:>4}/{s.n:<4} {s.pass_rate:6.1%}  {fails}")
    if args.baseline is None:
        return 0
    if not args.baseline.exists():
        args.baseline.write_text(json.dumps({m: s.to_json() for m, s in scores.items()}, indent=2))
        print(f"baseline written: {args.baseline}")
        return 0
    findings = compare(json.loads(args.baseline.read_text()), scores, min_drop=args.min_drop)
    drifted = [f for f in findings if f.significant]
    for f in drifted:
        print(f"DRIFT {f.model}: {f.baseline_rate:.1%} -> {f.current_rate:.1%} (p={f.p_value:.4f})")
    return 3 if drifted else 0


def _cmd_config(args: argparse.Namespace) -> int:
    if args.action == "show":
        sys.stdout.write(_core.default_config_toml())
        return 0
    if args.file is None:
        raise SystemExit("routecore config check: give the config FILE to check")
    path: Path = args.file
    fmt = "json" if path.suffix.lower() == ".json" else "toml"
    errors = _core.check_config(path.read_text(encoding="utf-8"), fmt)
    if not errors:
        print(f"{path}: ok")
        return 0
    print(f"{path}: {len(errors)} error{'s' if len(errors) != 1 else ''}")
    for key, msg in errors:
        print(f"  {key or '(file)'}: {msg}")
    return 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="routecore", description="In-process LLM router")
    parser.add_argument("--version", action="version", version=f"routecore {_core.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _route_parser(sub)
    _serve_parser(sub)
    _replay_parser(sub)
    _explain_parser(sub)
    _drift_parser(sub)
    cp = sub.add_parser("config", help="check or show configuration")
    cp.add_argument("action", choices=["check", "show"])
    cp.add_argument("file", nargs="?", type=Path)
    args = parser.parse_args(argv)
    try:
        commands = {
            "route": _cmd_route,
            "serve": _cmd_serve,
            "replay": _cmd_replay,
            "explain": _cmd_explain,
            "drift": _cmd_drift,
            "config": _cmd_config,
        }
        return commands[args.command](args)
    except RouteError as e:
        print(f"routecore: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    except (OSError, UnicodeDecodeError) as e:
        print(f"routecore: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

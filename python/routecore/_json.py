"""JSON on the request path: orjson when it can, the standard library when it cannot, so every
input and output is what ``json`` would accept and produce (orjson is ~3-15x faster on the small
objects a proxied request parses and writes; benches/SERVER.md).

``dumps`` returns compact UTF-8 bytes (``json.dumps(separators=(",", ":"), ensure_ascii=False)``);
what orjson refuses (non-string keys, integers beyond 64 bits) goes to the standard library, which
also keeps NaN/Infinity spelled as ``json`` spells them. ``loads`` accepts exactly what
``json.loads`` accepts (NaN/Infinity included) and raises its ``ValueError`` subclasses.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

_std_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def dumps(obj: Any) -> bytes:
    out = dumps_no_floats(obj)
    # orjson writes non-finite floats as null; json writes NaN/Infinity. Rare: only then re-encode.
    # `find`, not `in`: on 3.11 `bytes in bytes` first tries the needle as an int (a
    # TypeError raised and cleared, ~5 k instructions on every response).
    if out.find(b"null") != -1 and _has_nonfinite(obj):
        return _std_dumps(obj).encode()
    return out


def dumps_no_floats(obj: Any) -> bytes:
    """`dumps` for a value built without floats (stream chunks: str, int, bool, None and lists
    and dicts of them): orjson then writes what json writes, so the non-finite walk is skipped.
    ~2 us less on every streamed delta, which has "finish_reason": null. What orjson refuses
    (non-string keys, integers beyond 64 bits) goes to the standard library."""
    try:
        return orjson.dumps(obj)
    except TypeError:  # an integer beyond 64 bits from a provider, say
        return _std_dumps(obj).encode()


def _has_nonfinite(obj: Any) -> bool:
    # An explicit stack and exact-type tests first: the recursive `any(genexpr)` walk this
    # replaces cost 6.4 us on a 7-key stream chunk (every chunk has "finish_reason": null), now
    # 2.1 us. Subclasses take the isinstance branches. Depth needs no cap: orjson already
    # refused anything deeper than 255 levels, and such a value went to the stdlib above.
    stack = [obj]
    pop, push = stack.pop, stack.extend
    while stack:
        o = pop()
        t = type(o)
        if t is str or t is int or o is None or t is bool:
            continue
        if t is dict:
            push(o.values())
        elif t is list or t is tuple:
            push(o)
        elif isinstance(o, float):
            if not math.isfinite(o):
                return True
        elif isinstance(o, dict):
            push(o.values())
        elif isinstance(o, list | tuple):
            push(o)
    return False


def loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)  # the same verdict and message as before (or NaN/Infinity parsed)


__all__ = ["dumps", "dumps_no_floats", "loads"]

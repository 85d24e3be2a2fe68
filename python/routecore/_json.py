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
    try:
        out = orjson.dumps(obj)
    except TypeError:
        return _std_dumps(obj).encode()
    # orjson writes non-finite floats as null; json writes NaN/Infinity. Rare: only then re-encode.
    # `find`, not `in`: on 3.11 `bytes in bytes` first tries the needle as an int (a
    # TypeError raised and cleared, ~5 k instructions on every response).
    if out.find(b"null") != -1 and _has_nonfinite(obj):
        return _std_dumps(obj).encode()
    return out


def _has_nonfinite(obj: Any, depth: int = 0) -> bool:
    if isinstance(obj, float):
        return not math.isfinite(obj)
    if depth > 64:
        return False
    if isinstance(obj, dict):
        return any(_has_nonfinite(v, depth + 1) for v in obj.values())
    if isinstance(obj, list | tuple):
        return any(_has_nonfinite(v, depth + 1) for v in obj)
    return False


def loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)  # the same verdict and message as before (or NaN/Infinity parsed)


__all__ = ["dumps", "loads"]

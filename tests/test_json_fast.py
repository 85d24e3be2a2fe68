"""`routecore._json` against the standard library it stands in for: the request path writes with
orjson, and must produce what `json.dumps(separators=(",", ":"), ensure_ascii=False)` would."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routecore._json import dumps, dumps_no_floats


def _std(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class Money(float):
    pass


class Doc(dict[str, Any]):
    pass


@pytest.mark.parametrize(
    "obj",
    [
        {"a": [1, {"b": math.nan}]},  # NaN deep inside: json spells it NaN, orjson would write null
        [math.inf],
        (1.0, -math.inf),
        {"finish_reason": None, "choices": [{"delta": {"content": "hi"}}]},  # null, all finite
        Doc(cost=Money("inf")),  # subclasses are walked too
        Doc(cost=Money(0.25)),
        {1: math.nan},  # a non-string key: orjson refuses, the stdlib writes it
        {"big": 2**70},  # beyond 64 bits: the stdlib again
    ],
)
def test_dumps_writes_what_json_writes(obj: Any) -> None:
    assert dumps(obj) == _std(obj)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats() | st.text(),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=5), kids, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_dumps_means_what_json_means_on_any_value(obj: Any) -> None:
    # The same value once read back (NaN/Infinity included; compared in json's spelling, as NaN
    # is not equal to itself). Float digits may differ in form: orjson writes 1e16, json 1e+16.
    assert _std(json.loads(dumps(obj))) == _std(json.loads(_std(obj)))
    assert ("NaN" in dumps(obj).decode()) == ("NaN" in _std(obj).decode())


no_float_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=5), kids, max_size=4),
    max_leaves=20,
)


@given(no_float_values)
def test_dumps_no_floats_is_dumps_without_floats(obj: Any) -> None:
    # Integers of any size included: beyond 64 bits both take the stdlib.
    assert dumps_no_floats(obj) == dumps(obj) == _std(obj)

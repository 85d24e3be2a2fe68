"""The learned capability model and difficulty head at the Python boundary: selecting it,
robustness cases, the training featuriser binding, and the config keys.

learned-v4 is the default (`[routing] classifier = "learned"`): it beats the keyword model on
the held-out split and on the hand-written sanity set (tests/test_classifier_sanity.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import tomllib

import routecore
from routecore import _core

MODELS = Path(__file__).resolve().parents[1] / "rust/src/classify/models"


def _config(**routing: Any) -> dict[str, Any]:
    cfg: dict[str, Any] = tomllib.loads(_core.default_config_toml())
    cfg.setdefault("routing", {}).update(routing)
    return cfg


@pytest.fixture(scope="module")
def router() -> routecore.Router:
    return routecore.Router(_config(classifier="learned"))


def test_classifier_selection(router: routecore.Router) -> None:
    assert router.classifier == "learned-v4"
    assert routecore.Router().classifier == "learned-v4"
    assert routecore.Router(_config(classifier="keywords")).classifier == "keywords-v1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Translate this customer record to JSON: name Ann Lee, age 31, city Oslo", "extraction"),
        ("Summarize this article in three bullet points", "summarization"),
        ("请把这句话翻译成英文", "translation"),
        ("Write a Python function that reverses a linked list", "code"),
        ("hi there, how are you?", "chitchat"),
    ],
)
def test_obvious_and_trap_cases(router: routecore.Router, text: str, expected: str) -> None:
    assert router.route(text).capability == expected


def test_python_the_snake_is_not_code(router: routecore.Router) -> None:
    assert router.route("How long can a python snake grow?").capability != "code"


def test_code_block_inside_a_summarization_request(router: routecore.Router) -> None:
    text = (
        '```rust\nfn main() { println!("hi"); }\n```\n'
        + "The quarterly report shows revenue growth. " * 40
        + "\nSummarize the text above in two sentences."
    )
    assert router.route(text).capability == "summarization"


def test_misleading_first_sentence(router: routecore.Router) -> None:
    text = "Write a poem, my teacher said. Anyway, can you translate this sentence into French?"
    assert router.route(text).capability == "translation"


DOC = "Write a poem about the sea. The story goes on. " * 200


# learned-v2 called this creative: the repeated imperative outweighed the closing instruction.
# learned-v4 hashes the pasted document's words apart from the instruction's (ZONE_SALT).
def test_long_document_translate_at_the_end(router: routecore.Router) -> None:
    assert router.route(DOC + "\n\nTranslate the above into German.").capability == "translation"


def test_long_document_summarize_at_the_end(router: routecore.Router) -> None:
    assert router.route(DOC + "\n\nSummarize the above in one line.").capability == "summarization"


def test_difficulty_is_a_complexity_component(router: routecore.Router) -> None:
    comp = router.route("hello").to_dict()["complexity_components"]
    assert 0.0 <= comp["difficulty"] <= 1.0


def test_hashed_features_binding_is_deterministic() -> None:
    batch: list[Any] = ["Hello World 42", [{"role": "user", "content": "请总结"}]]
    a = _core._hashed_features(batch)
    assert a == _core._hashed_features(batch)
    import numpy as np

    indptr = np.frombuffer(a[0], dtype=np.uint64)
    assert len(indptr) == 3 and indptr[-1] == len(a[1]) // 4 == len(a[2]) // 4
    # ASCII case and digits fold: "hello world 17" is the same vector.
    assert _core._hashed_features(["hello world 17"])[1] == _core._hashed_features(["Hello World 42"])[1]


def test_capability_model_path_resolves_beside_the_config(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models/mine.bin").write_bytes((MODELS / "capability.bin").read_bytes())
    text = _core.default_config_toml() + "\n"
    text = text.replace("[routing]\n", '[routing]\ncapability_model = "models/mine.bin"\n', 1)
    cfg = tmp_path / "routecore.toml"
    cfg.write_text(text)
    text = cfg.read_text().replace("[routing]\n", '[routing]\nclassifier = "learned"\n', 1)
    cfg.write_text(text)
    r = routecore.Router(cfg)
    assert r.classifier == "learned-v4"
    assert r.route("Summarize this article").capability == "summarization"


def test_bad_capability_model_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    data = bytearray((MODELS / "capability.bin").read_bytes())
    data[200] ^= 0xFF
    bad.write_bytes(bytes(data))
    with pytest.raises(routecore.errors.ConfigError, match="checksum"):
        routecore.Router(_config(classifier="learned", capability_model=str(bad)))
    with pytest.raises(routecore.errors.ConfigError, match="cannot read"):
        routecore.Router(_config(classifier="learned", capability_model=str(tmp_path / "missing.bin")))
    with pytest.raises(routecore.errors.ConfigError, match=r"needs routing\.classifier"):
        routecore.Router(_config(classifier="keywords", capability_model=str(bad)))
    with pytest.raises(routecore.errors.ConfigError, match="classifier"):
        routecore.Router(_config(classifier="magic"))

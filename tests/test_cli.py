"""The `routecore` command, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import routecore


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "routecore", *args], input=stdin, capture_output=True, text=True, timeout=60
    )


def test_route_prints_a_readable_table() -> None:
    p = run("route", "Translate 'good night' into Korean")
    assert p.returncode == 0, p.stderr
    assert "capability" in p.stdout and "translation" in p.stdout
    assert "reasons:" in p.stdout


def test_route_json_from_stdin_messages() -> None:
    msgs = [
        {"role": "system", "content": "be terse"},
        {"role": "user", "content": "fix this bug:\n```py\nx = [1,2\n```"},
    ]
    p = run("route", "--json", "--max-tokens", "200", stdin=json.dumps(msgs))
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["capability"] == "code"
    assert d["output_tokens"] == 200
    assert d["features"]["turns"] == 2


def test_route_reports_typed_errors() -> None:
    p = run("route", "hi", "--model", "gpt-99")
    assert p.returncode == 2
    assert "UnknownModelError" in p.stderr


def test_config_check(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(routecore.default_config_toml())
    assert run("config", "check", str(good)).returncode == 0
    bad = tmp_path / "bad.toml"
    bad.write_text(
        routecore.default_config_toml().replace("usd_per_window = 50.0", "usd_per_window = -5.0\nbogus = 1")
    )
    p = run("config", "check", str(bad))
    assert p.returncode == 1
    assert "tenants.default.usd_per_window" in p.stdout and "tenants.default.bogus" in p.stdout
    assert "2 errors" in p.stdout


def test_config_show_round_trips() -> None:
    p = run("config", "show")
    assert p.returncode == 0
    assert routecore.check_config(p.stdout) == []

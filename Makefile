# One command surface for developers and CI (.ci/run calls `make test`).
PY ?= python3
PIP ?= $(PY) -m pip

.PHONY: install build-dev test test-rust test-python bench lint fmt wheel

## Install routecore (release build of the Rust core) with the test extras, the redis-server
## the shared-state tests start and the chromium the /dashboard test drives headless (Debian's
## packages; needs root or sudo).
install:
	command -v redis-server >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-server >/dev/null)
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[test,dev]"

build-dev: install

## Everything CI checks: lint, Rust unit/property tests, Python tests and benchmark gates.
test: install lint test-rust test-python

test-rust:
	cargo test --release --quiet

test-python:
	$(PY) -m pytest -q

## Benchmarks only, with full tables.
bench: install
	$(PY) -m pytest benches -q -s

lint:
	cargo fmt --check
	cargo clippy --quiet --all-targets -- -D warnings
	cargo clippy --quiet --features python --lib -- -D warnings
	$(PY) -m ruff check python tests benches training
	$(PY) -m mypy

fmt:
	cargo fmt
	$(PY) -m ruff check --fix python tests benches training
	$(PY) -m ruff format python tests benches training

## A release wheel in dist/.
wheel:
	maturin build --release --out dist

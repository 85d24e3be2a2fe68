#!/usr/bin/env bash
# Instructions per call of each route() stage on a 1 KB prompt, from cachegrind: unlike timings,
# the count does not move with machine load, so it shows what a change to the hot path bought.
#   benches/route_instructions.sh [stage ...]   (stages: see rust/examples/prof.rs; needs valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --example prof
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(stats features keywords difficulty learned route route_learned)
ir() {  # total instructions of a run doing `$2` × 100k calls of stage `$1`
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
    target/release/examples/prof "$1" "$2" 2>&1 >/dev/null | sed -n 's/.*I *refs: *//p' | tr -d ,
}
for s in "${stages[@]}"; do
  a=$(ir "$s" 1)
  b=$(ir "$s" 2)
  echo "$s $(( (b - a) / 100000 )) instructions/call"
done

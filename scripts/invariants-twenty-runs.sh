#!/usr/bin/env bash
# No-flake check of the full default run: `gatecheck invariants --cases 256` against the
# embedded (correct) sandbox, twenty times in a row, each with a fresh random seed.
# Prints each run's seed line and wall time; exits non-zero at the first failing run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/gatecheck
for i in $(seq 1 20); do
  start=$(date +%s.%N)
  if ! out=$("$bin" invariants --cases 256 --no-regressions 2>&1); then
    echo "$out"
    echo "run $i FAILED" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  echo "run $i: $(echo "$out" | grep '^invariants: seed') wall $(echo "$end - $start" | bc) s"
done
echo "20/20 runs passed"

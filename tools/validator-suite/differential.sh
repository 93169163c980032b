#!/usr/bin/env bash
# The differential test against a live solana-test-validator: runs the probe
# script of crates/localnet/tests/differential.rs against the validator
# (built once by run.sh install) and checks it still answers as recorded in
# crates/localnet/tests/differential/solana-test-validator.json, then diffs
# the embedded chain against it and prints the table.
#
#   tools/validator-suite/differential.sh            # compare
#   tools/validator-suite/differential.sh --record   # rewrite the recording
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${TASKNET_VALIDATOR_CACHE:-$HOME/.cache/tasknet/validator}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/tasknet/target}

"$ROOT/tools/validator-suite/run.sh" install
"$ROOT/tools/sbf/build.sh"
if [ "${1:-}" = --record ]; then
  export TASKNET_RECORD=1
fi
cd "$ROOT"
TASKNET_VALIDATOR="$CACHE/bin/solana-test-validator" \
  cargo test -p tasknet-localnet --test differential -- --ignored --nocapture

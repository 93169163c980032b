#!/usr/bin/env bash
# The client suite against a real solana-test-validator running the SBF
# program: `anchor test --skip-build` starts the validator with
# target/deploy/tasknet.so at genesis and runs Anchor.toml's test script with
# ANCHOR_PROVIDER_URL set, so the CLI, node, payload, restart and manifest
# scenarios (and `tasknet demo --url`) talk to the validator.
#
#   tools/validator-suite/run.sh           # install once (cached), build, run
#   tools/validator-suite/run.sh install   # only install the tools
#
# Installs, once, under $TASKNET_VALIDATOR_CACHE (default
# ~/.cache/tasknet/validator): solana-test-validator from agave-validator
# 4.2.2 (the first release whose loader runs the SBPF v3 .so that
# tools/sbf/build.sh makes; 3.1.12 rejects it) and anchor-cli 1.2.2 (which
# streams program logs over the validator's websocket itself, so no solana
# CLI is needed). About 40 minutes on two cores the first time; Debian's
# clang and libclang-dev are needed for RocksDB's bindings.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${TASKNET_VALIDATOR_CACHE:-$HOME/.cache/tasknet/validator}
AGAVE=4.2.2
ANCHOR=1.2.2
JOBS=${JOBS:-2}
export PATH=$CACHE/bin:$PATH
# One build folder for the installs, kept: a reinstall rebuilds little.
BUILD=$CACHE/build

SCRIPT=tools/validator-suite/run.sh
RETRY_HINT="installed tools are kept in $CACHE"
. "$ROOT/tools/steps.sh"

install_tools() {
  if ! command -v clang >/dev/null || ! ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1; then
    step "install clang and libclang-dev (apt-get)"
    apt-get update -qq && apt-get install -y -qq clang libclang-dev
  fi
  if ! solana-test-validator --version 2>/dev/null | grep -q "$AGAVE"; then
    step "build solana-test-validator $AGAVE from crates.io (~25 min)"
    (cd "$CACHE/.." && cargo install agave-validator --version "=$AGAVE" --locked \
      --bin solana-test-validator --root "$CACHE" --target-dir "$BUILD" -j"$JOBS")
  fi
  if ! anchor --version 2>/dev/null | grep -q "$ANCHOR"; then
    step "build anchor-cli $ANCHOR from crates.io"
    (cd "$CACHE/.." && cargo install anchor-cli --version "=$ANCHOR" --locked \
      --root "$CACHE" --target-dir "$BUILD" -j"$JOBS")
  fi
}

mkdir -p "$CACHE"
install_tools
[ "${1:-}" = install ] && exit 0

step "build the SBF program"
"$ROOT/tools/sbf/build.sh"

step "a wallet for anchor's provider"
WALLET=${ANCHOR_WALLET:-$HOME/.config/solana/id.json}
if [ ! -f "$WALLET" ]; then
  mkdir -p "$(dirname "$WALLET")"
  (cd "$ROOT" && cargo run -q --bin tasknet -- keygen --outfile "$WALLET")
fi
step "anchor test --skip-build (solana-test-validator $AGAVE + the client suite)"
cd "$ROOT"
# The test script's build reuses the test command's artefacts.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/tasknet/target}
# anchor looks for deploy/ and idl/ in cargo's target dir.
mkdir -p "$CARGO_TARGET_DIR/deploy" "$CARGO_TARGET_DIR/idl"
cp "$ROOT/target/deploy/tasknet.so" "$CARGO_TARGET_DIR/deploy/tasknet.so"
cp "$ROOT/keys/tasknet-program-keypair.json" "$CARGO_TARGET_DIR/deploy/tasknet-keypair.json"
cp "$ROOT/idls/tasknet.json" "$CARGO_TARGET_DIR/idl/tasknet.json"
started=$(date +%s)
# anchor 1.2 defaults to surfpool; `legacy` is solana-test-validator.
anchor test --skip-build --validator legacy 2>&1 | tee "$ROOT/target/validator-suite.log"
echo "validator suite: $(( $(date +%s) - started )) s; log in target/validator-suite.log"

#!/usr/bin/env bash
# Builds programs/tasknet to SBF bytecode: target/deploy/tasknet.so, where
# `anchor test --skip-build` and the SBF test tier expect it; and the example
# verifier programs/pow-verifier: target/deploy/tasknet_pow_verifier.so.
#
#   tools/sbf/build.sh            # build (cached; seconds when nothing changed)
#   OPT_LEVEL=3 INLINE_THRESHOLD=125 tools/sbf/build.sh   # issue 21's settings
#
# The program crate is built for size (OPT_LEVEL, default s) and its
# dependencies for speed (DEPS_OPT_LEVEL, default 3), except the address
# type's base58 formatting (solana-address, five8), which only error logs
# use; the per-node path in the program keeps speed with #[optimize(speed)];
# the linker's inliner only takes functions marked #[inline]
# (INLINE_THRESHOLD 0); and identical functions are merged.
# docs/performance.md ("Program size and deploy cost") measures each choice.
#
# With Solana's platform-tools installed (`cargo build-sbf` works) it uses
# them. Otherwise it takes the route verified on machines without them
# (docs/sbf.md): an upstream Rust nightly installed into a private
# RUSTUP_HOME, a copy of its std source taught about target_os = "solana",
# sbpf-linker from crates.io, and build-std against tools/sbf/bpfel-solana.json.
# Everything it downloads or builds lives under $TASKNET_SBF_CACHE
# (default ~/.cache/tasknet/sbf); the machine's own rustup and toolchains are
# never touched. Delete that folder to start over.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tools/sbf
OUT=$ROOT/target/deploy
CACHE=${TASKNET_SBF_CACHE:-$HOME/.cache/tasknet/sbf}
# nightly-2026-10-30: rustc 1.101, LLVM 23. Not 1.99.x: its BPF ABI returns
# i128 through a hidden pointer while LLVM's __multi3 returns it in
# registers, so every Anchor `init` (rent math in u128) faults.
TOOLCHAIN=${TASKNET_SBF_TOOLCHAIN:-nightly-2026-10-30}
SBPF_LINKER_VERSION=0.2.6
JOBS=${JOBS:-2}
OPT_LEVEL=${OPT_LEVEL:-s}
DEPS_OPT_LEVEL=${DEPS_OPT_LEVEL:-3}
INLINE_THRESHOLD=${INLINE_THRESHOLD:-0}

SCRIPT=tools/sbf/build.sh
RETRY_HINT="cached steps are skipped; rm -rf $CACHE to start over"
. "$ROOT/tools/steps.sh"

mkdir -p "$OUT" "$CACHE"

if [ -z "${TASKNET_SBF_UPSTREAM:-}" ] && cargo build-sbf --version >/dev/null 2>&1; then
  step "cargo build-sbf (platform-tools)"
  cargo build-sbf --manifest-path "$ROOT/programs/tasknet/Cargo.toml" --sbf-out-dir "$OUT"
  cargo build-sbf --manifest-path "$ROOT/programs/pow-verifier/Cargo.toml" --sbf-out-dir "$OUT"
  ls -l "$OUT/tasknet.so" "$OUT/tasknet_pow_verifier.so"
  exit 0
fi

# ---- the upstream route ---------------------------------------------------
export RUSTUP_HOME=$CACHE/rustup
export RUSTUP_TOOLCHAIN=$TOOLCHAIN-x86_64-unknown-linux-gnu
TC=$RUSTUP_HOME/toolchains/$RUSTUP_TOOLCHAIN

if [ ! -x "$TC/bin/rustc" ] || [ ! -d "$TC/lib/rustlib/src/rust/library" ]; then
  step "install Rust $TOOLCHAIN (minimal, rust-src, llvm-tools) into $RUSTUP_HOME"
  mkdir -p "$RUSTUP_HOME"
  # First, or rustup would replace the machine's own ~/.cargo/bin/rustup.
  rustup set auto-self-update disable
  rustup toolchain install "$TOOLCHAIN" --profile minimal -c rust-src -c llvm-tools --no-self-update
fi

LIB=$CACHE/rust-src-$TOOLCHAIN/library
if [ ! -f "$LIB/.tasknet-patched" ]; then
  step "copy std source and patch it for target_os = \"solana\""
  rm -rf "$CACHE/rust-src-$TOOLCHAIN"
  mkdir -p "$CACHE/rust-src-$TOOLCHAIN"
  cp -r "$TC/lib/rustlib/src/rust/library" "$LIB"
  python3 "$HERE/patch_std.py" "$LIB/std/src"
  touch "$LIB/.tasknet-patched"
fi

LINKER=$CACHE/tools/bin/sbpf-linker
if [ ! -x "$LINKER" ]; then
  step "build sbpf-linker $SBPF_LINKER_VERSION from crates.io (with $TOOLCHAIN)"
  # From the cache folder, so no rust-toolchain.toml of ours applies.
  (cd "$CACHE" && cargo install sbpf-linker --version "=$SBPF_LINKER_VERSION" --locked \
    --root "$CACHE/tools" -j"$JOBS")
fi
# sbpf-linker loads the toolchain's own libLLVM at run time.
export LD_LIBRARY_PATH=$TC/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

step "build tasknet for SBPF v3 (opt-level $OPT_LEVEL, dependencies $DEPS_OPT_LEVEL, inline threshold $INLINE_THRESHOLD)"
# rustc passes -Os/-Oz on to the linker, whose LLVM 23 pipeline rejects
# them; the last -O wins, and functions keep their size attributes.
# LLVM's MergeFunctions folds identical functions (Anchor's per-instruction
# glue has many): 26 KB, no measurable compute.
EXTRA=", \"-Clink-arg=--llvm-args=--inline-threshold=$INLINE_THRESHOLD\", \"-Clink-arg=-O2\""
EXTRA="$EXTRA"', "-Clink-arg=--llvm-args=-enable-merge-functions"'
export CARGO_PROFILE_RELEASE_OPT_LEVEL=$DEPS_OPT_LEVEL
# TOML: a number for 0-3, a string for s and z.
case $OPT_LEVEL in [0-3]) CRATE_OPT=$OPT_LEVEL ;; *) CRATE_OPT="\"$OPT_LEVEL\"" ;; esac
CONFIG=$CACHE/cargo-config.toml
cat > "$CONFIG" <<TOML
[build]
target = "$HERE/bpfel-solana.json"

[target.bpfel-solana]
linker = "$LINKER"
rustflags = ["-Zunstable-options", "-Cpanic=immediate-abort",
  "-Ctarget-cpu=v3", "-Cjump-tables=no", "-Ctarget-feature=+allows-misaligned-mem-access",
  "-Clink-arg=--arch=v3", "-Clink-arg=--llvm-args=--bpf-stack-size=4096",
  "-Clink-arg=--llvm-args=--disable-movsx", "-Clink-arg=--llvm-args=--disable-ldsx"$EXTRA]

[profile.release.package.tasknet]
opt-level = $CRATE_OPT

[profile.release.package.solana-address]
opt-level = "s"

[profile.release.package.five8]
opt-level = "s"

[unstable]
build-std = ["std", "panic_abort"]
json-target-spec = true
TOML
(cd "$ROOT/programs/tasknet" &&
  RUSTC_BOOTSTRAP=1 RUSTC_BOOTSTRAP_SYNTHETIC_TARGET=1 __CARGO_TESTS_ONLY_SRC_ROOT=$LIB \
  cargo build --release -j"$JOBS" --config "$CONFIG" --target-dir "$CACHE/target" -p tasknet)

step "copy to $OUT/tasknet.so"
cp "$CACHE/target/bpfel-solana/release/libtasknet.so" "$OUT/tasknet.so"
ls -l "$OUT/tasknet.so"

# Its own cargo invocation: built together, feature unification could give
# one program another's features.
step "build the example verifier (programs/pow-verifier)"
(cd "$ROOT/programs/pow-verifier" &&
  RUSTC_BOOTSTRAP=1 RUSTC_BOOTSTRAP_SYNTHETIC_TARGET=1 __CARGO_TESTS_ONLY_SRC_ROOT=$LIB \
  cargo build --release -j"$JOBS" --config "$CONFIG" --target-dir "$CACHE/target" -p tasknet-pow-verifier)
cp "$CACHE/target/bpfel-solana/release/libtasknet_pow_verifier.so" "$OUT/tasknet_pow_verifier.so"
ls -l "$OUT/tasknet_pow_verifier.so"

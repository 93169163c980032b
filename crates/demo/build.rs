//! Builds the example task (`crates/example-tasks`, bin `iterated_hash`)
//! as a WebAssembly module, so the demo runs the bytes a creator would
//! publish: `tasknet_demo::EXAMPLE_MODULE`. A cargo build of its own, for
//! `wasm32-wasip1` (which rust-toolchain.toml installs), in a target
//! directory under OUT_DIR so it never waits on the outer build's lock.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let root = manifest.join("../..");
    for watched in ["../example-tasks", "../task-kit"] {
        println!("cargo:rerun-if-changed={watched}");
    }
    let cargo = std::env::var_os("CARGO").expect("set by cargo");
    ensure_wasi_target(&root);
    let target_dir = out.join("wasm");
    let status = Command::new(&cargo)
        .args(["build", "--release", "--quiet", "--target", "wasm32-wasip1"])
        .args(["-p", "tasknet-example-tasks", "--bin", "iterated_hash"])
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(&root)
        // The outer build's flags and wrappers are for the host, not WASI.
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "building the example task for wasm32-wasip1 failed (is the target installed? rustup target add wasm32-wasip1)"
    );
    let module = target_dir.join("wasm32-wasip1/release/iterated_hash.wasm");
    std::fs::copy(&module, out.join("iterated_hash.wasm")).expect("the module was built");
}

/// rust-toolchain.toml names `wasm32-wasip1`, but rustup adds a toolchain
/// file's targets only when it installs the toolchain: a machine that had
/// the toolchain before lacks it. Add it then (the pinned toolchain's
/// rustup, in this workspace; nothing else on the machine changes).
fn ensure_wasi_target(root: &std::path::Path) {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .current_dir(root)
        .output();
    let Ok(installed) = installed else {
        return; // no rustup: the build below says what is missing
    };
    if String::from_utf8_lossy(&installed.stdout).contains("wasm32-wasip1") {
        return;
    }
    println!("cargo:warning=adding the wasm32-wasip1 target (rustup target add) for the example task module");
    let added = Command::new("rustup")
        .args(["target", "add", "wasm32-wasip1"])
        .current_dir(root)
        .status();
    assert!(
        added.is_ok_and(|s| s.success()),
        "rustup target add wasm32-wasip1 failed"
    );
}

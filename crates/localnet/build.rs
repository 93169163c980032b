//! Embeds the program's SBF build (`tools/sbf/build.sh` writes it to
//! `target/deploy/tasknet.so`) so `tasknet localnet` and `tasknet demo` run
//! the same bytecode a validator would, from a self-contained binary.
//! Without the build the crate still compiles; starting the chain then
//! fails with an error naming the command that builds it.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let source = std::env::var_os("TASKNET_PROGRAM_SO")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../target/deploy/tasknet.so"));
    println!("cargo:rerun-if-env-changed=TASKNET_PROGRAM_SO");
    println!("cargo:rerun-if-changed={}", source.display());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it")).join("tasknet.so");
    // An empty file stands for "not built".
    let bytes = std::fs::read(&source).unwrap_or_default();
    if bytes.is_empty() {
        println!(
            "cargo:warning=no SBF build at {}: `tasknet localnet` and `tasknet demo` will refuse to start until tools/sbf/build.sh has run",
            source.display()
        );
    }
    std::fs::write(&out, bytes).expect("OUT_DIR is writable");

    // The example verifier (programs/pow-verifier), built beside it and
    // loaded at its address so verifier tasks run on the embedded chain.
    let verifier = manifest.join("../../target/deploy/tasknet_pow_verifier.so");
    println!("cargo:rerun-if-changed={}", verifier.display());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets it"))
        .join("tasknet_pow_verifier.so");
    std::fs::write(&out, std::fs::read(&verifier).unwrap_or_default())
        .expect("OUT_DIR is writable");
}

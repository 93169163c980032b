//! Builds the tasknet IDL the way `anchor idl build` does (compiling the
//! program with `idl-build` and running its IDL-printing test), without the
//! anchor CLI.

use std::path::{Path, PathBuf};

use anchor_lang_idl::build::IdlBuilder;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("tools/idl sits two levels below the workspace root")
        .to_path_buf()
}

/// Where the committed IDL lives.
pub fn idl_path() -> PathBuf {
    workspace_root().join("idls").join("tasknet.json")
}

/// Compiles the program with `idl-build` and returns its IDL as pretty JSON.
pub fn build_idl_json() -> anyhow::Result<String> {
    let root = workspace_root();
    // The IDL build sets its own RUSTFLAGS; a separate target directory keeps
    // it from invalidating the normal build's artefacts (and vice versa).
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("idl-build");
    // anchor-lang-idl runs `rustup toolchain install $RUSTUP_TOOLCHAIN` when
    // that variable is set (rustup sets it for every cargo child), which can
    // replace the machine's toolchain. rust-toolchain.toml pins it instead.
    std::env::remove_var("RUSTUP_TOOLCHAIN");
    let idl = IdlBuilder::new()
        .program_path(root.join("programs").join("tasknet"))
        .cargo_args(vec![
            "--target-dir".into(),
            target_dir.to_string_lossy().into_owned(),
        ])
        .build()?;
    Ok(serde_json::to_string_pretty(&idl)? + "\n")
}

//! `tasknet task new <dir>`: a task crate that builds to a WebAssembly
//! module with one command (`cargo build --release` in it), written with
//! `tasknet-task-kit` as two functions.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use crate::context::CliError;

#[derive(Args)]
pub struct NewArgs {
    /// Directory to create (its last part names the crate and the module).
    dir: PathBuf,
    /// The tasknet-task-kit crate to build against (default: this
    /// checkout's crates/task-kit).
    #[arg(long)]
    kit: Option<PathBuf>,
}

#[derive(Serialize)]
pub struct Scaffolded {
    pub dir: String,
    /// Build it with this, in the directory.
    pub build: &'static str,
    /// Where the build writes the module (its sha256 is the code hash).
    pub module: String,
    /// Try it without a chain.
    pub test: String,
}

/// The kit of the checkout this binary was built from.
const KIT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../task-kit");

pub fn run(args: NewArgs) -> Result<Scaffolded, CliError> {
    let dir = args.dir;
    let name = crate_name(&dir)?;
    if dir.exists() {
        return Err(CliError::Input(format!(
            "{} already exists; give a new directory",
            dir.display()
        )));
    }
    let kit = args.kit.unwrap_or_else(|| PathBuf::from(KIT));
    let kit = kit.canonicalize().map_err(|_| {
        CliError::Input(format!(
            "no tasknet-task-kit at {}; give its directory with --kit",
            kit.display()
        ))
    })?;
    let files = [
        ("Cargo.toml", cargo_toml(&name, &kit)),
        ("rust-toolchain.toml", TOOLCHAIN.to_string()),
        (".cargo/config.toml", CARGO_CONFIG.to_string()),
        (".gitignore", "/target\n".to_string()),
        ("src/main.rs", MAIN_RS.to_string()),
    ];
    for (path, text) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
        }
        std::fs::write(&path, text).map_err(|e| io_error(&path, e))?;
    }
    let module = dir.join(format!("target/wasm32-wasip1/release/{name}.wasm"));
    Ok(Scaffolded {
        dir: dir.display().to_string(),
        build: "cargo build --release",
        test: format!(
            "tasknet task test {} --nodes 5 --rounds 2",
            module.display()
        ),
        module: module.display().to_string(),
    })
}

/// The directory's last part, if it is a valid crate name.
fn crate_name(dir: &Path) -> Result<String, CliError> {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(name)
    } else {
        Err(CliError::Input(format!(
            "{}: the directory's name becomes the crate's: a letter, then letters, digits, - or _",
            dir.display()
        )))
    }
}

fn io_error(path: &Path, e: std::io::Error) -> CliError {
    CliError::Input(format!("{}: {e}", path.display()))
}

fn cargo_toml(name: &str, kit: &Path) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
tasknet-task-kit = {{ path = "{kit}" }}

# Small, fast modules: the node compiles each once and runs it every round.
[profile.release]
opt-level = 3
lto = true
codegen-units = 1
strip = true

# A workspace of its own, wherever it is created.
[workspace]
"#,
        kit = kit.display()
    )
}

const TOOLCHAIN: &str = r#"[toolchain]
channel = "1.95.0"
targets = ["wasm32-wasip1"]
"#;

const CARGO_CONFIG: &str = r#"# `cargo build --release` builds the task module.
[build]
target = "wasm32-wasip1"
"#;

const MAIN_RS: &str = r#"//! A tasknet task: `execute` is a node's work for a round, `audit` checks
//! another node's payload. Every honest node must compute the same bytes
//! from the same input; the sandbox gives nothing else (no files, network,
//! environment; the clock is fixed for the round, random bytes are seeded by
//! it). Try it with `tasknet task test`.

use tasknet_task_kit::Input;

/// How much work a node does: rounds of mixing over its input.
const WORK: u32 = 100_000;

/// This node's work for the round: its own part, chosen by its address and
/// the round's seed (give every node the same part by ignoring `node`).
fn execute(input: &Input) -> Vec<u8> {
    let mut state = u64::from_le_bytes(input.seed[..8].try_into().unwrap_or_default());
    for byte in input.node.bytes() {
        state = mix(state ^ u64::from(byte));
    }
    for _ in 0..WORK {
        state = mix(state);
    }
    state.to_le_bytes().to_vec()
}

/// Whether `payload` is the audited node's honest work for the round.
fn audit(input: &Input, payload: &[u8]) -> bool {
    payload == execute(input)
}

/// splitmix64's finaliser: cheap, and every bit depends on every bit.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn main() -> std::process::ExitCode {
    tasknet_task_kit::run(execute, audit)
}
"#;

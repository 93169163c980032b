//! The program's integration tests, run as SBF bytecode (target/deploy/tasknet.so, built by tools/sbf/build.sh) in LiteSVM's SBPF VM: what a validator runs, with its compute meter, 4 KiB stack frames and anonymous panics.
//! `tests/native.rs` and `tests/sbf.rs` run the same cases.

use tasknet_tests::Backend;

const BACKEND: Backend = Backend::Sbf;

#[path = "cases/attacks.rs"]
mod attacks;
#[path = "cases/audit.rs"]
mod audit;
#[path = "cases/creator.rs"]
mod creator;
#[path = "cases/lifecycle.rs"]
mod lifecycle;
#[path = "cases/node.rs"]
mod node;
#[path = "cases/tokens.rs"]
mod tokens;
#[path = "cases/verifier.rs"]
mod verifier;
